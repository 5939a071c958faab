//! The bearer stage with JWT access tokens (feature `jwt`): tokens minted
//! here with committed test keys (tests/data/bearer), the JWKS served by
//! axum over loopback and fetched with hyper-util's client, the layer behind
//! a real server on loopback.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::routing::{get, post};
use axum::{Extension, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tower::ServiceExt;
use tower_twilio::bearer::jwt::{Jwks, JwksFetcher, JwtVerifier};
use tower_twilio::bearer::{BearerClaims, BearerError};
use tower_twilio::{Rejection, Signer, TwilioValidateLayer, ValidatedWebhook};

use crate::common;

#[path = "../../examples/bearer.rs"]
#[allow(dead_code)]
mod example;

const TOKEN: &str = "bearer-test-auth-token";
const BASE: &str = "https://hooks.example.com";
const ISSUER: &str = "https://idp.example.com/";
const AUDIENCE: &str = "https://hooks.example.com/voice";
const SCOPE: &str = "twilio.webhooks";
const BODY: &str = "CallSid=CA123&From=%2B14155550100";

const RSA1: &[u8] = include_bytes!("../data/bearer/rsa1.der");
const RSA1_PUBLIC_PEM: &[u8] = include_bytes!("../data/bearer/rsa1.pub.pem");
const RSA2: &[u8] = include_bytes!("../data/bearer/rsa2.der");
const EC: &[u8] = include_bytes!("../data/bearer/ec.der");
const ED: &[u8] = include_bytes!("../data/bearer/ed.der");
const JWKS: &str = include_str!("../data/bearer/jwks.json");
const JWKS_ROTATED: &str = include_str!("../data/bearer/jwks-rotated.json");

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// What the AuthProfile's IdP would issue: valid for ten minutes.
fn claims() -> Value {
    json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "twilio-client",
        "client_id": "twilio-client",
        "scope": format!("openid {SCOPE}"),
        "iat": now(),
        "exp": now() + 600,
    })
}

fn with(mut claims: Value, name: &str, value: Value) -> Value {
    claims[name] = value;
    claims
}

fn without(mut claims: Value, name: &str) -> Value {
    claims.as_object_mut().unwrap().remove(name);
    claims
}

fn mint(alg: Algorithm, kid: &str, claims: &Value) -> String {
    let key = match alg {
        Algorithm::RS256 if kid == "rsa2" => EncodingKey::from_rsa_der(RSA2),
        Algorithm::RS256 => EncodingKey::from_rsa_der(RSA1),
        Algorithm::ES256 => EncodingKey::from_ec_der(EC),
        Algorithm::EdDSA => EncodingKey::from_ed_der(ED),
        _ => unreachable!(),
    };
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_owned());
    header.typ = Some("at+jwt".to_owned());
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

/// A token put together by hand: `header.payload.signature`.
fn forge(header: &Value, claims: &Value, signature: &[u8]) -> String {
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
    format!(
        "{}.{}.{}",
        part(header),
        part(claims),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

/// The IdP's `jwks_uri` on loopback: serves `document`, counts fetches.
#[derive(Clone)]
struct Idp {
    addr: SocketAddr,
    document: Arc<Mutex<String>>,
    fetches: Arc<AtomicUsize>,
}

impl Idp {
    async fn start(document: &str) -> Self {
        let document = Arc::new(Mutex::new(document.to_owned()));
        let fetches = Arc::new(AtomicUsize::new(0));
        let (doc, count) = (document.clone(), fetches.clone());
        let app = Router::new().route(
            "/jwks",
            get(move || {
                count.fetch_add(1, Ordering::SeqCst);
                let doc = doc.lock().unwrap().clone();
                async move { doc }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            addr,
            document,
            fetches,
        }
    }

    fn fetcher(&self) -> JwksFetcher {
        let client: Client<HttpConnector, String> =
            Client::builder(TokioExecutor::new()).build_http();
        JwksFetcher::new(client, &format!("http://{}/jwks", self.addr))
    }

    fn verifier(&self) -> JwtVerifier {
        JwtVerifier::with_fetcher(self.fetcher(), ISSUER, AUDIENCE).required_scope(SCOPE)
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

/// The webhook's router: the handler answers with what the token said.
fn router(verifier: JwtVerifier) -> Router {
    router_with(
        TwilioValidateLayer::new(TOKEN)
            .base_url(BASE)
            .bearer_auth(verifier),
    )
}

fn router_with(layer: TwilioValidateLayer) -> Router {
    Router::new()
        .route(
            "/voice",
            post(
                |claims: Extension<BearerClaims>, webhook: ValidatedWebhook| async move {
                    format!(
                        "{} {} {}",
                        claims.client_id.as_deref().unwrap_or("-"),
                        claims.scopes.join(","),
                        webhook.get("CallSid").unwrap_or("-")
                    )
                },
            ),
        )
        .layer(layer)
}

async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

struct Answer {
    status: StatusCode,
    challenge: Option<String>,
    body: String,
}

/// A webhook POST over loopback, signed unless `signature` says otherwise.
async fn post_webhook(addr: SocketAddr, token: Option<&str>, signature: Signature) -> Answer {
    let mut req = Request::post(format!("http://{addr}/voice"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(BODY.to_owned())
        .unwrap();
    match signature {
        Signature::Valid => Signer::new(TOKEN, BASE).sign(&mut req),
        Signature::Wrong => Signer::new("another token", BASE).sign(&mut req),
        Signature::Missing => {}
    }
    if let Some(token) = token {
        req.headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    let client = Client::builder(TokioExecutor::new()).build_http();
    let res = client
        .request(req.map(|b| Full::new(Bytes::from(b))))
        .await
        .unwrap();
    Answer {
        status: res.status(),
        challenge: res
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned()),
        body: String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec())
            .unwrap(),
    }
}

#[derive(Clone, Copy)]
enum Signature {
    Valid,
    Wrong,
    Missing,
}

/// The answer to `token`, signed, from a fresh layer and IdP.
async fn answer_to(token: &str) -> Answer {
    let idp = Idp::start(JWKS).await;
    let addr = serve(router(idp.verifier())).await;
    post_webhook(addr, Some(token), Signature::Valid).await
}

/// Refused with `401 invalid_token`, whose description and body do not say
/// which check it was (`error`: the typed reason is in the extensions, see
/// `the_reason_is_in_the_response_extensions`).
fn refused_as(answer: &Answer, error: BearerError) {
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
    assert_eq!(
        answer.challenge.as_deref(),
        Some(
            "Bearer realm=\"twilio\", error=\"invalid_token\", \
             error_description=\"the token is not accepted\""
        )
    );
    if error != BearerError::InvalidToken {
        assert!(!answer.body.contains(&error.to_string()), "{}", answer.body);
    }
    assert!(!answer.body.contains(error.as_str()), "{}", answer.body);
}

#[tokio::test]
async fn a_valid_token_and_signature_reach_the_handler_with_the_claims() {
    let idp = Idp::start(JWKS).await;
    let addr = serve(router(idp.verifier())).await;
    for (alg, kid) in [
        (Algorithm::RS256, "rsa1"),
        (Algorithm::ES256, "ec"),
        (Algorithm::EdDSA, "ed"),
    ] {
        let answer = post_webhook(addr, Some(&mint(alg, kid, &claims())), Signature::Valid).await;
        assert_eq!(answer.status, StatusCode::OK, "{alg:?}: {}", answer.body);
        assert_eq!(answer.body, "twilio-client openid,twilio.webhooks CA123");
    }
    // One fetch for the three keys.
    assert_eq!(idp.fetches(), 1);
}

#[tokio::test]
async fn scopes_are_read_from_an_scp_array_too() {
    let claims = with(without(claims(), "scope"), "scp", json!([SCOPE]));
    let answer = answer_to(&mint(Algorithm::EdDSA, "ed", &claims)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body, "twilio-client twilio.webhooks CA123");
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    // Past the 60 s leeway.
    let claims = with(claims(), "exp", json!(now() - 120));
    refused_as(
        &answer_to(&mint(Algorithm::RS256, "rsa1", &claims)).await,
        BearerError::Expired,
    );
}

#[tokio::test]
async fn a_token_expired_within_the_leeway_is_accepted() {
    let claims = with(claims(), "exp", json!(now() - 10));
    let answer = answer_to(&mint(Algorithm::RS256, "rsa1", &claims)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

#[tokio::test]
async fn a_token_without_exp_is_malformed() {
    let claims = without(claims(), "exp");
    refused_as(
        &answer_to(&mint(Algorithm::EdDSA, "ed", &claims)).await,
        BearerError::Malformed,
    );
}

#[tokio::test]
async fn a_token_not_yet_valid_is_refused() {
    let claims = with(claims(), "nbf", json!(now() + 300));
    refused_as(
        &answer_to(&mint(Algorithm::ES256, "ec", &claims)).await,
        BearerError::NotYetValid,
    );
}

#[tokio::test]
async fn a_token_from_another_issuer_is_refused() {
    let claims = with(claims(), "iss", json!("https://evil.example.com/"));
    refused_as(
        &answer_to(&mint(Algorithm::RS256, "rsa1", &claims)).await,
        BearerError::WrongIssuer,
    );
    let claims = without(self::claims(), "iss");
    refused_as(
        &answer_to(&mint(Algorithm::RS256, "rsa1", &claims)).await,
        BearerError::WrongIssuer,
    );
}

#[tokio::test]
async fn a_token_for_another_audience_is_refused() {
    let claims = with(claims(), "aud", json!("https://other.example.com/"));
    refused_as(
        &answer_to(&mint(Algorithm::RS256, "rsa1", &claims)).await,
        BearerError::WrongAudience,
    );
    let claims = without(self::claims(), "aud");
    refused_as(
        &answer_to(&mint(Algorithm::RS256, "rsa1", &claims)).await,
        BearerError::WrongAudience,
    );
}

#[tokio::test]
async fn an_audience_array_that_holds_the_audience_is_accepted() {
    let claims = with(
        claims(),
        "aud",
        json!(["https://api.example.com", AUDIENCE]),
    );
    let answer = answer_to(&mint(Algorithm::RS256, "rsa1", &claims)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

/// A token the IdP issued to another of its clients, for the same
/// audience and scope, is refused once the AuthProfile's client is required;
/// `azp` stands for a missing `client_id`.
#[tokio::test]
async fn a_token_for_another_client_is_refused_when_the_client_is_required() {
    let idp = Idp::start(JWKS).await;
    let addr = serve(router(idp.verifier().required_client_id("twilio-client"))).await;
    let ours = mint(Algorithm::RS256, "rsa1", &claims());
    let answer = post_webhook(addr, Some(&ours), Signature::Valid).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let by_azp = with(
        without(claims(), "client_id"),
        "azp",
        json!("twilio-client"),
    );
    let answer = post_webhook(
        addr,
        Some(&mint(Algorithm::RS256, "rsa1", &by_azp)),
        Signature::Valid,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    for claims in [
        with(claims(), "client_id", json!("another-client")),
        without(claims(), "client_id"),
    ] {
        let token = mint(Algorithm::RS256, "rsa1", &claims);
        refused_as(
            &post_webhook(addr, Some(&token), Signature::Valid).await,
            BearerError::WrongClient,
        );
    }
}

#[tokio::test]
async fn a_token_lacking_the_scope_gets_403_insufficient_scope() {
    let claims = with(claims(), "scope", json!("openid profile"));
    let answer = answer_to(&mint(Algorithm::RS256, "rsa1", &claims)).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(
        answer.challenge.as_deref(),
        Some(
            "Bearer realm=\"twilio\", error=\"insufficient_scope\", \
             error_description=\"the token lacks a required scope\""
        )
    );
}

#[tokio::test]
async fn an_unknown_kid_refetches_the_jwks_then_is_refused() {
    let idp = Idp::start(JWKS).await;
    let verifier = JwtVerifier::with_fetcher(
        idp.fetcher().min_refetch_interval(Duration::ZERO),
        ISSUER,
        AUDIENCE,
    );
    let addr = serve(router(verifier)).await;
    let known = mint(Algorithm::RS256, "rsa1", &claims());
    assert_eq!(
        post_webhook(addr, Some(&known), Signature::Valid)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(idp.fetches(), 1);
    // rsa2 is not in the JWKS: fetched again, still unknown.
    let unknown = mint(Algorithm::RS256, "rsa2", &claims());
    let answer = post_webhook(addr, Some(&unknown), Signature::Valid).await;
    refused_as(&answer, BearerError::UnknownKey);
    assert_eq!(idp.fetches(), 2);
}

/// A token whose key is not among those held, while the JWKS URL fails,
/// is not judged (503, Twilio retries) rather than refused: the key may be
/// one the IdP has just published.
#[tokio::test]
async fn an_unknown_kid_while_the_jwks_fails_gets_503_then_200_once_it_is_back() {
    let idp = Idp::start(JWKS).await;
    let verifier = JwtVerifier::with_fetcher(
        idp.fetcher().min_refetch_interval(Duration::ZERO),
        ISSUER,
        AUDIENCE,
    );
    let addr = serve(router(verifier)).await;
    let known = mint(Algorithm::RS256, "rsa1", &claims());
    let answer = post_webhook(addr, Some(&known), Signature::Valid).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);

    *idp.document.lock().unwrap() = "not a key set".to_owned();
    let rotated = mint(Algorithm::RS256, "rsa2", &claims());
    let answer = post_webhook(addr, Some(&rotated), Signature::Valid).await;
    assert_eq!(
        answer.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        answer.body
    );
    // The keys held before still serve the tokens they verify.
    let answer = post_webhook(addr, Some(&known), Signature::Valid).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);

    *idp.document.lock().unwrap() = JWKS_ROTATED.to_owned();
    let answer = post_webhook(addr, Some(&rotated), Signature::Valid).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

#[tokio::test]
async fn a_key_rotated_in_at_the_jwks_url_is_picked_up_on_refetch() {
    let idp = Idp::start(JWKS).await;
    let verifier = JwtVerifier::with_fetcher(
        idp.fetcher().min_refetch_interval(Duration::ZERO),
        ISSUER,
        AUDIENCE,
    );
    let addr = serve(router(verifier)).await;
    let old = mint(Algorithm::RS256, "rsa1", &claims());
    assert_eq!(
        post_webhook(addr, Some(&old), Signature::Valid)
            .await
            .status,
        StatusCode::OK
    );
    *idp.document.lock().unwrap() = JWKS_ROTATED.to_owned();
    let new = mint(Algorithm::RS256, "rsa2", &claims());
    let answer = post_webhook(addr, Some(&new), Signature::Valid).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(idp.fetches(), 2);
}

#[tokio::test]
async fn alg_none_is_refused() {
    let header = json!({"alg": "none", "typ": "JWT", "kid": "rsa1"});
    refused_as(
        &answer_to(&forge(&header, &claims(), b"")).await,
        BearerError::AlgorithmNotAllowed,
    );
}

#[tokio::test]
async fn an_hs256_token_keyed_with_the_rsa_public_key_is_refused() {
    // The classic confusion: an HMAC whose "secret" is the public key.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("rsa1".to_owned());
    let token = jsonwebtoken::encode(
        &header,
        &claims(),
        &EncodingKey::from_secret(RSA1_PUBLIC_PEM),
    )
    .unwrap();
    refused_as(&answer_to(&token).await, BearerError::AlgorithmNotAllowed);
}

#[tokio::test]
async fn a_token_whose_alg_is_not_its_keys_is_refused() {
    // ES256 named for the RSA key: the algorithm comes from the key.
    let token = mint(Algorithm::ES256, "ec", &claims());
    let (_, rest) = token.split_once('.').unwrap();
    let header = json!({"alg": "ES256", "kid": "rsa1"});
    let token = format!(
        "{}.{rest}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap())
    );
    refused_as(&answer_to(&token).await, BearerError::AlgorithmNotAllowed);
}

#[tokio::test]
async fn a_tampered_payload_is_refused() {
    let token = mint(Algorithm::RS256, "rsa1", &claims());
    let parts: Vec<&str> = token.split('.').collect();
    let tampered = with(claims(), "scope", json!(format!("{SCOPE} admin")));
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&tampered).unwrap());
    let token = format!("{}.{payload}.{}", parts[0], parts[2]);
    refused_as(&answer_to(&token).await, BearerError::BadSignature);
}

#[tokio::test]
async fn a_token_of_another_type_is_refused() {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some("ed".to_owned());
    header.typ = Some("logout+jwt".to_owned());
    let token = jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_ed_der(ED)).unwrap();
    refused_as(&answer_to(&token).await, BearerError::WrongType);
}

#[tokio::test]
async fn a_valid_token_with_a_missing_or_wrong_signature_gets_403() {
    let idp = Idp::start(JWKS).await;
    let addr = serve(router(idp.verifier())).await;
    let token = mint(Algorithm::RS256, "rsa1", &claims());
    for signature in [Signature::Missing, Signature::Wrong] {
        let answer = post_webhook(addr, Some(&token), signature).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
        assert_eq!(answer.challenge, None);
    }
}

#[tokio::test]
async fn no_token_gets_401_with_a_bare_challenge() {
    let idp = Idp::start(JWKS).await;
    let addr = serve(router(idp.verifier())).await;
    let answer = post_webhook(addr, None, Signature::Valid).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.challenge.as_deref(), Some("Bearer realm=\"twilio\""));
    assert_eq!(idp.fetches(), 0);
}

/// Sends the head of a signed POST with `authorization`, announcing a body
/// it does not send, and reads the answer.
async fn answer_before_the_body(addr: SocketAddr, authorization: &str) -> common::Wire {
    let mut req = Request::post("/voice")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(BODY.to_owned())
        .unwrap();
    Signer::new(TOKEN, BASE).sign(&mut req);
    let mut head = format!("POST /voice HTTP/1.1\r\nhost: {addr}\r\n");
    for (name, value) in req.headers() {
        head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    head.push_str(&format!(
        "{authorization}content-length: {}\r\n\r\n",
        BODY.len()
    ));
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    // The body is never sent: the answer must come without it.
    tokio::time::timeout(
        Duration::from_secs(10),
        common::read_response(&mut stream, true),
    )
    .await
    .expect("answered before the body was sent")
    .expect("an answer")
}

#[tokio::test]
async fn no_token_is_answered_401_before_the_body_is_sent() {
    let idp = Idp::start(JWKS).await;
    let addr = serve(router(idp.verifier())).await;
    let wire = answer_before_the_body(addr, "").await;
    assert_eq!(wire.status, 401);
    assert_eq!(
        wire.header("www-authenticate"),
        Some("Bearer realm=\"twilio\"")
    );
}

#[tokio::test]
async fn a_refused_token_is_answered_401_before_the_body_is_sent() {
    let idp = Idp::start(JWKS).await;
    let addr = serve(router(idp.verifier())).await;
    let expired = mint(
        Algorithm::EdDSA,
        "ed",
        &with(claims(), "exp", json!(now() - 3600)),
    );
    let wire = answer_before_the_body(addr, &format!("authorization: Bearer {expired}\r\n")).await;
    assert_eq!(wire.status, 401);
    assert!(wire
        .header("www-authenticate")
        .unwrap()
        .contains("error=\"invalid_token\""));
}

#[tokio::test]
async fn a_flood_of_unknown_kids_costs_one_jwks_fetch() {
    let idp = Idp::start(JWKS).await;
    let router = router(idp.verifier());
    // Unknown kids are refused before any signature is checked, so the
    // tokens need none.
    let tasks: Vec<_> = (0..1000)
        .map(|i| {
            let header = json!({"alg": "EdDSA", "kid": format!("made-up-{i}")});
            let token = forge(&header, &claims(), b"not a signature");
            let mut req = Request::post("/voice")
                .header("content-type", "application/x-www-form-urlencoded")
                .header("authorization", format!("Bearer {token}"))
                .body(BODY.to_owned())
                .unwrap();
            Signer::new(TOKEN, BASE).sign(&mut req);
            let router = router.clone();
            tokio::spawn(async move {
                let res = router.oneshot(req.map(axum::body::Body::from)).await;
                res.unwrap().status()
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), StatusCode::UNAUTHORIZED);
    }
    assert!(idp.fetches() <= 2, "{} fetches", idp.fetches());
    assert_eq!(idp.fetches(), 1);
}

#[tokio::test]
async fn the_reason_is_in_the_response_extensions() {
    let idp = Idp::start(JWKS).await;
    let token = mint(
        Algorithm::RS256,
        "rsa1",
        &with(claims(), "iss", json!("https://evil.example.com/")),
    );
    let mut req = Request::post("/voice")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("authorization", format!("Bearer {token}"))
        .body(BODY.to_owned())
        .unwrap();
    Signer::new(TOKEN, BASE).sign(&mut req);
    let res = router(idp.verifier())
        .oneshot(req.map(axum::body::Body::from))
        .await
        .unwrap();
    assert_eq!(
        res.extensions().get::<BearerError>(),
        Some(&BearerError::WrongIssuer)
    );
    assert_eq!(
        res.extensions().get::<Rejection>(),
        Some(&Rejection::Unauthenticated)
    );
}

#[tokio::test]
async fn an_unreachable_jwks_gets_503_without_a_challenge() {
    // A port nothing listens on any more.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = listener.local_addr().unwrap();
    drop(listener);
    let client: Client<HttpConnector, String> = Client::builder(TokioExecutor::new()).build_http();
    let fetcher = JwksFetcher::new(client, &format!("http://{dead}/jwks"));
    let addr = serve(router(JwtVerifier::with_fetcher(fetcher, ISSUER, AUDIENCE))).await;
    let token = mint(Algorithm::RS256, "rsa1", &claims());
    let answer = post_webhook(addr, Some(&token), Signature::Valid).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.challenge, None);
}

#[tokio::test]
async fn a_jwks_over_the_size_bound_is_not_read() {
    let idp = Idp::start(&format!(
        "{{\"keys\": [], \"pad\": \"{}\"}}",
        "a".repeat(4096)
    ))
    .await;
    let verifier = JwtVerifier::with_fetcher(idp.fetcher().max_bytes(1024), ISSUER, AUDIENCE);
    let addr = serve(router(verifier)).await;
    let token = mint(Algorithm::RS256, "rsa1", &claims());
    let answer = post_webhook(addr, Some(&token), Signature::Valid).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(idp.fetches(), 1);
}

fn unsigned_router(verifier: JwtVerifier) -> Router {
    Router::new()
        .route(
            "/voice",
            post(
                |claims: Extension<BearerClaims>,
                 webhook: Option<Extension<ValidatedWebhook>>,
                 body: String| async move {
                    format!(
                        "{} {} {body}",
                        claims.client_id.as_deref().unwrap_or("-"),
                        webhook.is_some()
                    )
                },
            ),
        )
        .layer(
            TwilioValidateLayer::new(TOKEN)
                .base_url(BASE)
                .bearer_auth(verifier)
                .dangerously_skip_signature_with_bearer_only(),
        )
}

#[tokio::test]
async fn skipping_the_signature_lets_a_valid_token_alone_through_without_a_webhook() {
    let idp = Idp::start(JWKS).await;
    let addr = serve(unsigned_router(idp.verifier())).await;
    let token = mint(Algorithm::EdDSA, "ed", &claims());
    let answer = post_webhook(addr, Some(&token), Signature::Missing).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body, format!("twilio-client false {BODY}"));
}

#[tokio::test]
async fn skipping_the_signature_still_requires_the_token() {
    let idp = Idp::start(JWKS).await;
    let addr = serve(unsigned_router(idp.verifier())).await;
    let answer = post_webhook(addr, None, Signature::Missing).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let expired = mint(
        Algorithm::EdDSA,
        "ed",
        &with(claims(), "exp", json!(now() - 3600)),
    );
    let answer = post_webhook(addr, Some(&expired), Signature::Missing).await;
    refused_as(&answer, BearerError::Expired);
}

#[test]
fn the_readme_shows_the_bearer_example_as_it_is() {
    common::assert_readme_shows(include_str!("../../examples/bearer.rs"));
}

#[tokio::test]
async fn the_bearer_example_answers_a_token_and_a_signature() {
    let idp = Idp::start(JWKS).await;
    let jwks_url = format!("http://{}/jwks", idp.addr);
    let config = example::Idp {
        issuer: ISSUER,
        audience: AUDIENCE,
        scope: SCOPE,
        jwks_url: &jwks_url,
    };
    let addr = serve(example::app(TOKEN, BASE, &config)).await;
    let token = mint(Algorithm::ES256, "ec", &claims());
    let answer = post_webhook(addr, Some(&token), Signature::Valid).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(answer.body.contains("Authenticated and signed."));
    let answer = post_webhook(addr, None, Signature::Valid).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_fetch_goes_on_when_the_request_that_started_it_is_dropped() {
    // A JWKS that is answered only once the gate opens.
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let fetches = Arc::new(AtomicUsize::new(0));
    let (g, count) = (gate.clone(), fetches.clone());
    let app = Router::new().route(
        "/jwks",
        get(move || {
            count.fetch_add(1, Ordering::SeqCst);
            let g = g.clone();
            async move {
                let _permit = g.acquire().await.unwrap();
                JWKS
            }
        }),
    );
    let addr = serve(app).await;
    let client: Client<HttpConnector, String> = Client::builder(TokioExecutor::new()).build_http();
    let fetcher = JwksFetcher::new(client, &format!("http://{addr}/jwks"));
    let verifier = JwtVerifier::with_fetcher(fetcher, ISSUER, AUDIENCE);
    let token = mint(Algorithm::EdDSA, "ed", &claims());
    // The first request starts the fetch, then its client goes away.
    let first = tokio::spawn({
        let verifier = verifier.clone();
        let token = token.clone();
        async move { tower_twilio::bearer::BearerVerifier::verify(&verifier, &token).await }
    });
    while fetches.load(Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
    first.abort();
    assert!(first.await.unwrap_err().is_cancelled());
    gate.add_permits(10);
    // The next one gets the keys that fetch brought, without another.
    let claims = tower_twilio::bearer::BearerVerifier::verify(&verifier, &token)
        .await
        .unwrap();
    assert_eq!(claims.client_id.as_deref(), Some("twilio-client"));
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn hostile_authorization_values_are_refused_never_a_panic_or_500() {
    let idp = Idp::start(JWKS).await;
    let router = router(idp.verifier());
    let part = |json: &str| URL_SAFE_NO_PAD.encode(json);
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let huge = format!("Bearer {}", "a".repeat(16 * 1024));
    let cases: Vec<Vec<u8>> = vec![
        huge.into_bytes(),
        b"Bearer \xff\xfe".to_vec(),
        b"Bearer".to_vec(),
        b"Bearer a.b".to_vec(),
        b"Bearer ....".to_vec(),
        format!(
            "Bearer {}.{}.",
            part("{\"alg\":\"EdDSA\",\"kid\":\"ed\"}"),
            part(&deep)
        )
        .into_bytes(),
        format!("Bearer {}.e30.AA", part(&deep)).into_bytes(),
        format!(
            "Bearer {}.e30.AA",
            part("{\"alg\":\"RS256\",\"kid\":\"rsa1\"}")
        )
        .into_bytes(),
        format!(
            "Bearer {}.e30.AA",
            part("{\"alg\":\"EdDSA\",\"kid\":\"ed\"}")
        )
        .into_bytes(),
        format!(
            "Bearer {}.{}.AA",
            part("{\"alg\":\"ES256\",\"kid\":\"ec\"}"),
            part("{\"exp\":1e400,\"iss\":[],\"aud\":{}}")
        )
        .into_bytes(),
        format!("Bearer {}.bm90IGpzb24.AA", part("{\"alg\":\"EdDSA\"}")).into_bytes(),
    ];
    for value in cases {
        let mut req = Request::post("/voice")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(BODY.to_owned())
            .unwrap();
        Signer::new(TOKEN, BASE).sign(&mut req);
        req.headers_mut().insert(
            "authorization",
            http::HeaderValue::from_bytes(&value).unwrap(),
        );
        let res = router
            .clone()
            .oneshot(req.map(axum::body::Body::from))
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::UNAUTHORIZED,
            "{}",
            String::from_utf8_lossy(&value[..value.len().min(80)])
        );
    }
    // Two Authorization headers: malformed, not one of them picked.
    let token = mint(Algorithm::EdDSA, "ed", &claims());
    let mut req = Request::post("/voice")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("authorization", format!("Bearer {token}"))
        .header("authorization", format!("Bearer {token}"))
        .body(BODY.to_owned())
        .unwrap();
    Signer::new(TOKEN, BASE).sign(&mut req);
    let res = router
        .oneshot(req.map(axum::body::Body::from))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        res.extensions().get::<BearerError>(),
        Some(&BearerError::Malformed)
    );
}

#[tokio::test]
async fn an_issuer_array_is_refused_even_if_it_holds_the_issuer() {
    // RFC 7519 §4.1.1: `iss` is one StringOrURI, not a list to pick from.
    for iss in [
        json!([ISSUER, "https://evil.example.com/"]),
        json!([ISSUER]),
    ] {
        let claims = with(claims(), "iss", iss);
        refused_as(
            &answer_to(&mint(Algorithm::RS256, "rsa1", &claims)).await,
            BearerError::WrongIssuer,
        );
    }
}

#[tokio::test]
async fn a_key_whose_key_ops_exclude_verify_is_not_used() {
    // RFC 7517 §4.3: a key is for the operations `key_ops` lists.
    let mut jwks: Value = serde_json::from_str(JWKS).unwrap();
    jwks["keys"][0]["key_ops"] = json!(["encrypt"]);
    jwks["keys"][0].as_object_mut().unwrap().remove("use");
    let idp = Idp::start(&jwks.to_string()).await;
    let addr = serve(router(idp.verifier())).await;
    let token = mint(Algorithm::RS256, "rsa1", &claims());
    let answer = post_webhook(addr, Some(&token), Signature::Valid).await;
    refused_as(&answer, BearerError::UnknownKey);
    // One that lists `verify` is used.
    jwks["keys"][0]["key_ops"] = json!(["verify"]);
    let idp = Idp::start(&jwks.to_string()).await;
    let addr = serve(router(idp.verifier())).await;
    let answer = post_webhook(addr, Some(&token), Signature::Valid).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

#[tokio::test]
async fn scopes_are_separated_by_spaces_only() {
    // RFC 6749 §3.3: scope-tokens are separated by SP; a tab or another
    // white space is no separator (nor is it allowed in a scope-token).
    for scope in ["openid\ttwilio.webhooks", "openid\u{a0}twilio.webhooks"] {
        let claims = with(claims(), "scope", json!(scope));
        let answer = answer_to(&mint(Algorithm::EdDSA, "ed", &claims)).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{scope:?}");
    }
    // Extra spaces are only spaces.
    let claims = with(claims(), "scope", json!("  openid   twilio.webhooks "));
    let answer = answer_to(&mint(Algorithm::EdDSA, "ed", &claims)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

#[tokio::test]
async fn jku_x5u_and_jwk_header_parameters_are_never_fetched_nor_trusted() {
    // The attacker's own key set, named by the token: rsa2 is not the IdP's.
    let attacker = Idp::start(JWKS_ROTATED).await;
    let rotated: Value = serde_json::from_str(JWKS_ROTATED).unwrap();
    let rsa2 = rotated["keys"][1].clone();
    assert_eq!(rsa2["kid"], "rsa2");
    let idp = Idp::start(JWKS).await;
    let addr = serve(router(idp.verifier())).await;
    let url = format!("http://{}/jwks", attacker.addr);
    let mut header = Header::new(Algorithm::RS256);
    header.typ = Some("at+jwt".to_owned());
    header.jku = Some(url.clone());
    header.x5u = Some(url);
    header.jwk = Some(serde_json::from_value(rsa2).unwrap());
    let signed = |header: &Header| {
        jsonwebtoken::encode(header, &claims(), &EncodingKey::from_rsa_der(RSA2)).unwrap()
    };
    header.kid = Some("rsa2".to_owned());
    let answer = post_webhook(addr, Some(&signed(&header)), Signature::Valid).await;
    refused_as(&answer, BearerError::UnknownKey);
    // Named for the IdP's key, or for none: the IdP's key is used.
    header.kid = Some("rsa1".to_owned());
    let answer = post_webhook(addr, Some(&signed(&header)), Signature::Valid).await;
    refused_as(&answer, BearerError::BadSignature);
    header.kid = None;
    let answer = post_webhook(addr, Some(&signed(&header)), Signature::Valid).await;
    refused_as(&answer, BearerError::BadSignature);
    assert_eq!(attacker.fetches(), 0);
}

#[tokio::test]
async fn mistyped_or_out_of_range_claims_are_refused() {
    let cases = [
        ("iss", json!(7), BearerError::WrongIssuer),
        ("iss", json!(null), BearerError::WrongIssuer),
        ("aud", json!(""), BearerError::WrongAudience),
        ("aud", json!([]), BearerError::WrongAudience),
        ("aud", json!(7), BearerError::WrongAudience),
        (
            "aud",
            json!([7, AUDIENCE.to_owned() + "/"]),
            BearerError::WrongAudience,
        ),
        (
            "exp",
            json!((now() + 600).to_string()),
            BearerError::Malformed,
        ),
        ("exp", json!(-1), BearerError::Malformed),
        ("exp", json!(1e20), BearerError::Malformed),
        ("exp", json!(0), BearerError::Expired),
        (
            "nbf",
            json!((now() + 600).to_string()),
            BearerError::Malformed,
        ),
        ("nbf", json!(u64::MAX), BearerError::NotYetValid),
        ("nbf", json!(-1), BearerError::Malformed),
    ];
    let idp = Idp::start(JWKS).await;
    let addr = serve(router(idp.verifier())).await;
    for (name, value, error) in cases {
        let claims = with(claims(), name, value.clone());
        let token = mint(Algorithm::EdDSA, "ed", &claims);
        let answer = post_webhook(addr, Some(&token), Signature::Valid).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{name}: {value}");
        refused_as(&answer, error);
    }
    // A far future `exp`, as a float too, is only a long-lived token.
    for exp in [json!(u64::MAX), json!((now() + 600) as f64 + 0.5)] {
        let token = mint(Algorithm::EdDSA, "ed", &with(claims(), "exp", exp));
        let answer = post_webhook(addr, Some(&token), Signature::Valid).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    }
}

#[tokio::test]
async fn a_required_scope_is_matched_whole_never_as_a_part() {
    for scope in [
        format!("{SCOPE}:read"),
        format!("x{SCOPE}"),
        "twilio".to_owned(),
        SCOPE.to_uppercase(),
    ] {
        let claims = with(claims(), "scope", json!(scope));
        let answer = answer_to(&mint(Algorithm::EdDSA, "ed", &claims)).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{scope}");
        let claims = with(without(claims, "scope"), "scp", json!([scope]));
        let answer = answer_to(&mint(Algorithm::EdDSA, "ed", &claims)).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{scope}");
    }
}

/// How a hostile `jwks_uri` answers.
#[derive(Clone, Copy)]
enum Raw {
    /// Never.
    Hang,
    /// With these bytes, status line to body, then closes.
    Answer(&'static str),
    /// With a 200 and a chunked body that never ends.
    Endless,
}

async fn raw_jwks(raw: Raw) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut stream, _)) = listener.accept().await {
            match raw {
                Raw::Hang => held.push(stream),
                Raw::Answer(answer) => {
                    let _ = stream.write_all(answer.as_bytes()).await;
                }
                Raw::Endless => {
                    tokio::spawn(async move {
                        let head = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n";
                        let chunk = format!("4000\r\n{}\r\n", " ".repeat(0x4000));
                        let _ = stream.write_all(head.as_bytes()).await;
                        while stream.write_all(chunk.as_bytes()).await.is_ok() {}
                    });
                }
            }
        }
    });
    addr
}

fn raw_verifier(addr: SocketAddr) -> JwtVerifier {
    let client: Client<HttpConnector, String> = Client::builder(TokioExecutor::new()).build_http();
    let fetcher = JwksFetcher::new(client, &format!("http://{addr}/jwks"))
        .timeout(Duration::from_millis(300));
    JwtVerifier::with_fetcher(fetcher, ISSUER, AUDIENCE)
}

#[tokio::test]
async fn a_jwks_url_that_never_answers_gives_503_after_the_timeout() {
    let addr = serve(router(raw_verifier(raw_jwks(Raw::Hang).await))).await;
    let token = mint(Algorithm::EdDSA, "ed", &claims());
    let answer = tokio::time::timeout(
        Duration::from_secs(10),
        post_webhook(addr, Some(&token), Signature::Valid),
    )
    .await
    .expect("answered after the JWKS timeout");
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn a_redirect_an_error_or_not_json_from_the_jwks_url_gives_503() {
    let idp = Idp::start(JWKS).await;
    let redirect: &'static str = Box::leak(
        format!(
            "HTTP/1.1 302 Found\r\nlocation: http://{}/jwks\r\ncontent-length: 0\r\n\r\n",
            idp.addr
        )
        .into_boxed_str(),
    );
    for answer in [
        redirect,
        "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\nnot json!",
        "HTTP/1.1 200 OK\r\ncontent-length: 12\r\n\r\n{\"keys\": []}",
    ] {
        let addr = serve(router(raw_verifier(raw_jwks(Raw::Answer(answer)).await))).await;
        let token = mint(Algorithm::EdDSA, "ed", &claims());
        let answer = post_webhook(addr, Some(&token), Signature::Valid).await;
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    }
    assert_eq!(idp.fetches(), 0);
}

#[tokio::test]
async fn a_jwks_body_without_end_is_cut_at_the_bound() {
    let addr = serve(router(raw_verifier(raw_jwks(Raw::Endless).await))).await;
    let token = mint(Algorithm::EdDSA, "ed", &claims());
    let answer = post_webhook(addr, Some(&token), Signature::Valid).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn a_jwks_of_thousands_of_keys_is_read_within_the_bound() {
    let mut jwks: Value = serde_json::from_str(JWKS).unwrap();
    let ed = jwks["keys"][2].clone();
    let keys = jwks["keys"].as_array_mut().unwrap();
    for i in 0..5000 {
        let mut key = ed.clone();
        key["kid"] = json!(format!("ed-{i}"));
        keys.insert(0, key);
    }
    let document = jwks.to_string();
    assert!(document.len() < 1024 * 1024);
    let idp = Idp::start(&document).await;
    let addr = serve(router(idp.verifier())).await;
    let token = mint(Algorithm::EdDSA, "ed", &claims());
    let answer = post_webhook(addr, Some(&token), Signature::Valid).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    // Without a kid, 5001 keys for EdDSA are ambiguous: no key is guessed.
    let mut header = Header::new(Algorithm::EdDSA);
    header.typ = Some("at+jwt".to_owned());
    let token = jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_ed_der(ED)).unwrap();
    let answer = post_webhook(addr, Some(&token), Signature::Valid).await;
    refused_as(&answer, BearerError::UnknownKey);
    assert_eq!(idp.fetches(), 1);
}

#[tokio::test]
async fn skipping_the_signature_the_replay_guard_and_twilio_form_refuse_the_request() {
    // Nothing signed the request: neither may treat it as Twilio's.
    let idp = Idp::start(JWKS).await;
    let called = Arc::new(AtomicUsize::new(0));
    let layer = || {
        TwilioValidateLayer::new(TOKEN)
            .base_url(BASE)
            .bearer_auth(idp.verifier())
            .dangerously_skip_signature_with_bearer_only()
    };
    let count = called.clone();
    let guarded = Router::new()
        .route(
            "/voice",
            post(move || {
                count.fetch_add(1, Ordering::SeqCst);
                async { "handled" }
            }),
        )
        .layer(tower_twilio::replay::ReplayGuardLayer::in_memory())
        .layer(layer());
    let count = called.clone();
    let form = Router::new()
        .route(
            "/voice",
            post(
                move |_: tower_twilio::TwilioForm<std::collections::HashMap<String, String>>| {
                    count.fetch_add(1, Ordering::SeqCst);
                    async { "handled" }
                },
            ),
        )
        .layer(layer());
    let token = mint(Algorithm::EdDSA, "ed", &claims());
    for router in [guarded, form] {
        let addr = serve(router).await;
        let answer = post_webhook(addr, Some(&token), Signature::Valid).await;
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    }
    assert_eq!(called.load(Ordering::SeqCst), 0);
}

#[test]
#[should_panic(expected = "invalid Twilio configuration: the JWT verifier's issuer is empty")]
fn an_empty_issuer_is_refused_when_the_verifier_is_built() {
    let jwks = Jwks::from_json(JWKS.as_bytes()).unwrap();
    let _ = JwtVerifier::with_jwks(jwks, "", AUDIENCE);
}

#[test]
#[should_panic(expected = "invalid Twilio configuration: the JWT verifier's audience is empty")]
fn an_empty_audience_is_refused_when_the_verifier_is_built() {
    let jwks = Jwks::from_json(JWKS.as_bytes()).unwrap();
    let _ = JwtVerifier::with_jwks(jwks, ISSUER, " ");
}

/// `JWKS_ROTATED`'s keys with `kid` renamed: `rsa2` first, then `rsa1`,
/// both called `shared`.
fn jwks_with_a_shared_kid() -> Jwks {
    let mut document: Value = serde_json::from_str(JWKS_ROTATED).unwrap();
    let keys = document["keys"].as_array_mut().unwrap();
    let rsa = |kid: &str| {
        keys.iter()
            .find(|k| k["kid"] == kid)
            .cloned()
            .map(|k| with(k, "kid", json!("shared")))
            .unwrap()
    };
    let shared = vec![rsa("rsa2"), rsa("rsa1")];
    *keys = shared;
    Jwks::from_json(document.to_string().as_bytes()).unwrap()
}

#[tokio::test]
async fn every_key_sharing_a_kid_is_tried() {
    let verifier = JwtVerifier::with_jwks(jwks_with_a_shared_kid(), ISSUER, AUDIENCE);
    let addr = serve(router(verifier)).await;
    // Signed with rsa1, the second key called `shared`.
    let token = mint(Algorithm::RS256, "shared", &claims());
    let answer = post_webhook(addr, Some(&token), Signature::Valid).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    // A token no key of that `kid` signed is still refused.
    let at = token.len() - 10;
    let flipped = if &token[at..=at] == "A" { "B" } else { "A" };
    let tampered = format!("{}{flipped}{}", &token[..at], &token[at + 1..]);
    refused_as(
        &post_webhook(addr, Some(&tampered), Signature::Valid).await,
        BearerError::BadSignature,
    );
}
