//! The layer composed with tower-http's layers and axum's routers, each
//! over loopback TCP (plain hyper without axum: `tests/it/hyper.rs`). The
//! tower-http stacks are written once (`compose/tower_http.rs`) and run
//! against tower-http 0.7 and 0.6.
//!
//! Every stack is served on 127.0.0.1 and driven by a real client (hyper's,
//! or raw HTTP/1.1 where the framing itself is under test). The layer is
//! configured with `base_url`, so the host the client connects to does not
//! enter the signature.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::response::IntoResponse;
use axum::routing::{any, get, post};
use axum::Router;
use bytes::Bytes;
use http::header::{ACCEPT_ENCODING, CONTENT_ENCODING};
use http::{HeaderValue, Request, StatusCode};
use http_body_util::Full;
use tower::ServiceBuilder;
use tower_twilio::{compute_signature, Algorithm, Signer, TwilioForm, ValidatedWebhook};

use crate::common;

use common::stack::*;

// ---- handlers --------------------------------------------------------------

/// The axum handler: echoes the `Body` field in a header, over a body long
/// enough for `CompressionLayer` to compress.
async fn voice(webhook: ValidatedWebhook) -> impl IntoResponse {
    let field = webhook.get("Body").unwrap_or("-").to_owned();
    let long = format!("<Say>{field}</Say>\n").repeat(64);
    ([(SEEN, field)], long)
}

/// An axum handler slower than any timeout here.
async fn slow(_: ValidatedWebhook) -> &'static str {
    tokio::time::sleep(Duration::from_secs(5)).await;
    "too late"
}

fn voice_router() -> Router {
    Router::new()
        .route("/voice", post(voice))
        .route("/slow", post(slow))
}

// ---- servers ---------------------------------------------------------------

/// `app` served by `axum::serve` (HTTP/1.1, and HTTP/2 with prior knowledge).
async fn serve_axum(app: Router) -> SocketAddr {
    let (listener, addr) = listener().await;
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// A genuine request reaches the handler, which sees the field; a forged
/// one is refused with the layer's 403.
async fn assert_validates(addr: SocketAddr, path: &str) {
    let ok = send_h1(genuine(addr, path)).await;
    assert_eq!(ok.status, StatusCode::OK, "genuine POST {path}");
    assert_eq!(ok.seen(), Some(FIELD), "genuine POST {path}");

    let refused = send_h1(forged(addr, path)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "forged POST {path}");
    assert_eq!(refused.seen(), None);
    assert_eq!(&refused.body[..], b"invalid Twilio signature\n");
}

/// Asked for gzip, the handler's long answer comes back gzip-encoded.
async fn assert_gzipped(addr: SocketAddr) {
    let mut req = genuine(addr, "/voice");
    req.headers_mut()
        .insert(ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
    let res = send_h1(req).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.seen(), Some(FIELD));
    assert_eq!(
        res.headers.get(CONTENT_ENCODING),
        Some(&HeaderValue::from_static("gzip"))
    );
    assert_eq!(res.body[..2], [0x1f, 0x8b], "a gzip stream");
}

// ---- 4. route_layer -------------------------------------------------------

#[tokio::test]
async fn route_layer_validates_its_routes_only_and_unknown_paths_stay_404() {
    let app = Router::new()
        .route("/voice", post(voice))
        .route_layer(twilio())
        .route("/health", get(|| async { "ok" }));
    let addr = serve_axum(app).await;

    assert_validates(addr, "/voice").await;

    // No route: the fallback, which `route_layer` does not wrap, answers.
    let unknown = send_h1(forged(addr, "/nowhere")).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    // A route added after `route_layer` is not covered.
    let health = Request::get(format!("http://{addr}/health"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let health = send_h1(health).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(&health.body[..], b"ok");
}

// ---- 5. nest --------------------------------------------------------------

#[tokio::test]
async fn layer_inside_a_nested_router_checks_the_full_public_path() {
    let app = Router::new().nest("/twilio", voice_router().layer(twilio()));
    let addr = serve_axum(app).await;

    assert_validates(addr, "/twilio/voice").await;

    // Signed for the path the nested router sees, not the public one.
    let stripped = send_h1(request(addr, "/twilio/voice", Some("/voice"))).await;
    assert_eq!(stripped.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn layer_on_the_outer_router_covers_a_nested_router() {
    let app = Router::new()
        .nest("/twilio", voice_router())
        .layer(twilio());
    let addr = serve_axum(app).await;

    assert_validates(addr, "/twilio/voice").await;

    let stripped = send_h1(request(addr, "/twilio/voice", Some("/voice"))).await;
    assert_eq!(stripped.status, StatusCode::FORBIDDEN);
}

// ---- 9. a GET webhook through TwilioForm ----------------------------------

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Status {
    call_sid: String,
    call_status: String,
}

#[tokio::test]
async fn twilio_form_reads_a_get_webhooks_query() {
    let app = Router::new()
        .route(
            "/status",
            get(|TwilioForm(s): TwilioForm<Status>| async move {
                format!("{} {}", s.call_sid, s.call_status)
            }),
        )
        .layer(twilio());
    let addr = serve_axum(app).await;
    let mut req = Request::get(format!(
        "http://{addr}/status?CallSid=CA1&CallStatus=completed"
    ))
    .body(Bytes::new())
    .unwrap();
    Signer::new(TOKEN, BASE).sign(&mut req);
    let res = send_h1(req.map(Full::new)).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(&res.body[..], b"CA1 completed");
}

// ---- 10. the same signed query, whatever reads it -------------------------

/// Echoes the `Body` field the layer gives in a header, so that a `HEAD`
/// shows it too.
async fn seen(webhook: ValidatedWebhook) -> impl IntoResponse {
    let field = webhook.get("Body").unwrap_or("-").to_owned();
    ([(SEEN, field)], "ok")
}

#[tokio::test]
async fn a_head_or_an_h2_websocket_handshake_gets_the_query_as_fields_like_a_get() {
    let app = Router::new()
        .route("/status", get(seen))
        .route("/stream", any(seen))
        .layer(twilio());
    let addr = serve_axum(app).await;
    let signed = |method: http::Method, url: String, signed_for: &str| {
        let signature = compute_signature(
            TOKEN,
            Algorithm::HmacSha1,
            signed_for,
            &[] as &[(&str, &str)],
        );
        Request::builder()
            .method(method)
            .uri(url)
            .header("x-twilio-signature", signature)
            .body(Full::new(Bytes::new()))
            .unwrap()
    };
    let query = "CallSid=CA1&Body=hello+there";

    for method in [http::Method::GET, http::Method::HEAD] {
        let req = signed(
            method.clone(),
            format!("http://{addr}/status?{query}"),
            &format!("{BASE}/status?{query}"),
        );
        let res = send_h1(req).await;
        assert_eq!(
            (res.status, res.seen()),
            (StatusCode::OK, Some(FIELD)),
            "{method}"
        );
    }

    // An HTTP/2 WebSocket handshake (RFC 8441): a CONNECT, signed for wss.
    #[cfg(feature = "http2")]
    {
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut client, connection) = hyper::client::conn::http2::handshake(
            hyper_util::rt::TokioExecutor::new(),
            hyper_util::rt::TokioIo::new(stream),
        )
        .await
        .unwrap();
        tokio::spawn(connection);
        let mut req = signed(
            http::Method::CONNECT,
            format!("http://{addr}/stream?{query}"),
            &format!("wss://hooks.example.com/stream?{query}"),
        );
        req.extensions_mut()
            .insert(hyper::ext::Protocol::from_static("websocket"));
        let res = client.send_request(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[SEEN], FIELD);
    }
}

// ---- 12. axum middleware inside the layer -----------------------------------

/// An axum middleware, which takes axum's `Request` (`Request<Body>`), sees
/// the validated fields.
async fn tag(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let field = req
        .extensions()
        .get::<ValidatedWebhook>()
        .and_then(|w| w.get("Body"))
        .unwrap_or("-")
        .to_owned();
    let mut res = next.run(req).await;
    res.headers_mut()
        .insert("x-middleware-saw", HeaderValue::from_str(&field).unwrap());
    res
}

#[tokio::test]
async fn axum_middleware_inside_the_layer_composes_in_separate_layers_and_in_one_service_builder() {
    // Separate `Router::layer` calls: axum converts the body between them.
    let separate = voice_router()
        .layer(axum::middleware::from_fn(tag))
        .layer(twilio());
    // One `ServiceBuilder`: the body is turned into axum's first, as for any
    // layer that changes the request body type.
    let one = voice_router().layer(
        ServiceBuilder::new()
            .layer(twilio())
            .map_request(|req: Request<tower_twilio::validate::ValidatedBody>| {
                req.map(axum::body::Body::new)
            })
            .layer(axum::middleware::from_fn(tag)),
    );
    for app in [separate, one] {
        let addr = serve_axum(app).await;
        let ok = send_h1(genuine(addr, "/voice")).await;
        assert_eq!(ok.status, StatusCode::OK);
        assert_eq!(ok.headers["x-middleware-saw"], FIELD);
        let refused = send_h1(forged(addr, "/voice")).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert!(refused.headers.get("x-middleware-saw").is_none());
    }
}

// ---- the tower-http stacks, once per release --------------------------------

/// tower-http 0.7.
mod tower_http_0_7 {
    use tower_http as tower_http_under_test;
    include!("compose/tower_http.rs");

    /// 0.7's `limit::ResponseBody` has `Default`, so tower-http's `Timeout`
    /// may go outside `RequestBodyLimit` too (with 0.6 it must go inside).
    fn timeout_outside_the_limit(limit: usize, timeout: Duration) -> Router {
        voice_router().layer(
            ServiceBuilder::new()
                .layer(TimeoutLayer::with_status_code(TIMEOUT_STATUS, timeout))
                .layer(RequestBodyLimitLayer::new(limit))
                .layer(twilio()),
        )
    }

    #[tokio::test]
    async fn a_timeout_outside_the_body_limit_answers_for_a_slow_handler() {
        let addr = serve_axum(timeout_outside_the_limit(4096, Duration::from_millis(50))).await;
        let res = send_h1(genuine(addr, "/slow")).await;
        assert_eq!(res.status, TIMEOUT_STATUS);
        assert!(res.body.is_empty());
        assert_validates(addr, "/voice").await;
    }

    #[tokio::test]
    async fn a_body_limit_inside_the_timeout_still_refuses_an_oversized_body() {
        let addr = serve_axum(timeout_outside_the_limit(
            SMALL_LIMIT,
            Duration::from_secs(30),
        ))
        .await;
        assert_eq!(raw_post(addr, BODY, false).await.status, 413);
        assert_layer_413(&raw_post(addr, BODY, true).await);
    }

    /// 0.7's deadline on the whole body ends a body that is too slow with
    /// the same error as the timeout between frames: `408` too.
    #[tokio::test]
    async fn a_body_deadline_outside_gets_the_layers_408() {
        use tower_http::timeout::RequestBodyDeadlineLayer;
        let app = voice_router().layer(
            ServiceBuilder::new()
                .layer(RequestBodyDeadlineLayer::new(Duration::from_millis(100)))
                .layer(twilio()),
        );
        let addr = serve_axum(app).await;
        assert_layer_408(&stalled_post(addr).await);
        assert_validates(addr, "/voice").await;
    }
}

/// tower-http 0.6.
mod tower_http_0_6 {
    use tower_http_06 as tower_http_under_test;
    include!("compose/tower_http.rs");
}
