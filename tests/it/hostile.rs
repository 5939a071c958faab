//! Hostile input: one test per kind of bad request.
//!
//! Each test asserts the exact status and reason, that the inner service was
//! not called, and that the same server then still answers a good request
//! with 200. Most drive the layer through `oneshot`; those about framing (a
//! `Content-Length` that lies, chunked bodies, a client that stops, request
//! targets that are not a path) go through a real server on 127.0.0.1 and a
//! raw TCP client.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use std::time::{Duration, SystemTime};

use axum::body::{Body, Bytes};
use axum::Router;
use futures_util::StreamExt as _;
use http::{HeaderValue, Request, StatusCode};
use http_body_util::BodyExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower::ServiceExt;
use tower_twilio::auth::{AuthFailure, HttpAuth, MAX_AUTHORIZATION_LEN};

use crate::common::alloc::{live_bytes, peak_bytes, reset_peak};
use crate::common::{self, digest, PanickingBody, Wire};
use tower_twilio::{
    compute_signature, Algorithm, Rejection, RequestValidator, Signer, TwilioValidateLayer,
};

const TOKEN: &str = "hostile-auth-token";
const BASE: &str = "https://mycompany.com";
const FORM: &str = "application/x-www-form-urlencoded";
const BODY: &str = "CallSid=CA1234567890ABCDE&From=%2B14158675309&To=%2B18005551212";
/// Well-formed, of the right length, and wrong.
const FORGED: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=";

fn layer() -> TwilioValidateLayer {
    TwilioValidateLayer::new(TOKEN).base_url(BASE)
}

fn layer_with_shared_key() -> TwilioValidateLayer {
    TwilioValidateLayer::with_validator(RequestValidator::new(TOKEN).shared_key("k1", "shared"))
        .base_url(BASE)
}

// ---------------------------------------------------------------------------
// Through `oneshot`.

/// A router behind the layer whose only handler counts its calls.
#[derive(Clone)]
struct App {
    router: Router,
    calls: Arc<AtomicUsize>,
}

struct Answer {
    status: StatusCode,
    rejection: Option<Rejection>,
    failure: Option<AuthFailure>,
    body: String,
}

impl App {
    fn new(layer: TwilioValidateLayer) -> Self {
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = calls.clone();
        let router = Router::new()
            .fallback(move |req: Request<Body>| {
                counted.fetch_add(1, Ordering::SeqCst);
                async move {
                    let _ = req.into_body().collect().await;
                    "ok"
                }
            })
            .layer(layer);
        Self { router, calls }
    }

    async fn send(&self, req: Request<Body>) -> Answer {
        let res = self.router.clone().oneshot(req).await.unwrap();
        Answer {
            status: res.status(),
            rejection: res.extensions().get::<Rejection>().copied(),
            failure: res.extensions().get::<AuthFailure>().copied(),
            body: String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes())
                .into_owned(),
        }
    }

    /// Sends `req`, expects `status` for `rejection` without a call to the
    /// inner service, then a good request that is served.
    async fn refuses(
        &self,
        req: Request<Body>,
        status: StatusCode,
        rejection: Rejection,
    ) -> Answer {
        let answer = self.send(req).await;
        assert_eq!(
            (answer.status, answer.rejection),
            (status, Some(rejection)),
            "{}",
            answer.body
        );
        assert_eq!(
            self.calls.load(Ordering::SeqCst),
            0,
            "the inner service was called"
        );
        assert!(!answer.body.contains(TOKEN));
        self.serves_a_good_request().await;
        answer
    }

    async fn serves_a_good_request(&self) {
        let before = self.calls.load(Ordering::SeqCst);
        let answer = self.send(good_request().map(Body::from)).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        assert_eq!(self.calls.load(Ordering::SeqCst), before + 1);
    }
}

/// A form POST to `/voice` that Twilio signed.
fn good_request() -> Request<String> {
    let mut req = form_post("/voice", BODY);
    Signer::new(TOKEN, BASE).sign(&mut req);
    req
}

fn form_post(uri: &str, body: &str) -> Request<String> {
    Request::post(uri)
        .header("host", "mycompany.com")
        .header("content-type", FORM)
        .body(body.to_owned())
        .unwrap()
}

/// A signed form POST whose signature header is then replaced by `value`.
fn with_signature(value: &[u8]) -> Request<Body> {
    let mut req = good_request().map(Body::from);
    req.headers_mut().insert(
        "x-twilio-signature",
        HeaderValue::from_bytes(value).unwrap(),
    );
    req
}

/// A signed form POST whose body must not be read.
fn unread(mut req: Request<Body>) -> Request<Body> {
    *req.body_mut() = Body::new(PanickingBody);
    req
}

#[tokio::test]
async fn a_missing_signature_header_is_403_before_the_body_is_read() {
    let mut req = good_request().map(Body::from);
    req.headers_mut().remove("x-twilio-signature");
    App::new(layer())
        .refuses(
            unread(req),
            StatusCode::FORBIDDEN,
            Rejection::MissingSignature,
        )
        .await;
}

#[tokio::test]
async fn an_empty_signature_header_is_403_before_the_body_is_read() {
    App::new(layer())
        .refuses(
            unread(with_signature(b"")),
            StatusCode::FORBIDDEN,
            Rejection::MalformedSignature,
        )
        .await;
}

#[tokio::test]
async fn a_duplicated_signature_header_is_403_even_when_both_are_valid() {
    let mut req = good_request().map(Body::from);
    let valid = req.headers()["x-twilio-signature"].clone();
    req.headers_mut().append("x-twilio-signature", valid);
    App::new(layer())
        .refuses(
            unread(req),
            StatusCode::FORBIDDEN,
            Rejection::DuplicateSignature,
        )
        .await;
}

#[tokio::test]
async fn a_signature_that_is_not_base64_is_403() {
    App::new(layer())
        .refuses(
            with_signature(b"not base64 at all!!!!!!!!!=="),
            StatusCode::FORBIDDEN,
            Rejection::MalformedSignature,
        )
        .await;
}

#[tokio::test]
async fn a_truncated_signature_is_403() {
    let valid = good_request().headers()["x-twilio-signature"]
        .to_str()
        .unwrap()
        .to_owned();
    for cut in [1, 2, 4, valid.len() - 1] {
        let truncated = &valid[..valid.len() - cut];
        App::new(layer())
            .refuses(
                with_signature(truncated.as_bytes()),
                StatusCode::FORBIDDEN,
                Rejection::MalformedSignature,
            )
            .await;
    }
}

#[tokio::test]
async fn a_signature_of_another_mac_length_is_403() {
    // 32 bytes, as HMAC-SHA256 gives, where the Auth Token signs with SHA-1.
    let sha256 = compute_signature(
        TOKEN,
        Algorithm::HmacSha256,
        "https://mycompany.com/voice",
        &[("a", "b")],
    );
    App::new(layer())
        .refuses(
            with_signature(sha256.as_bytes()),
            StatusCode::FORBIDDEN,
            Rejection::MalformedSignature,
        )
        .await;
}

#[tokio::test]
async fn an_over_long_signature_header_is_403_before_the_body_is_read() {
    for len in [65, 4096, 256 * 1024] {
        App::new(layer())
            .refuses(
                unread(with_signature(&vec![b'A'; len])),
                StatusCode::FORBIDDEN,
                Rejection::MalformedSignature,
            )
            .await;
    }
}

#[tokio::test]
async fn a_signature_header_with_bytes_that_are_not_ascii_is_403() {
    App::new(layer())
        .refuses(
            with_signature(b"RSOYDt4T1cUTdK1PDd93/VVr8B\xff="),
            StatusCode::FORBIDDEN,
            Rejection::MalformedSignature,
        )
        .await;
}

/// Two settings headers are read as the servers twilio-python and
/// twilio-node run in read them: joined, the first non-empty `algorithm=`
/// winning. A second header cannot change the algorithm the first names.
#[tokio::test]
async fn a_second_signature_settings_header_cannot_change_the_first_ones_algorithm() {
    let app = App::new(layer_with_shared_key());
    let mut joined = form_post("/voice", BODY);
    Signer::new(TOKEN, BASE)
        .shared_key("k1", "shared")
        .sign(&mut joined);
    joined
        .headers_mut()
        .remove("x-twilio-webhooks-signature-settings");
    for value in ["key=k1", "algorithm=HMAC_SHA256"] {
        joined.headers_mut().append(
            "x-twilio-webhooks-signature-settings",
            HeaderValue::from_static(value),
        );
    }
    let answer = app.send(joined.clone().map(Body::from)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);

    let mut overridden = joined;
    overridden.headers_mut().insert(
        "x-twilio-webhooks-signature-settings",
        HeaderValue::from_static("key=k1,algorithm=HMAC_SHA1"),
    );
    overridden.headers_mut().append(
        "x-twilio-webhooks-signature-settings",
        HeaderValue::from_static("algorithm=HMAC_SHA256"),
    );
    App::new(layer_with_shared_key())
        .refuses(
            overridden.map(Body::from),
            StatusCode::FORBIDDEN,
            Rejection::MalformedSignature,
        )
        .await;
}

#[tokio::test]
async fn an_enormous_signature_settings_header_is_403() {
    let mut req = good_request().map(Body::from);
    let value = format!("key={},algorithm=HMAC_SHA256", "k".repeat(64 * 1024));
    req.headers_mut().insert(
        "x-twilio-webhooks-signature-settings",
        HeaderValue::from_str(&value).unwrap(),
    );
    // The SHA-1 signature cannot be the HMAC-SHA256 it names: refused
    // before the body is read.
    App::new(layer_with_shared_key())
        .refuses(
            unread(req),
            StatusCode::FORBIDDEN,
            Rejection::MalformedSignature,
        )
        .await;
}

#[tokio::test]
async fn a_form_body_that_is_not_utf8_is_400() {
    let mut req = form_post("/voice", "").map(|_| Body::from(&b"CallSid=\xff\xfe&From=%ff%C3"[..]));
    req.headers_mut()
        .insert("x-twilio-signature", HeaderValue::from_static(FORGED));
    App::new(layer())
        .refuses(req, StatusCode::BAD_REQUEST, Rejection::MalformedBody)
        .await;
}

#[tokio::test]
async fn invalid_percent_escapes_in_the_body_are_kept_and_bad_utf8_is_400() {
    let mut req = form_post("/voice", "CallSid=%zz&From=%4&To=%&%%%=%C3%28").map(Body::from);
    req.headers_mut()
        .insert("x-twilio-signature", HeaderValue::from_static(FORGED));
    App::new(layer())
        .refuses(req, StatusCode::BAD_REQUEST, Rejection::MalformedBody)
        .await;
    let mut req = form_post("/voice", "CallSid=%zz&From=%4&To=%&%%%=%C3").map(Body::from);
    req.headers_mut()
        .insert("x-twilio-signature", HeaderValue::from_static(FORGED));
    App::new(layer())
        .refuses(req, StatusCode::BAD_REQUEST, Rejection::MalformedBody)
        .await;
    let mut req = form_post("/voice", "CallSid=%zz&From=%4&To=%&%%%=x").map(Body::from);
    req.headers_mut()
        .insert("x-twilio-signature", HeaderValue::from_static(FORGED));
    App::new(layer())
        .refuses(req, StatusCode::FORBIDDEN, Rejection::BadSignature)
        .await;
}

#[tokio::test]
async fn invalid_percent_encoding_in_the_path_and_query_is_403() {
    let mut req = form_post("/vo%zzice/%C3%28?x=%&y=%4g", BODY).map(Body::from);
    req.headers_mut()
        .insert("x-twilio-signature", HeaderValue::from_static(FORGED));
    App::new(layer())
        .refuses(req, StatusCode::FORBIDDEN, Rejection::BadSignature)
        .await;
}

#[tokio::test]
async fn a_body_stream_that_errors_is_400() {
    let chunks = futures_util::stream::iter([
        Ok(Bytes::from_static(b"CallSid=CA1")),
        Err(std::io::Error::other("connection reset")),
    ]);
    let mut req = good_request().map(|_| Body::from_stream(chunks));
    req.headers_mut().remove("content-length");
    App::new(layer())
        .refuses(req, StatusCode::BAD_REQUEST, Rejection::BodyError)
        .await;
}

#[tokio::test]
async fn a_streamed_body_that_passes_the_limit_is_413() {
    let chunks = (0..64).map(|_| Ok::<_, Infallible>(Bytes::from(vec![b'a'; 1024])));
    let mut req = good_request().map(|_| Body::from_stream(futures_util::stream::iter(chunks)));
    req.headers_mut().remove("content-length");
    App::new(layer().max_body_bytes(32 * 1024))
        .refuses(req, StatusCode::PAYLOAD_TOO_LARGE, Rejection::BodyTooLarge)
        .await;
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_413_before_the_body_is_read() {
    let mut req = good_request().map(Body::from);
    req.headers_mut().insert(
        "content-length",
        HeaderValue::from_static("18446744073709551615"),
    );
    App::new(layer())
        .refuses(
            unread(req),
            StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::BodyTooLarge,
        )
        .await;
}

#[tokio::test(start_paused = true)]
async fn a_body_that_stops_half_way_gets_408_and_its_buffer_is_released() {
    const SENT: usize = 512 * 1024;
    let app = App::new(
        layer()
            .max_body_bytes(2 * SENT)
            .body_read_timeout(Duration::from_secs(5)),
    );
    app.serves_a_good_request().await;
    let live_before = live_bytes();
    let half = futures_util::stream::iter(
        (0..SENT / 8192).map(|_| Ok::<_, Infallible>(Bytes::from(vec![b'a'; 8192]))),
    );
    let stalled = half.chain(futures_util::stream::pending());
    let mut req = good_request().map(|_| Body::from_stream(stalled));
    req.headers_mut().remove("content-length");
    // Not a form, which would be cut at `MAX_FORM_BYTES`, and a body a
    // `bodySHA256` could sign, which is read.
    req.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    *req.uri_mut() = "/voice?bodySHA256=00".parse().unwrap();
    let started = tokio::time::Instant::now();

    let answer = app.send(req).await;
    assert_eq!(
        (answer.status, answer.rejection),
        (StatusCode::REQUEST_TIMEOUT, Some(Rejection::BodyTimeout))
    );
    assert_eq!(started.elapsed(), Duration::from_secs(5));
    assert_eq!(app.calls.load(Ordering::SeqCst), 1);
    // The half megabyte that was buffered is freed with the request.
    let kept = live_bytes() - live_before;
    assert!(
        kept < 16 * 1024,
        "{kept} bytes still allocated after the 408"
    );
    app.serves_a_good_request().await;
}

#[tokio::test]
async fn head_options_and_connect_without_a_signature_are_403() {
    for method in ["HEAD", "OPTIONS", "CONNECT", "DELETE", "TRACE"] {
        let req = Request::builder()
            .method(method)
            .uri("/voice")
            .header("host", "mycompany.com")
            .body(Body::empty())
            .unwrap();
        App::new(layer())
            .refuses(req, StatusCode::FORBIDDEN, Rejection::MissingSignature)
            .await;
    }
}

#[tokio::test]
async fn head_options_and_connect_with_a_forged_signature_are_403() {
    for method in ["HEAD", "OPTIONS", "CONNECT"] {
        let req = Request::builder()
            .method(method)
            .uri("/voice")
            .header("host", "mycompany.com")
            .header("x-twilio-signature", FORGED)
            .body(Body::empty())
            .unwrap();
        App::new(layer())
            .refuses(req, StatusCode::FORBIDDEN, Rejection::BadSignature)
            .await;
    }
}

#[tokio::test]
async fn a_form_body_on_another_method_is_400() {
    // axum's `Form` would read it, but only a POST's fields are signed.
    let url_only = compute_signature(
        TOKEN,
        Algorithm::HmacSha1,
        "https://mycompany.com/voice?CallSid=CA1",
        &[] as &[(&str, &str)],
    );
    for (method, body) in [
        ("PUT", "To=%2B15005550006&Body=pwned"),
        ("PATCH", "To=%2B1"),
    ] {
        let req = Request::builder()
            .method(method)
            .uri("/voice?CallSid=CA1")
            .header("host", "mycompany.com")
            .header("content-type", FORM)
            .header("x-twilio-signature", url_only.as_str())
            .body(Body::from(body))
            .unwrap();
        App::new(layer())
            .refuses(req, StatusCode::BAD_REQUEST, Rejection::MalformedBody)
            .await;
    }
}

#[tokio::test]
async fn a_body_the_signature_does_not_cover_is_403() {
    // Twilio signed the URL alone (a GET, or a POST without fields); the
    // same signature must not vouch for a body that was added to it.
    let url_only = compute_signature(
        TOKEN,
        Algorithm::HmacSha1,
        "https://mycompany.com/voice?CallSid=CA1",
        &[] as &[(&str, &str)],
    );
    let bodies = [
        (
            "POST",
            "application/json",
            r#"{"To":"+15005550006","Body":"pwned"}"#,
        ),
        ("POST", "text/plain", "anything"),
    ];
    for (method, content_type, body) in bodies {
        let req = Request::builder()
            .method(method)
            .uri("/voice?CallSid=CA1")
            .header("host", "mycompany.com")
            .header("content-type", content_type)
            .header("x-twilio-signature", url_only.as_str())
            .body(Body::from(body))
            .unwrap();
        App::new(layer())
            .refuses(req, StatusCode::FORBIDDEN, Rejection::UnsignedBody)
            .await;
    }
}

#[tokio::test]
async fn a_target_without_a_path_is_400_even_when_signed() {
    // `OPTIONS *` or `CONNECT host:port` carry no path, and a router does
    // not route them as `/`: a signature over `https://mycompany.com/` must
    // not reach whatever handles them.
    for target in ["*", "mycompany.com:443"] {
        let signature = compute_signature(
            TOKEN,
            Algorithm::HmacSha1,
            &format!("{BASE}/"),
            &[] as &[(&str, &str)],
        );
        let signed = Request::builder()
            .method("OPTIONS")
            .uri(target)
            .header("host", "mycompany.com")
            .header("x-twilio-signature", signature)
            .body(Body::empty())
            .unwrap();
        App::new(layer())
            .refuses(
                signed,
                StatusCode::BAD_REQUEST,
                Rejection::UnsupportedTarget,
            )
            .await;
    }
}

#[tokio::test]
async fn thousands_of_form_fields_are_checked_and_refused_if_forged() {
    // About 55 KiB, under the form limit.
    let body: String = (0..3_000)
        .map(|i| format!("Field{i}=value{i}"))
        .collect::<Vec<_>>()
        .join("&");
    assert!(body.len() <= tower_twilio::MAX_FORM_BYTES);
    let mut req = form_post("/voice", &body).map(Body::from);
    req.headers_mut()
        .insert("x-twilio-signature", HeaderValue::from_static(FORGED));
    let app = App::new(layer());
    app.refuses(req, StatusCode::FORBIDDEN, Rejection::BadSignature)
        .await;

    let mut signed = form_post("/voice", &body);
    Signer::new(TOKEN, BASE).sign(&mut signed);
    assert_eq!(
        app.send(signed.map(Body::from)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_form_body_over_the_form_limit_is_413_even_when_signed() {
    let body: String = (0..20_000)
        .map(|i| format!("Field{i}=value{i}"))
        .collect::<Vec<_>>()
        .join("&");
    assert!(body.len() > tower_twilio::MAX_FORM_BYTES);
    let mut signed = form_post("/voice", &body);
    Signer::new(TOKEN, BASE).sign(&mut signed);
    App::new(layer())
        .refuses(
            signed.map(Body::from),
            StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::BodyTooLarge,
        )
        .await;
}

#[tokio::test]
async fn a_query_string_as_long_as_a_uri_can_be_is_checked_and_refused_if_forged() {
    // `http::Uri` holds at most 64 KiB; a longer request line never reaches
    // the layer (see the request line of one mebibyte below).
    let query: String = (0..10_000)
        .map(|i| format!("k{i}=v{i}"))
        .collect::<Vec<_>>()
        .join("&");
    let uri = format!("/voice?{}", &query[..65_000]);
    let mut req = form_post(&uri, BODY).map(Body::from);
    req.headers_mut()
        .insert("x-twilio-signature", HeaderValue::from_static(FORGED));
    let app = App::new(layer());
    app.refuses(req, StatusCode::FORBIDDEN, Rejection::BadSignature)
        .await;

    let mut signed = form_post(&uri, BODY);
    Signer::new(TOKEN, BASE).sign(&mut signed);
    assert_eq!(
        app.send(signed.map(Body::from)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn spoofed_forwarded_headers_are_ignored_unless_trusted() {
    // A request Twilio signed for another host, replayed here with headers
    // that claim this is that host.
    let mut req = form_post("/voice", BODY);
    Signer::new(TOKEN, "http://other.example:8080/app").sign(&mut req);
    let spoofed = [
        ("x-forwarded-host", "other.example:8080"),
        ("x-forwarded-proto", "http"),
        ("x-forwarded-port", "8080"),
        ("x-forwarded-prefix", "/app"),
        ("forwarded", "proto=http;host=\"other.example:8080\""),
    ];
    for (name, value) in spoofed {
        req.headers_mut()
            .append(name, HeaderValue::from_static(value));
    }
    // Neither with a configured base URL nor with the host from `Host`.
    for layer in [layer(), TwilioValidateLayer::new(TOKEN)] {
        App::new(layer)
            .refuses(
                req.clone().map(Body::from),
                StatusCode::FORBIDDEN,
                Rejection::BadSignature,
            )
            .await;
    }
}

#[tokio::test]
async fn a_host_header_that_is_not_a_host_is_400_without_a_configured_host() {
    for host in ["user@mycompany.com", "", "[::1", "a b"] {
        let mut req = good_request().map(Body::from);
        req.headers_mut()
            .insert("host", HeaderValue::from_str(host).unwrap());
        let app = App::new(TwilioValidateLayer::new(TOKEN));
        let answer = app.send(unread(req)).await;
        assert_eq!(
            (answer.status, answer.rejection),
            (StatusCode::BAD_REQUEST, Some(Rejection::MissingHost)),
            "{host}"
        );
        assert_eq!(app.calls.load(Ordering::SeqCst), 0);
    }
    App::new(TwilioValidateLayer::new(TOKEN))
        .serves_a_good_request()
        .await;
}

// --- Authorization: Digest and Basic ---------------------------------------

const USER: &str = "twilio";
const PASSWORD: &str = "hostile-password";

fn digest_app() -> (App, HttpAuth) {
    let auth = HttpAuth::builder()
        .digest_auth(USER, PASSWORD)
        .basic_auth(USER, PASSWORD)
        .nonce_secret("hostile-nonce-secret-of-32-bytes")
        .build();
    (App::new(layer().http_auth(auth.clone())), auth)
}

/// The Digest parameters a client that knows the password sends, in order.
fn digest_params(auth: &HttpAuth) -> Vec<(&'static str, String)> {
    let challenge = auth
        .check("POST", "/voice", None, SystemTime::now())
        .unwrap_err()
        .www_authenticate()[0]
        .clone();
    digest::params(&challenge, USER, PASSWORD, "/voice", 1)
}

fn with_authorization(value: &[u8]) -> Request<Body> {
    let mut req = good_request().map(Body::from);
    req.headers_mut()
        .insert("authorization", HeaderValue::from_bytes(value).unwrap());
    unread(req)
}

/// Expects 401 with `failure`, then serves a request with valid Digest
/// credentials on the same server.
async fn refuses_credentials(app: &App, auth: &HttpAuth, header: &[u8], failure: AuthFailure) {
    let answer = app.send(with_authorization(header)).await;
    assert_eq!(
        (answer.status, answer.rejection, answer.failure),
        (
            StatusCode::UNAUTHORIZED,
            Some(Rejection::Unauthenticated),
            Some(failure)
        ),
        "{}",
        String::from_utf8_lossy(&header[..header.len().min(200)])
    );
    assert_eq!(app.calls.load(Ordering::SeqCst), 0);
    let mut good = good_request().map(Body::from);
    let valid = digest::header(&digest_params(auth));
    good.headers_mut()
        .insert("authorization", HeaderValue::from_str(&valid).unwrap());
    assert_eq!(app.send(good).await.status, StatusCode::OK);
    app.calls.store(0, Ordering::SeqCst);
}

#[tokio::test]
async fn digest_credentials_missing_any_parameter_are_401() {
    let (app, auth) = digest_app();
    for name in [
        "username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce", "opaque",
    ] {
        let mut params = digest_params(&auth);
        params.retain(|(k, _)| *k != name);
        refuses_credentials(
            &app,
            &auth,
            digest::header(&params).as_bytes(),
            AuthFailure::MissingParameter { name },
        )
        .await;
    }
}

#[tokio::test]
async fn digest_credentials_repeating_any_parameter_are_401() {
    let (app, auth) = digest_app();
    for i in 0..digest_params(&auth).len() {
        let mut params = digest_params(&auth);
        params.push(params[i].clone());
        refuses_credentials(
            &app,
            &auth,
            digest::header(&params).as_bytes(),
            AuthFailure::MalformedAuthorization,
        )
        .await;
    }
}

#[tokio::test]
async fn digest_credentials_with_an_enormous_parameter_are_401() {
    let (app, auth) = digest_app();
    for i in 0..digest_params(&auth).len() {
        let mut params = digest_params(&auth);
        params[i].1 = format!("\"{}\"", "x".repeat(MAX_AUTHORIZATION_LEN));
        refuses_credentials(
            &app,
            &auth,
            digest::header(&params).as_bytes(),
            AuthFailure::MalformedAuthorization,
        )
        .await;
    }
    // Just under the limit, each parameter is read and the request refused
    // for what it says.
    let mut params = digest_params(&auth);
    params.push((
        "x-padding",
        format!("\"{}\"", "x".repeat(MAX_AUTHORIZATION_LEN - 1024)),
    ));
    params[2].1 = format!("\"{}\"", "n".repeat(512));
    refuses_credentials(
        &app,
        &auth,
        digest::header(&params).as_bytes(),
        AuthFailure::InvalidNonce,
    )
    .await;
}

#[tokio::test]
async fn digest_credentials_with_thousands_of_unknown_parameters_are_read_in_one_pass() {
    let (app, auth) = digest_app();
    let mut params = digest_params(&auth);
    params[5].1 = "\"00\"".to_owned(); // a wrong response
    for i in 0..1500 {
        params.push(("x", format!("{i}")));
    }
    let header = digest::header(&params);
    assert!(header.len() < MAX_AUTHORIZATION_LEN);
    refuses_credentials(
        &app,
        &auth,
        header.as_bytes(),
        AuthFailure::WrongCredentials,
    )
    .await;
}

#[tokio::test]
async fn basic_credentials_that_are_enormous_or_not_utf8_are_401() {
    let (app, auth) = digest_app();
    let enormous = format!("Basic {}", "QUFB".repeat(MAX_AUTHORIZATION_LEN));
    refuses_credentials(
        &app,
        &auth,
        enormous.as_bytes(),
        AuthFailure::MalformedAuthorization,
    )
    .await;
    refuses_credentials(
        &app,
        &auth,
        b"Basic \xff\xfe",
        AuthFailure::MalformedAuthorization,
    )
    .await;
    refuses_credentials(
        &app,
        &auth,
        b"Digest \xc3\x28=1",
        AuthFailure::MalformedAuthorization,
    )
    .await;
}

// ---------------------------------------------------------------------------
// Through a real server on 127.0.0.1, with a raw TCP client.

struct Server {
    addr: SocketAddr,
    calls: Arc<AtomicUsize>,
}

async fn serve(layer: TwilioValidateLayer) -> Server {
    let app = App::new(layer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app.router).await.unwrap() });
    Server {
        addr,
        calls: app.calls,
    }
}

impl Server {
    async fn connect(&self) -> TcpStream {
        TcpStream::connect(self.addr).await.unwrap()
    }

    /// Writes `raw` on a new connection and reads one response.
    async fn exchange(&self, raw: &[u8]) -> Wire {
        let mut stream = self.connect().await;
        stream.write_all(raw).await.unwrap();
        read_response(&mut stream).await.expect("no response")
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    async fn serves_a_good_request(&self) {
        let before = self.calls();
        let wire = self.exchange(&raw(good_request(), None)).await;
        assert_eq!(wire.status, 200, "{}", wire.body);
        assert_eq!(self.calls(), before + 1);
    }
}

/// `req` as HTTP/1.1 bytes, with `Content-Length` unless told otherwise.
fn raw(req: Request<String>, content_length: Option<&str>) -> Vec<u8> {
    let target = req.uri().to_string();
    let mut out = format!("{} {target} HTTP/1.1\r\n", req.method());
    for (name, value) in req.headers() {
        out.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    let length = req.body().len().to_string();
    out.push_str(&format!(
        "content-length: {}\r\n\r\n",
        content_length.unwrap_or(&length)
    ));
    out.push_str(req.body());
    out.into_bytes()
}

async fn read_response(stream: &mut TcpStream) -> Option<Wire> {
    common::read_response(stream, true).await
}

async fn read_head(stream: &mut TcpStream) -> Option<Wire> {
    common::read_response(stream, false).await
}

#[tokio::test]
async fn a_content_length_larger_than_the_body_then_end_of_stream_is_400() {
    let server = serve(layer()).await;
    let mut stream = server.connect().await;
    stream
        .write_all(&raw(good_request(), Some("4096")))
        .await
        .unwrap();
    stream.shutdown().await.unwrap(); // the client sends nothing more
    let wire = read_response(&mut stream).await.expect("no response");
    assert_eq!(
        (wire.status, wire.body.trim()),
        (400, "the body could not be read (body_error)")
    );
    assert_eq!(server.calls(), 0);
    server.serves_a_good_request().await;
}

#[tokio::test]
async fn a_client_that_stops_sending_the_body_half_way_gets_408() {
    let server = serve(layer().body_read_timeout(Duration::from_millis(200))).await;
    let mut stream = server.connect().await;
    let request = raw(good_request(), None);
    let half = request.len() - BODY.len() / 2;
    stream.write_all(&request[..half]).await.unwrap();
    let wire = read_response(&mut stream).await.expect("no response");
    assert_eq!(wire.status, 408, "{}", wire.body);
    assert!(wire.body.contains("body_timeout"));
    assert_eq!(server.calls(), 0);
    // The server closes that connection, and answers the next one.
    let mut rest = [0u8; 16];
    assert_eq!(stream.read(&mut rest).await.unwrap_or(0), 0);
    server.serves_a_good_request().await;
}

#[tokio::test]
async fn a_content_length_smaller_than_the_body_checks_only_what_it_declares() {
    let server = serve(layer()).await;
    let mut stream = server.connect().await;
    // The rest of the body reaches the server as the start of a next request.
    stream
        .write_all(&raw(good_request(), Some("10")))
        .await
        .unwrap();
    let first = read_response(&mut stream).await.expect("no response");
    assert_eq!(first.status, 403, "{}", first.body);
    // What was read may run on into the next response.
    assert!(first.body.starts_with("invalid Twilio signature\n"));
    if let Some(next) = read_response(&mut stream).await {
        assert_eq!(next.status, 400, "{}", next.body);
    }
    assert_eq!(server.calls(), 0);
    server.serves_a_good_request().await;
}

#[tokio::test]
async fn a_chunked_body_that_passes_the_limit_is_413() {
    let server = serve(layer().max_body_bytes(16 * 1024)).await;
    let mut stream = server.connect().await;
    let req = good_request();
    let mut out =
        format!("POST /voice HTTP/1.1\r\nhost: mycompany.com\r\ncontent-type: {FORM}\r\n");
    out.push_str(&format!(
        "x-twilio-signature: {}\r\ntransfer-encoding: chunked\r\n\r\n",
        req.headers()["x-twilio-signature"].to_str().unwrap()
    ));
    let chunk = "a".repeat(1024);
    for _ in 0..20 {
        out.push_str(&format!("400\r\n{chunk}\r\n"));
    }
    out.push_str("0\r\n\r\n");
    stream.write_all(out.as_bytes()).await.unwrap();
    let wire = read_response(&mut stream).await.expect("no response");
    assert_eq!(wire.status, 413, "{}", wire.body);
    assert!(wire.body.contains("body_too_large"));
    assert_eq!(server.calls(), 0);
    server.serves_a_good_request().await;
}

#[tokio::test]
async fn an_absolute_form_target_is_checked_against_the_configured_url() {
    let server = serve(layer()).await;
    // Signed by Twilio for another host, sent with that host as the target.
    let mut req = form_post("http://other.example/voice", BODY);
    Signer::new(TOKEN, "http://other.example").sign(&mut req);
    req.headers_mut()
        .insert("host", HeaderValue::from_static("other.example"));
    let wire = server.exchange(&raw(req, None)).await;
    assert_eq!(wire.status, 403, "{}", wire.body);
    assert_eq!(wire.body, "invalid Twilio signature\n");
    assert_eq!(server.calls(), 0);
    server.serves_a_good_request().await;
}

#[tokio::test]
async fn an_authority_form_target_is_refused() {
    let server = serve(layer()).await;
    for signature in ["", &format!("x-twilio-signature: {FORGED}\r\n")] {
        let raw = format!(
            "CONNECT mycompany.com:443 HTTP/1.1\r\nhost: mycompany.com:443\r\n{signature}\r\n"
        );
        let wire = server.exchange(raw.as_bytes()).await;
        let expected = if signature.is_empty() { 403 } else { 400 };
        assert_eq!(wire.status, expected, "{}", wire.body);
    }
    assert_eq!(server.calls(), 0);
    server.serves_a_good_request().await;
}

#[tokio::test]
async fn an_asterisk_form_options_request_is_403() {
    let server = serve(layer()).await;
    let wire = server
        .exchange(b"OPTIONS * HTTP/1.1\r\nhost: mycompany.com\r\ncontent-length: 0\r\n\r\n")
        .await;
    assert_eq!(wire.status, 403, "{}", wire.body);
    assert!(wire.body.contains("missing_signature"));
    assert_eq!(server.calls(), 0);
    server.serves_a_good_request().await;
}

#[tokio::test]
async fn a_head_request_gets_a_403_without_a_body() {
    let server = serve(layer()).await;
    let mut stream = server.connect().await;
    stream
        .write_all(b"HEAD /voice HTTP/1.1\r\nhost: mycompany.com\r\n\r\n")
        .await
        .unwrap();
    let wire = read_head(&mut stream).await.expect("no response");
    assert_eq!((wire.status, wire.body.as_str()), (403, ""));
    assert_eq!(server.calls(), 0);
    server.serves_a_good_request().await;
}

#[tokio::test]
async fn a_request_line_of_one_mebibyte_is_refused_by_the_server_before_the_layer() {
    let server = serve(layer()).await;
    let mut req = format!("GET /voice?{} HTTP/1.1\r\n", "a".repeat(1024 * 1024)).into_bytes();
    req.extend_from_slice(b"host: mycompany.com\r\n\r\n");
    let mut stream = server.connect().await;
    // hyper stops reading at its head limit and answers 431 (or closes).
    let _ = stream.write_all(&req).await;
    if let Some(wire) = read_response(&mut stream).await {
        assert_eq!(wire.status, 431, "{}", wire.body);
    }
    assert_eq!(server.calls(), 0);
    server.serves_a_good_request().await;
}

#[tokio::test]
async fn conflicting_content_length_headers_are_refused_by_the_server() {
    let server = serve(layer()).await;
    let mut raw = raw(good_request(), None);
    let at = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 2;
    raw.splice(at..at, b"content-length: 5\r\n".iter().copied());
    let wire = server.exchange(&raw).await;
    assert_eq!(wire.status, 400, "{}", wire.body);
    assert_eq!(server.calls(), 0);
    server.serves_a_good_request().await;
}

// --- The form cap while reading ----------------------------------------------

/// What `max_body_bytes` is raised to: four times the form cap.
const LARGE_LIMIT: usize = 4 * tower_twilio::MAX_FORM_BYTES;

/// The head of a request to `/voice` with the signature of the good request
/// (wrong for any other body) and `headers`, then the blank line.
fn head(method: &str, headers: &str) -> String {
    let signature = good_request().headers()["x-twilio-signature"]
        .to_str()
        .unwrap()
        .to_owned();
    format!(
        "{method} /voice HTTP/1.1\r\nhost: mycompany.com\r\nx-twilio-signature: {signature}\r\n{headers}\r\n"
    )
}

/// Writes `raw` without ending the body and reads the answer that must come
/// before the rest is sent; `None` if none comes within five seconds.
async fn answer_before_the_rest(server: &Server, raw: &[u8]) -> Option<Wire> {
    let mut stream = server.connect().await;
    stream.write_all(raw).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), read_response(&mut stream))
        .await
        .ok()
        .flatten()
}

#[tokio::test]
async fn a_streamed_form_holds_at_most_the_form_cap_whatever_the_limit() {
    let app = App::new(layer().max_body_bytes(16 * tower_twilio::MAX_FORM_BYTES));
    app.serves_a_good_request().await;
    // A megabyte of form in 8 KiB frames, made as they are read.
    let frames = (0..128).map(|_| Ok::<_, Infallible>(Bytes::from(vec![b'a'; 8192])));
    let mut req = good_request().map(|_| Body::from_stream(futures_util::stream::iter(frames)));
    req.headers_mut().remove("content-length");
    reset_peak();
    let before = live_bytes();
    let answer = app.send(req).await;
    assert_eq!(
        (answer.status, answer.rejection),
        (StatusCode::PAYLOAD_TOO_LARGE, Some(Rejection::BodyTooLarge))
    );
    // The buffer, at most the cap, and for the instant it grows to it its
    // previous half too; one frame; the answer. Read to the limit, it
    // would be a megabyte.
    let held = peak_bytes() - before;
    assert!(
        held < (2 * tower_twilio::MAX_FORM_BYTES) as isize,
        "{held} bytes held at the peak"
    );
    app.serves_a_good_request().await;
}

#[tokio::test]
async fn a_form_content_length_over_the_form_cap_is_413_before_the_body_is_sent() {
    let server = serve(layer().max_body_bytes(LARGE_LIMIT)).await;
    let announced = format!("content-type: {FORM}\r\ncontent-length: {LARGE_LIMIT}\r\n");
    let wire = answer_before_the_rest(&server, head("POST", &announced).as_bytes())
        .await
        .expect("no 413 before the body");
    assert_eq!(wire.status, 413, "{}", wire.body);
    assert!(wire.body.contains("body_too_large"), "{}", wire.body);
    assert_eq!(server.calls(), 0);
    server.serves_a_good_request().await;
}

#[tokio::test]
async fn a_chunked_form_body_is_cut_at_the_form_cap_whatever_the_limit() {
    let server = serve(layer().max_body_bytes(LARGE_LIMIT)).await;
    let mut raw = head(
        "POST",
        &format!("content-type: {FORM}\r\ntransfer-encoding: chunked\r\n"),
    );
    // One byte past the cap, and the body not ended: the layer must stop
    // here rather than wait for the rest up to the limit.
    let chunk = "a".repeat(1024);
    for _ in 0..tower_twilio::MAX_FORM_BYTES / 1024 {
        raw.push_str(&format!("400\r\n{chunk}\r\n"));
    }
    raw.push_str("1\r\na\r\n");
    let wire = answer_before_the_rest(&server, raw.as_bytes())
        .await
        .expect("no 413 at the form cap");
    assert_eq!(wire.status, 413, "{}", wire.body);
    assert!(wire.body.contains("body_too_large"), "{}", wire.body);
    assert_eq!(server.calls(), 0);
    server.serves_a_good_request().await;
}

#[tokio::test]
async fn a_form_body_at_the_form_cap_is_read_to_its_end() {
    let server = serve(layer().max_body_bytes(LARGE_LIMIT)).await;
    let body = format!("Body={}", "a".repeat(tower_twilio::MAX_FORM_BYTES - 5));
    let raw = head(
        "POST",
        &format!("content-type: {FORM}\r\ncontent-length: {}\r\n", body.len()),
    ) + &body;
    let wire = server.exchange(raw.as_bytes()).await;
    // Read whole and checked: the signature is the good request's.
    assert_eq!(wire.status, 403, "{}", wire.body);
    assert!(
        wire.body.starts_with("invalid Twilio signature"),
        "{}",
        wire.body
    );
}

#[tokio::test]
async fn a_body_a_handler_could_read_as_a_form_is_held_to_the_form_cap() {
    let server = serve(layer().max_body_bytes(LARGE_LIMIT)).await;
    let length = format!("content-length: {LARGE_LIMIT}\r\n");
    for (method, content_types) in [
        // A form that is not a POST.
        ("PUT", format!("content-type: {FORM}\r\n")),
        // A media type that only starts like the form's.
        ("POST", format!("content-type: {FORM}-x\r\n")),
        // Not a form by its first Content-Type, a form by its second.
        (
            "POST",
            format!("content-type: application/json\r\ncontent-type: {FORM}\r\n"),
        ),
    ] {
        let raw = head(method, &(content_types.clone() + &length));
        let wire = answer_before_the_rest(&server, raw.as_bytes())
            .await
            .unwrap_or_else(|| panic!("no 413 before the body: {method} {content_types}"));
        assert_eq!(wire.status, 413, "{method} {content_types}: {}", wire.body);
    }
    assert_eq!(server.calls(), 0);
    server.serves_a_good_request().await;
}

#[tokio::test]
async fn a_body_no_signature_can_cover_is_403_before_it_is_sent() {
    let server = serve(layer().max_body_bytes(LARGE_LIMIT)).await;
    // Not a form, and no `bodySHA256` in the URL: not a byte can be signed.
    let announced = format!("content-type: application/json\r\ncontent-length: {LARGE_LIMIT}\r\n");
    let wire = answer_before_the_rest(&server, head("POST", &announced).as_bytes())
        .await
        .expect("no 403 before the body");
    assert_eq!(wire.status, 403, "{}", wire.body);
    assert!(
        wire.body.starts_with("invalid Twilio signature"),
        "{}",
        wire.body
    );
    // Chunked: refused at its first byte.
    let chunked = head(
        "POST",
        "content-type: application/json\r\ntransfer-encoding: chunked\r\n",
    ) + "400\r\n"
        + &"a".repeat(1024)
        + "\r\n";
    let wire = answer_before_the_rest(&server, chunked.as_bytes())
        .await
        .expect("no 403 at the first byte");
    assert_eq!(wire.status, 403, "{}", wire.body);
    assert_eq!(server.calls(), 0);
    server.serves_a_good_request().await;
}

#[tokio::test]
async fn a_signed_body_that_is_not_a_form_may_pass_the_form_cap() {
    let app = App::new(layer().max_body_bytes(LARGE_LIMIT));
    let body = format!(
        r#"{{"data":"{}"}}"#,
        "a".repeat(2 * tower_twilio::MAX_FORM_BYTES)
    );
    let mut req = Request::post("/events")
        .header("host", "mycompany.com")
        .header("content-type", "application/json")
        .body(body)
        .unwrap();
    Signer::new(TOKEN, BASE).sign(&mut req);
    let answer = app.send(req.map(Body::from)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}
