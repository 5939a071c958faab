//! Secrets (Auth Tokens, shared-key secrets, passwords, the nonce secret)
//! are never printed, by `Debug`, `Display` or `tracing`, and every heap
//! block that held one is wiped before it is freed.
//!
//! The last is checked with the binary's allocator (`common::alloc`),
//! which, while a test scans on its own thread, looks into each block being
//! freed (or moved by `realloc`) for the bytes of a secret. tokio's current-thread runtime runs the layer on
//! the test's thread, so nothing escapes it. The test builds its secrets
//! from string literals and computes Digest answers with hash updates, so
//! that it makes no heap copy of its own.

use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::routing::post;
use axum::Router;
use http::{HeaderValue, Request, StatusCode};
use http_body_util::BodyExt;
use sha2::{Digest as _, Sha256};
use tower::ServiceExt;
use tower_twilio::auth::HttpAuth;
use tower_twilio::{
    compute_signature, Algorithm, RequestValidator, Secret, Signer, TwilioValidateLayer,
};

use crate::common;
use crate::common::alloc::{found, scan_for};

const TOKEN: &str = "secret-primary-auth-token";
const SECONDARY: &str = "secret-secondary-auth-token";
const SHARED: &str = "secret-shared-key-secret";
const PASSWORD: &str = "secret-webhook-password";
const NONCE_SECRET: &str = "secret-nonce-secret-of-32-bytes!";
const SECRETS: [&str; 5] = [TOKEN, SECONDARY, SHARED, PASSWORD, NONCE_SECRET];

const USER: &str = "twilio";
const REALM: &str = "Twilio webhook";
/// `Basic` + base64 of `twilio:secret-webhook-password`.
const BASIC: &str = "Basic dHdpbGlvOnNlY3JldC13ZWJob29rLXBhc3N3b3Jk";
const BASE: &str = "https://hooks.example.com";
const BODY: &str = "CallSid=CA1234567890ABCDE&From=%2B14158675309&Digits=1234";

fn http_auth() -> HttpAuth {
    HttpAuth::builder()
        .basic_auth(USER, PASSWORD)
        .digest_auth(USER, PASSWORD)
        .nonce_secret(NONCE_SECRET)
        .build()
}

fn layer() -> TwilioValidateLayer {
    TwilioValidateLayer::with_validator(
        RequestValidator::new(TOKEN)
            .secondary_token(SECONDARY)
            .shared_key("k1", SHARED),
    )
    .base_url(BASE)
    .http_auth(http_auth())
    .body_read_timeout(Duration::from_secs(1))
}

fn app(layer: TwilioValidateLayer) -> Router {
    Router::new()
        .route("/voice", post(|| async { "ok" }))
        .layer(layer)
}

fn form_post(authorization: Option<&str>) -> Request<String> {
    let mut req = Request::post("/voice")
        .header("host", "hooks.example.com")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(BODY.to_owned())
        .unwrap();
    if let Some(value) = authorization {
        req.headers_mut()
            .insert("authorization", HeaderValue::from_str(value).unwrap());
    }
    req
}

/// Every kind of request the layer sees: signed with each key, forged,
/// unauthenticated, with Basic and with Digest credentials, right and
/// wrong, a body over the limit and a body that stalls.
async fn drive(app: Router) -> Vec<StatusCode> {
    let mut statuses = Vec::new();
    let send = |req: Request<Body>| {
        let app = app.clone();
        async move {
            let res = app.oneshot(req).await.unwrap();
            let status = res.status();
            let challenges: Vec<String> = res
                .headers()
                .get_all("www-authenticate")
                .iter()
                .map(|v| v.to_str().unwrap().to_owned())
                .collect();
            let _ = res.into_body().collect().await.unwrap();
            (status, challenges)
        }
    };
    let signers = [
        Signer::new(TOKEN, BASE),
        Signer::new(SECONDARY, BASE),
        Signer::new(TOKEN, BASE).shared_key("k1", SHARED),
    ];
    for signer in &signers {
        let mut req = form_post(Some(BASIC));
        signer.sign(&mut req);
        statuses.push(send(req.map(Body::from)).await.0);
    }
    let mut forged = form_post(Some(BASIC));
    forged.headers_mut().insert(
        "x-twilio-signature",
        HeaderValue::from_static("AAAAAAAAAAAAAAAAAAAAAAAAAAA="),
    );
    statuses.push(send(forged.map(Body::from)).await.0);

    let mut unauthenticated = form_post(None);
    signers[0].sign(&mut unauthenticated);
    let (status, challenges) = send(unauthenticated.map(Body::from)).await;
    statuses.push(status);

    let mut wrong = form_post(Some("Basic dHdpbGlvOndyb25n"));
    signers[0].sign(&mut wrong);
    statuses.push(send(wrong.map(Body::from)).await.0);

    let digest = digest_answer(&challenges[0]);
    let mut digested = form_post(Some(&digest));
    signers[0].sign(&mut digested);
    statuses.push(send(digested.map(Body::from)).await.0);

    let mut large = form_post(Some(BASIC));
    *large.body_mut() = "a".repeat(1024 * 1024 + 1);
    signers[0].sign(&mut large);
    statuses.push(send(large.map(Body::from)).await.0);

    let mut stalled = form_post(Some(BASIC)).map(|_| {
        Body::from_stream(futures_util::stream::pending::<
            Result<Vec<u8>, std::io::Error>,
        >())
    });
    stalled.headers_mut().insert(
        "x-twilio-signature",
        HeaderValue::from_static("AAAAAAAAAAAAAAAAAAAAAAAAAAA="),
    );
    statuses.push(send(stalled).await.0);
    statuses
}

const EXPECTED: [u16; 9] = [200, 200, 200, 403, 401, 401, 200, 413, 408];

/// What a client that knows the password answers to a SHA-256 challenge,
/// computed without putting the password into a heap string.
fn digest_answer(challenge: &str) -> String {
    let param = |name: &str| {
        let start = challenge.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        challenge[start..].split('"').next().unwrap().to_owned()
    };
    let (nonce, opaque) = (param("nonce"), param("opaque"));
    let ha1 = hex(Sha256::new()
        .chain_update(USER)
        .chain_update(":")
        .chain_update(REALM)
        .chain_update(":")
        .chain_update(PASSWORD)
        .finalize()
        .as_slice());
    let ha2 = hex(Sha256::digest(b"POST:/voice").as_slice());
    let response = hex(Sha256::new()
        .chain_update(ha1.as_slice())
        .chain_update(format!(":{nonce}:00000001:c0ffee:auth:"))
        .chain_update(ha2.as_slice())
        .finalize()
        .as_slice());
    let response = std::str::from_utf8(response.as_slice()).unwrap();
    format!(
        "Digest username=\"{USER}\", realm=\"{REALM}\", nonce=\"{nonce}\", uri=\"/voice\", \
         algorithm=SHA-256, response=\"{response}\", opaque=\"{opaque}\", qop=auth, \
         nc=00000001, cnonce=\"c0ffee\""
    )
}

/// Lowercase hex on the stack.
fn hex(bytes: &[u8]) -> HexBuf {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = HexBuf([0; 64], bytes.len() * 2);
    for (i, b) in bytes.iter().enumerate() {
        out.0[2 * i] = DIGITS[usize::from(b >> 4)];
        out.0[2 * i + 1] = DIGITS[usize::from(b & 0xf)];
    }
    out
}

struct HexBuf([u8; 64], usize);

impl HexBuf {
    fn as_slice(&self) -> &[u8] {
        &self.0[..self.1]
    }
}

fn assert_no_secret(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} shows {secret:?}: {text}");
    }
}

#[test]
fn debug_and_display_never_show_a_secret() {
    let layer = layer();
    let service = tower::Layer::layer(
        &layer,
        tower::service_fn(|_: Request<Body>| async {
            Ok::<_, std::convert::Infallible>(http::Response::new(Body::empty()))
        }),
    );
    let builder = HttpAuth::builder()
        .basic_auth(USER, PASSWORD)
        .digest_auth(USER, PASSWORD)
        .nonce_secret(NONCE_SECRET);
    let challenge = http_auth()
        .check(
            "POST",
            "/voice",
            Some(b"Basic d3Jvbmc6d3Jvbmc="),
            SystemTime::now(),
        )
        .unwrap_err();
    let printed = [
        ("TwilioValidateLayer", format!("{layer:?} {layer:#?}")),
        ("TwilioValidate", format!("{service:?}")),
        ("HttpAuth", format!("{:?}", http_auth())),
        ("HttpAuthBuilder", format!("{builder:?}")),
        (
            "AuthChallenge",
            format!("{challenge:?} {}", challenge.reason()),
        ),
        (
            "RequestValidator",
            format!(
                "{:?}",
                RequestValidator::new(TOKEN)
                    .secondary_token(SECONDARY)
                    .shared_key("k1", SHARED)
            ),
        ),
        (
            "Signer",
            format!("{:?}", Signer::new(TOKEN, BASE).shared_key("k1", SHARED)),
        ),
        (
            "Secret",
            format!("{:?} {:#?}", Secret::from(TOKEN), Secret::from(PASSWORD)),
        ),
    ];
    for (what, text) in &printed {
        assert_no_secret(what, text);
    }
    assert_eq!(format!("{:?}", Secret::from(TOKEN)), "Secret([redacted])");
}

/// Runs `test` on a paused current-thread runtime, on this thread.
fn paused(test: impl std::future::Future<Output = ()>) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap()
        .block_on(test);
}

#[test]
fn tracing_events_never_show_a_secret_or_the_expected_signature() {
    paused(tracing_events());
}

async fn tracing_events() {
    let logs = common::logs::capture(tracing::Level::TRACE);

    let statuses = drive(app(layer())).await;
    assert_eq!(
        statuses.iter().map(StatusCode::as_u16).collect::<Vec<_>>(),
        EXPECTED
    );

    let logs = logs.text();
    assert!(logs.contains("bad_signature"), "{logs}");
    assert_no_secret("a tracing event", &logs);
    // What the forged request should have carried: a valid signature.
    let expected = compute_signature(
        TOKEN,
        Algorithm::HmacSha1,
        "https://hooks.example.com/voice",
        &form_urlencoded::parse(BODY.as_bytes()).collect::<Vec<_>>(),
    );
    assert!(!logs.contains(&expected), "{logs}");
}

#[test]
fn every_heap_copy_of_a_secret_is_wiped_before_it_is_freed() {
    paused(heap_copies());
}

async fn heap_copies() {
    scan_for(&SECRETS);
    {
        let statuses = drive(app(layer())).await;
        assert_eq!(
            statuses.iter().map(StatusCode::as_u16).collect::<Vec<_>>(),
            EXPECTED
        );
        let validator = RequestValidator::new(TOKEN).shared_key("k1", SHARED);
        let _ = format!("{validator:?}");
    }
    let found = found();
    assert!(found.is_empty(), "freed without being wiped: {found:?}");
}

#[test]
fn secrets_read_from_the_environment_are_wiped_too() {
    let keys = format!("k1={SHARED}, k2=other");
    let _env = common::set_env(&[
        ("TWILIO_AUTH_TOKEN", Some(TOKEN)),
        ("TWILIO_SECONDARY_AUTH_TOKEN", Some(SECONDARY)),
        ("TWILIO_SHARED_KEYS", Some(&keys)),
        ("TWILIO_BASE_URL", Some(BASE)),
    ]);
    scan_for(&SECRETS);
    {
        let layer = TwilioValidateLayer::from_env().unwrap();
        assert_no_secret("the layer from the environment", &format!("{layer:?}"));
    }
    let found = found();
    assert!(found.is_empty(), "freed without being wiped: {found:?}");
}

#[test]
fn the_scanner_finds_a_secret_left_in_freed_memory() {
    scan_for(&SECRETS);
    drop(String::from(PASSWORD));
    drop(Secret::from(TOKEN));
    assert_eq!(found(), [PASSWORD]);
}
