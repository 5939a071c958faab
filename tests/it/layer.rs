//! The layer's behaviour through an axum `Router`, one behaviour per test.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::Form;
use axum::routing::{any, post};
use axum::{Json, Router};
use futures_util::StreamExt as _;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;
use tower_twilio::{
    compute_signature, Algorithm, MatchedKey, Rejection, RequestValidator, Signer,
    TwilioValidateLayer, ValidatedWebhook,
};

use crate::common;

use common::PanickingBody;

const TOKEN: &str = "12345";
const BASE: &str = "https://mycompany.com";
const FORM: &str = "application/x-www-form-urlencoded";
const BODY: &str = "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212";

fn layer() -> TwilioValidateLayer {
    TwilioValidateLayer::new(TOKEN).base_url(BASE)
}

/// A router whose handlers count their calls and echo what they saw.
fn app(layer: TwilioValidateLayer, calls: Arc<AtomicUsize>) -> Router {
    let echo = move |req: Request<Body>| {
        let calls = calls.clone();
        async move {
            calls.fetch_add(1, Ordering::SeqCst);
            let body = req.into_body().collect().await.unwrap().to_bytes();
            body
        }
    };
    Router::new().route("/{*path}", any(echo)).layer(layer)
}

fn form_post(uri: &str, body: &str) -> Request<String> {
    Request::post(uri)
        .header("host", "mycompany.com")
        .header("content-type", FORM)
        .body(body.to_owned())
        .unwrap()
}

fn signed(mut req: Request<String>) -> Request<Body> {
    Signer::new(TOKEN, BASE).sign(&mut req);
    req.map(Body::from)
}

async fn send(
    router: Router,
    req: Request<Body>,
) -> (StatusCode, http::HeaderMap, Option<Rejection>, Bytes) {
    let res = router.oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let rejection = res.extensions().get::<Rejection>().copied();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, headers, rejection, body)
}

fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

#[tokio::test]
async fn forwards_a_signed_form_post_with_the_same_body() {
    let calls = counter();
    let req = signed(form_post("/myapp.php?foo=1&bar=2", BODY));
    assert_eq!(
        req.headers()["x-twilio-signature"],
        "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    );
    let (status, _, _, body) = send(app(layer(), calls.clone()), req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, BODY.as_bytes());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn rejects_a_forged_signature_with_403_and_never_calls_the_handler() {
    let calls = counter();
    let mut req = signed(form_post("/myapp.php?foo=1&bar=2", BODY));
    req.headers_mut().insert(
        "x-twilio-signature",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAA=".parse().unwrap(),
    );
    let (status, headers, rejection, body) = send(app(layer(), calls.clone()), req).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(headers["content-type"], "text/plain; charset=utf-8");
    assert_eq!(rejection, Some(Rejection::BadSignature));
    assert_eq!(body, "invalid Twilio signature\n".as_bytes());
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn rejection_body_never_contains_the_token_or_the_expected_signature() {
    let calls = counter();
    let mut req = signed(form_post("/myapp.php?foo=1&bar=2", BODY));
    let expected = req.headers()["x-twilio-signature"].clone();
    req.headers_mut().insert(
        "x-twilio-signature",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAA=".parse().unwrap(),
    );
    let (_, _, _, body) = send(app(layer(), calls), req).await;
    let body = String::from_utf8_lossy(&body);
    assert!(!body.contains(TOKEN));
    assert!(!body.contains(expected.to_str().unwrap()));
}

#[tokio::test]
async fn a_changed_field_is_rejected() {
    let calls = counter();
    let req = signed(form_post("/myapp.php?foo=1&bar=2", BODY));
    let (parts, _) = req.into_parts();
    let tampered = Request::from_parts(parts, Body::from(BODY.replace("1234", "1235")));
    let (status, _, rejection, _) = send(app(layer(), calls.clone()), tampered).await;
    assert_eq!(
        (status, rejection),
        (StatusCode::FORBIDDEN, Some(Rejection::BadSignature))
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_missing_signature_is_refused_without_reading_the_body() {
    let calls = counter();
    let req = Request::post("/voice")
        .header("host", "mycompany.com")
        .header("content-type", FORM)
        .body(Body::new(PanickingBody))
        .unwrap();
    let (status, _, rejection, _) = send(app(layer(), calls.clone()), req).await;
    assert_eq!(
        (status, rejection),
        (StatusCode::FORBIDDEN, Some(Rejection::MissingSignature))
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn duplicate_or_empty_signature_headers_are_refused() {
    let mut req = signed(form_post("/voice", BODY));
    let sig = req.headers()["x-twilio-signature"].clone();
    req.headers_mut().append("x-twilio-signature", sig);
    let (status, _, rejection, _) = send(app(layer(), counter()), req).await;
    assert_eq!(
        (status, rejection),
        (StatusCode::FORBIDDEN, Some(Rejection::DuplicateSignature))
    );

    let mut req = signed(form_post("/voice", BODY));
    req.headers_mut()
        .insert("x-twilio-signature", "".parse().unwrap());
    let (status, _, rejection, _) = send(app(layer(), counter()), req).await;
    assert_eq!(
        (status, rejection),
        (StatusCode::FORBIDDEN, Some(Rejection::MalformedSignature))
    );
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_413_without_reading() {
    let req = Request::post("/voice")
        .header("host", "mycompany.com")
        .header("x-twilio-signature", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
        .header("content-length", "100000")
        .body(Body::new(PanickingBody))
        .unwrap();
    let (status, _, rejection, _) = send(app(layer().max_body_bytes(1000), counter()), req).await;
    assert_eq!(
        (status, rejection),
        (StatusCode::PAYLOAD_TOO_LARGE, Some(Rejection::BodyTooLarge))
    );
}

#[tokio::test]
async fn a_streamed_body_that_passes_the_limit_is_413() {
    let chunks = (0..100).map(|_| Ok::<_, Infallible>(Bytes::from(vec![b'a'; 100])));
    let body = Body::from_stream(futures_stream(chunks.collect()));
    let req = Request::post("/voice")
        .header("host", "mycompany.com")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
        .body(body)
        .unwrap();
    let calls = counter();
    let (status, _, rejection, _) =
        send(app(layer().max_body_bytes(5000), calls.clone()), req).await;
    assert_eq!(
        (status, rejection),
        (StatusCode::PAYLOAD_TOO_LARGE, Some(Rejection::BodyTooLarge))
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_body_that_fails_is_400() {
    let chunks = vec![
        Ok(Bytes::from_static(b"CallSid=")),
        Err(std::io::Error::other("reset")),
    ];
    let req = Request::post("/voice")
        .header("host", "mycompany.com")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
        .body(Body::from_stream(futures_stream(chunks)))
        .unwrap();
    let (status, _, rejection, _) = send(app(layer(), counter()), req).await;
    assert_eq!(
        (status, rejection),
        (StatusCode::BAD_REQUEST, Some(Rejection::BodyError))
    );
}

#[tokio::test]
async fn a_request_without_host_and_no_configured_host_is_400() {
    let req = Request::post("/voice")
        .header("x-twilio-signature", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
        .body(Body::empty())
        .unwrap();
    let (status, _, rejection, _) =
        send(app(TwilioValidateLayer::new(TOKEN), counter()), req).await;
    assert_eq!(
        (status, rejection),
        (StatusCode::BAD_REQUEST, Some(Rejection::MissingHost))
    );
}

#[tokio::test]
async fn the_handler_gets_the_decoded_params_key_and_url() {
    let handler = |webhook: ValidatedWebhook| async move {
        assert_eq!(webhook.get("Caller"), Some("+14158675309"));
        assert_eq!(webhook.params().len(), 5);
        assert_eq!(webhook.params()[0].0, "CallSid");
        assert_eq!(webhook.matched_key(), &MatchedKey::AuthToken);
        assert_eq!(webhook.url(), "https://mycompany.com/myapp.php?foo=1&bar=2");
        "ok"
    };
    let router = Router::new()
        .route("/myapp.php", post(handler))
        .layer(layer());
    let (status, _, _, body) =
        send(router, signed(form_post("/myapp.php?foo=1&bar=2", BODY))).await;
    assert_eq!((status, &body[..]), (StatusCode::OK, &b"ok"[..]));
}

#[derive(serde::Deserialize)]
struct Call {
    #[serde(rename = "CallSid")]
    call_sid: String,
}

#[tokio::test]
async fn axum_form_extractor_still_works() {
    let router = Router::new()
        .route(
            "/voice",
            post(|Form(call): Form<Call>| async move { call.call_sid }),
        )
        .layer(layer());
    let (status, _, _, body) = send(router, signed(form_post("/voice", BODY))).await;
    assert_eq!(
        (status, &body[..]),
        (StatusCode::OK, &b"CA1234567890ABCDE"[..])
    );
}

#[tokio::test]
async fn json_bodies_are_checked_against_body_sha256() {
    let router = || {
        Router::new()
            .route(
                "/events",
                post(|Json(v): Json<serde_json::Value>| async move { v["property"].to_string() }),
            )
            .layer(layer())
    };
    let json = r#"{"property": "value", "boolean": true}"#;
    let mut req = Request::post("/events")
        .header("host", "mycompany.com")
        .header("content-type", "application/json")
        .body(json.to_owned())
        .unwrap();
    Signer::new(TOKEN, BASE).sign(&mut req);
    assert!(req
        .uri()
        .query()
        .unwrap()
        .starts_with("bodySHA256=0a1ff763"));
    let (parts, body) = req.into_parts();
    let ok = Request::from_parts(parts.clone(), Body::from(body));
    let (status, _, _, body) = send(router(), ok).await;
    assert_eq!((status, &body[..]), (StatusCode::OK, &b"\"value\""[..]));

    let tampered = Request::from_parts(parts, Body::from(json.replace("true", "false")));
    let (status, _, rejection, _) = send(router(), tampered).await;
    assert_eq!(
        (status, rejection),
        (StatusCode::FORBIDDEN, Some(Rejection::BodyHashMismatch))
    );
}

#[tokio::test]
async fn get_requests_sign_the_url_alone() {
    let mut req = Request::get("/status?CallSid=CA1&CallStatus=completed")
        .header("host", "mycompany.com")
        .body(String::new())
        .unwrap();
    Signer::new(TOKEN, BASE).sign(&mut req);
    let (status, _, _, _) = send(app(layer(), counter()), req.map(Body::from)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn form_fields_of_a_non_post_are_not_signed() {
    // A PUT's body is not part of the signature: it is refused, though
    // axum's `Form` would read it.
    let mut req = form_post("/voice", BODY);
    *req.method_mut() = http::Method::PUT;
    let url = format!("{BASE}/voice");
    let params: Vec<(String, String)> = form_urlencoded::parse(BODY.as_bytes())
        .into_owned()
        .collect();
    let with_params = compute_signature(TOKEN, Algorithm::HmacSha1, &url, &params);
    req.headers_mut()
        .insert("x-twilio-signature", with_params.parse().unwrap());
    let (status, _, _, _) = send(app(layer(), counter()), req.map(Body::from)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn form_content_type_with_charset_is_a_form() {
    let mut req = form_post("/voice", BODY);
    req.headers_mut().insert(
        "content-type",
        "Application/X-WWW-Form-Urlencoded; charset=UTF-8"
            .parse()
            .unwrap(),
    );
    let url = format!("{BASE}/voice");
    let params: Vec<(String, String)> = form_urlencoded::parse(BODY.as_bytes())
        .into_owned()
        .collect();
    let sig = compute_signature(TOKEN, Algorithm::HmacSha1, &url, &params);
    req.headers_mut()
        .insert("x-twilio-signature", sig.parse().unwrap());
    let (status, _, _, _) = send(app(layer(), counter()), req.map(Body::from)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn host_header_and_https_are_used_without_configuration() {
    let mut req = form_post("/voice", BODY);
    req.headers_mut()
        .insert("host", "example.org:8080".parse().unwrap());
    Signer::new(TOKEN, "https://example.org:8080").sign(&mut req);
    let (status, _, _, _) = send(
        app(TwilioValidateLayer::new(TOKEN), counter()),
        req.map(Body::from),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_port_the_proxy_added_is_forgiven() {
    // Twilio signed https://mycompany.com/voice; the server sees port 8443.
    let mut req = form_post("/voice", BODY);
    Signer::new(TOKEN, BASE).sign(&mut req);
    let layer = TwilioValidateLayer::new(TOKEN).base_url("https://mycompany.com:8443");
    let (status, _, _, _) = send(app(layer, counter()), req.map(Body::from)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn base_url_prefix_is_put_before_the_path() {
    let mut req = form_post("/voice", BODY);
    Signer::new(TOKEN, "https://hooks.example.com/twilio").sign(&mut req);
    let layer = TwilioValidateLayer::new(TOKEN).base_url("https://hooks.example.com/twilio/");
    let (status, _, _, _) = send(app(layer, counter()), req.map(Body::from)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn forwarded_headers_are_used_only_when_trusted() {
    let build = || {
        let mut req = form_post("/voice", BODY);
        req.headers_mut()
            .insert("host", "10.0.0.5:3000".parse().unwrap());
        req.headers_mut()
            .insert("x-forwarded-host", "hooks.example.com".parse().unwrap());
        req.headers_mut()
            .insert("x-forwarded-proto", "https".parse().unwrap());
        Signer::new(TOKEN, "https://hooks.example.com").sign(&mut req);
        req.map(Body::from)
    };
    let trusting = TwilioValidateLayer::new(TOKEN).trust_forwarded_headers(true);
    let (status, _, _, _) = send(app(trusting, counter()), build()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _, _) = send(app(TwilioValidateLayer::new(TOKEN), counter()), build()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn nested_routers_check_the_original_path() {
    let inner = Router::new()
        .route("/voice", post(|| async { "nested" }))
        .layer(layer());
    let router = Router::new().nest("/twilio", inner);
    let (status, _, _, body) = send(router, signed(form_post("/twilio/voice", BODY))).await;
    assert_eq!((status, &body[..]), (StatusCode::OK, &b"nested"[..]));
}

#[tokio::test]
async fn route_layer_protects_only_its_routes() {
    let router = Router::new()
        .route("/voice", post(|| async { "voice" }))
        .route_layer(layer())
        .route("/health", any(|| async { "up" }));
    let health = Request::get("/health").body(Body::empty()).unwrap();
    let (status, _, _, _) = send(router.clone(), health).await;
    assert_eq!(status, StatusCode::OK);
    let unsigned = form_post("/voice", BODY).map(Body::from);
    let (status, _, _, _) = send(router, unsigned).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn secondary_tokens_are_accepted_and_reported() {
    let mut req = form_post("/voice", BODY);
    Signer::new("new-token", BASE).sign(&mut req);
    let layer = TwilioValidateLayer::with_validator(
        RequestValidator::new(TOKEN).secondary_token("new-token"),
    )
    .base_url(BASE);
    let router = Router::new()
        .route(
            "/voice",
            post(|w: ValidatedWebhook| async move { w.matched_key().to_string() }),
        )
        .layer(layer);
    let (status, _, _, body) = send(router, req.map(Body::from)).await;
    assert_eq!(
        (status, &body[..]),
        (StatusCode::OK, &b"secondary token #0"[..])
    );
}

#[tokio::test]
async fn a_shared_key_signature_is_accepted_whatever_id_the_settings_header_names() {
    let layer = TwilioValidateLayer::with_validator(
        RequestValidator::new(TOKEN).shared_key("webhooks_sharedkey_1", "sk_test_shared_secret"),
    )
    .base_url(BASE);
    let mut req = form_post("/voice", BODY);
    Signer::new(TOKEN, BASE)
        .shared_key("webhooks_sharedkey_1", "sk_test_shared_secret")
        .sign(&mut req);
    assert_eq!(
        req.headers()["x-twilio-webhooks-signature-settings"],
        "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"
    );
    let (status, _, _, _) = send(app(layer.clone(), counter()), req.clone().map(Body::from)).await;
    assert_eq!(status, StatusCode::OK);

    // The id is not signed and neither official library reads it: another
    // id tries the configured keys too (the one that signed is reported).
    req.headers_mut().insert(
        "x-twilio-webhooks-signature-settings",
        "key=webhooks_sharedkey_2,algorithm=HMAC_SHA256"
            .parse()
            .unwrap(),
    );
    let (status, _, _, _) = send(app(layer.clone(), counter()), req.clone().map(Body::from)).await;
    assert_eq!(status, StatusCode::OK);

    // Signed by a key that is not configured, under an id that is not
    // either: refused, and the reason names the id.
    let mut forged = form_post("/voice", BODY);
    Signer::new(TOKEN, BASE)
        .shared_key("webhooks_sharedkey_2", "another secret")
        .sign(&mut forged);
    let (status, _, rejection, _) = send(app(layer, counter()), forged.map(Body::from)).await;
    assert_eq!(
        (status, rejection),
        (StatusCode::FORBIDDEN, Some(Rejection::UnknownSharedKey))
    );
}

#[tokio::test]
async fn websocket_handshakes_are_checked_with_wss() {
    let mut req = Request::get("/media-stream")
        .header("host", "mycompany.com")
        .header("upgrade", "websocket")
        .header("connection", "Upgrade")
        .body(String::new())
        .unwrap();
    let sig = compute_signature(
        TOKEN,
        Algorithm::HmacSha1,
        "wss://mycompany.com/media-stream/",
        &[] as &[(&str, &str)],
    );
    req.headers_mut()
        .insert("x-twilio-signature", sig.parse().unwrap());
    let (status, _, _, _) = send(app(layer(), counter()), req.map(Body::from)).await;
    assert_eq!(status, StatusCode::OK);
}

/// A stream of ready items, without a futures dependency.
fn futures_stream<T: Send + Unpin + 'static>(
    items: Vec<T>,
) -> impl futures_core::Stream<Item = T> + Send {
    struct Iter<T>(std::vec::IntoIter<T>);
    impl<T> futures_core::Stream for Iter<T>
    where
        T: Unpin,
    {
        type Item = T;
        fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<T>> {
            Poll::Ready(self.0.next())
        }
    }
    Iter(items.into_iter())
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TypedCall {
    call_sid: String,
    digits: u32,
}

#[tokio::test]
async fn twilio_form_gives_a_typed_struct_from_the_validated_fields() {
    use tower_twilio::TwilioForm;
    let router = Router::new()
        .route(
            "/voice",
            post(|TwilioForm(call): TwilioForm<TypedCall>| async move {
                format!("{} {}", call.call_sid, call.digits + 1)
            }),
        )
        .layer(layer());
    let (status, _, _, body) = send(router, signed(form_post("/voice", BODY))).await;
    assert_eq!(
        (status, &body[..]),
        (StatusCode::OK, &b"CA1234567890ABCDE 1235"[..])
    );
}

#[tokio::test]
async fn extractors_without_the_layer_fail_with_500_that_names_the_layer() {
    use tower_twilio::TwilioForm;
    let router = Router::new()
        .route("/a", post(|_: ValidatedWebhook| async { "unreachable" }))
        .route(
            "/b",
            post(|_: TwilioForm<TypedCall>| async { "unreachable" }),
        );
    for path in ["/a", "/b"] {
        let (status, _, _, body) = send(router.clone(), signed(form_post(path, BODY))).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(String::from_utf8_lossy(&body).contains("TwilioValidateLayer"));
    }
}

#[tokio::test(start_paused = true)]
async fn a_body_that_stalls_gets_408_after_the_read_timeout() {
    let first =
        futures_util::stream::iter([Ok::<_, Infallible>(Bytes::from_static(b"CallSid=CA1"))]);
    let stalled = first.chain(futures_util::stream::pending());
    let req = Request::post("/voice")
        .header("host", "mycompany.com")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
        .body(Body::from_stream(stalled))
        .unwrap();
    let calls = counter();
    let layer = layer().body_read_timeout(std::time::Duration::from_secs(3));
    let started = tokio::time::Instant::now();
    let (status, _, rejection, _) = send(app(layer, calls.clone()), req).await;
    assert_eq!(
        (status, rejection),
        (StatusCode::REQUEST_TIMEOUT, Some(Rejection::BodyTimeout))
    );
    assert_eq!(started.elapsed().as_secs(), 3);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}
