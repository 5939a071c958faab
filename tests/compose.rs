//! The layer composed with tower-http's layers, axum's routers and plain
//! hyper, each over loopback TCP.
//!
//! Every stack is served on 127.0.0.1 and driven by a real client (hyper's,
//! or raw HTTP/1.1 where the framing itself is under test). The layer is
//! configured with `base_url`, so the host the client connects to does not
//! enter the signature.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use http::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode, Version};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tower::{Layer, ServiceBuilder};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tower_twilio::validate::ValidatedBody;
use tower_twilio::{Signer, TwilioValidateLayer, ValidatedWebhook};

mod common;

const TOKEN: &str = "compose-auth-token";
const BASE: &str = "https://hooks.example.com";
const FORM: &str = "application/x-www-form-urlencoded";
/// 62 bytes: over [`SMALL_LIMIT`].
const BODY: &str = "CallSid=CA1234567890ABCDE&From=%2B14158675309&Body=hello+there";
/// The `Body` field of [`BODY`], decoded.
const FIELD: &str = "hello there";
/// Well-formed (the base64 of 20 bytes) and wrong.
const FORGED: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=";
/// A request-body limit outside the layer that [`BODY`] exceeds.
const SMALL_LIMIT: usize = 32;
/// The status tower-http's `TimeoutLayer` is configured to answer with:
/// not one the Twilio layer ever gives, so it is told apart.
const TIMEOUT_STATUS: StatusCode = StatusCode::GATEWAY_TIMEOUT;
/// The header the handlers echo the `Body` field in.
const SEEN: &str = "x-seen-body";

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn twilio() -> TwilioValidateLayer {
    TwilioValidateLayer::new(TOKEN).base_url(BASE)
}

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

/// The plain-hyper handler: what the layer hands on, with no axum types.
async fn plain(req: Request<ValidatedBody>) -> Result<Response<Full<Bytes>>, Infallible> {
    let field = req
        .extensions()
        .get::<ValidatedWebhook>()
        .and_then(|w| w.get("Body"))
        .unwrap_or("-")
        .to_owned();
    let mut res = Response::new(Full::new(req.body().bytes().clone()));
    res.headers_mut()
        .insert(SEEN, HeaderValue::from_str(&field).unwrap());
    Ok(res)
}

fn voice_router() -> Router {
    Router::new()
        .route("/voice", post(voice))
        .route("/slow", post(slow))
}

/// `svc`, checked to take requests with a `B` body.
fn takes<B, S: tower::Service<Request<B>>>(svc: S) -> S {
    svc
}

// ---- servers ---------------------------------------------------------------

async fn listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// `app` served by `axum::serve` (HTTP/1.1, and HTTP/2 with prior knowledge).
async fn serve_axum(app: Router) -> SocketAddr {
    let (listener, addr) = listener().await;
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// A Tower service over `hyper::body::Incoming`, served by hyper's own
/// connection builders: HTTP/1.1, or HTTP/2 with prior knowledge (h2c).
async fn serve_hyper<S, B>(svc: S, h2: bool) -> SocketAddr
where
    S: tower::Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let (listener, addr) = listener().await;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let svc = TowerToHyperService::new(svc.clone());
            let io = TokioIo::new(stream);
            tokio::spawn(async move {
                if h2 {
                    let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                        .serve_connection(io, svc)
                        .await;
                } else {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, svc)
                        .await;
                }
            });
        }
    });
    addr
}

/// The `X-Twilio-Signature` Twilio sends for a form POST of `body` to
/// `path` under [`BASE`].
fn signature_for(path: &str, body: &str) -> String {
    let mut req = Request::post(path)
        .header(CONTENT_TYPE, FORM)
        .body(body)
        .unwrap();
    Signer::new(TOKEN, BASE).sign(&mut req);
    req.headers()["x-twilio-signature"]
        .to_str()
        .unwrap()
        .to_owned()
}

// ---- clients ---------------------------------------------------------------

/// A form POST of [`BODY`] to `path` on `addr`, signed by Twilio for
/// `signed_path` (or, with `None`, carrying a forged signature).
fn request(addr: SocketAddr, path: &str, signed_path: Option<&str>) -> Request<Full<Bytes>> {
    let body = BODY;
    let mut req = Request::post(format!("http://{addr}{path}"))
        .header(CONTENT_TYPE, FORM)
        .body(body)
        .unwrap();
    match signed_path {
        Some(signed) => {
            let signature = signature_for(signed, body);
            req.headers_mut()
                .insert("x-twilio-signature", signature.parse().unwrap());
        }
        None => {
            req.headers_mut()
                .insert("x-twilio-signature", HeaderValue::from_static(FORGED));
        }
    }
    req.map(|b| Full::new(Bytes::from_static(b.as_bytes())))
}

/// Signed by Twilio for the path it is sent to.
fn genuine(addr: SocketAddr, path: &str) -> Request<Full<Bytes>> {
    request(addr, path, Some(path))
}

fn forged(addr: SocketAddr, path: &str) -> Request<Full<Bytes>> {
    request(addr, path, None)
}

struct Answer {
    status: StatusCode,
    version: Version,
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    /// The `Body` field the handler saw, if a handler answered.
    fn seen(&self) -> Option<&str> {
        self.headers.get(SEEN).and_then(|v| v.to_str().ok())
    }
}

/// Sends `req` with hyper's client: HTTP/1.1, or HTTP/2 with prior
/// knowledge.
async fn send(req: Request<Full<Bytes>>, h2: bool) -> Answer {
    let client = Client::builder(TokioExecutor::new())
        .http2_only(h2)
        .build_http::<Full<Bytes>>();
    let res = client.request(req).await.unwrap();
    let (parts, body) = res.into_parts();
    Answer {
        status: parts.status,
        version: parts.version,
        headers: parts.headers,
        body: body.collect().await.unwrap().to_bytes(),
    }
}

async fn send_h1(req: Request<Full<Bytes>>) -> Answer {
    send(req, false).await
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

/// A 413 the Twilio layer wrote (its text, not tower-http's
/// `length limit exceeded`).
fn assert_layer_413(wire: &common::Wire) {
    assert_eq!(wire.status, 413, "{}", wire.head);
    assert!(
        wire.body.starts_with("the body is larger than the limit"),
        "{:?}",
        wire.body
    );
}

/// One raw HTTP/1.1 form POST of `body`, chunked or with a
/// `Content-Length`, signed for `/voice`.
async fn raw_post(addr: SocketAddr, body: &str, chunked: bool) -> common::Wire {
    let signature = signature_for("/voice", body);
    let framing = if chunked {
        format!(
            "Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
            body.len()
        )
    } else {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    };
    let wire = format!(
        "POST /voice HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {FORM}\r\n\
         X-Twilio-Signature: {signature}\r\nConnection: close\r\n{framing}"
    );
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(wire.as_bytes()).await.unwrap();
    common::read_response(&mut stream, true)
        .await
        .expect("a response")
}

// ---- 1. tower-http outside, one ServiceBuilder ----------------------------

/// The usual production stack: tower-http's layers outside the Twilio layer
/// in one `ServiceBuilder`, given to `Router::layer`.
fn outside_stack(limit: usize, timeout: Duration) -> Router {
    voice_router().layer(
        ServiceBuilder::new()
            .layer(TraceLayer::new_for_http())
            .layer(CompressionLayer::new())
            .layer(RequestBodyLimitLayer::new(limit))
            .layer(TimeoutLayer::with_status_code(TIMEOUT_STATUS, timeout))
            .layer(twilio()),
    )
}

#[tokio::test]
async fn tower_http_layers_outside_in_one_service_builder_compose() {
    let addr = serve_axum(outside_stack(4096, Duration::from_secs(30))).await;
    assert_validates(addr, "/voice").await;
    assert_gzipped(addr).await;
}

// ---- 2. tower-http inside, one ServiceBuilder -----------------------------

#[tokio::test]
async fn tower_http_layers_inside_in_one_service_builder_compose() {
    let app = voice_router().layer(
        ServiceBuilder::new()
            .layer(twilio())
            .layer(TraceLayer::new_for_http())
            .layer(CompressionLayer::new())
            .layer(RequestBodyLimitLayer::new(4096))
            .layer(TimeoutLayer::with_status_code(
                TIMEOUT_STATUS,
                Duration::from_secs(30),
            )),
    );
    let addr = serve_axum(app).await;
    assert_validates(addr, "/voice").await;
    assert_gzipped(addr).await;
}

// ---- 3. separate Router::layer calls --------------------------------------

#[tokio::test]
async fn tower_http_layers_outside_as_separate_router_layers_compose() {
    // Each `.layer` wraps the ones before: the Twilio layer is innermost.
    let app = voice_router()
        .layer(twilio())
        .layer(TimeoutLayer::with_status_code(
            TIMEOUT_STATUS,
            Duration::from_secs(30),
        ))
        .layer(RequestBodyLimitLayer::new(4096))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http());
    let addr = serve_axum(app).await;
    assert_validates(addr, "/voice").await;
    assert_gzipped(addr).await;
}

#[tokio::test]
async fn tower_http_layers_inside_as_separate_router_layers_compose() {
    // The Twilio layer last: outermost.
    let app = voice_router()
        .layer(TimeoutLayer::with_status_code(
            TIMEOUT_STATUS,
            Duration::from_secs(30),
        ))
        .layer(RequestBodyLimitLayer::new(4096))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .layer(twilio());
    let addr = serve_axum(app).await;
    assert_validates(addr, "/voice").await;
    assert_gzipped(addr).await;
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

// ---- 6. plain hyper -------------------------------------------------------

#[tokio::test]
async fn plain_hyper_http1_over_incoming_validates() {
    let svc = takes::<Incoming, _>(ServiceBuilder::new().layer(twilio()).service_fn(plain));
    let addr = serve_hyper(svc, false).await;

    let ok = send_h1(genuine(addr, "/voice")).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.seen(), Some(FIELD));
    assert_eq!(&ok.body[..], BODY.as_bytes(), "the body bytes, untouched");

    let refused = send_h1(forged(addr, "/voice")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.seen(), None);
}

#[tokio::test]
async fn plain_hyper_http1_with_body_limit_outside_validates_and_limits() {
    // `RequestBodyLimitLayer` outside: the layer gets `Limited<Incoming>`.
    let inner = takes::<Limited<Incoming>, _>(twilio().layer(tower::service_fn(plain)));
    let svc = RequestBodyLimitLayer::new(4096).layer(inner);
    let addr = serve_hyper(svc, false).await;

    let ok = send_h1(genuine(addr, "/voice")).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.seen(), Some(FIELD));

    let refused = send_h1(forged(addr, "/voice")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // The same stack under a limit the body exceeds, sent chunked: the
    // limit's error, read by the layer, is a 413.
    let small = ServiceBuilder::new()
        .layer(RequestBodyLimitLayer::new(SMALL_LIMIT))
        .layer(twilio())
        .service_fn(plain);
    let addr = serve_hyper(small, false).await;
    let over = raw_post(addr, BODY, true).await;
    assert_layer_413(&over);
}

#[tokio::test]
async fn plain_hyper_body_error_from_incoming_is_a_400() {
    let svc = takes::<Incoming, _>(ServiceBuilder::new().layer(twilio()).service_fn(plain));
    let addr = serve_hyper(svc, false).await;

    // A signed request whose chunked framing breaks after the first chunk:
    // `Incoming` yields an error, which is not a length limit's.
    let signature = signature_for("/voice", BODY);
    let wire = format!(
        "POST /voice HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {FORM}\r\n\
         X-Twilio-Signature: {signature}\r\nTransfer-Encoding: chunked\r\n\r\n\
         4\r\nBody\r\nzz\r\n"
    );
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(wire.as_bytes()).await.unwrap();
    let res = common::read_response(&mut stream, true)
        .await
        .expect("a response");
    assert_eq!(res.status, 400, "{}", res.head);
    assert_eq!(res.header(SEEN), None);
}

// ---- 7. h2c ---------------------------------------------------------------

#[tokio::test]
async fn plain_hyper_h2c_validates() {
    let svc = ServiceBuilder::new()
        .layer(RequestBodyLimitLayer::new(4096))
        .layer(twilio())
        .service_fn(plain);
    let addr = serve_hyper(svc, true).await;

    let ok = send(genuine(addr, "/voice"), true).await;
    assert_eq!(ok.version, Version::HTTP_2);
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.seen(), Some(FIELD));
    assert_eq!(&ok.body[..], BODY.as_bytes());

    let refused = send(forged(addr, "/voice"), true).await;
    assert_eq!(refused.version, Version::HTTP_2);
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn axum_with_tower_http_layers_outside_over_h2c_validates() {
    let addr = serve_axum(outside_stack(4096, Duration::from_secs(30))).await;

    let ok = send(genuine(addr, "/voice"), true).await;
    assert_eq!(ok.version, Version::HTTP_2);
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.seen(), Some(FIELD));

    let refused = send(forged(addr, "/voice"), true).await;
    assert_eq!(refused.version, Version::HTTP_2);
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

// ---- 8. body limit outside ------------------------------------------------

#[tokio::test]
async fn body_limit_outside_refuses_an_oversized_chunked_body_with_413() {
    let addr = serve_axum(outside_stack(SMALL_LIMIT, Duration::from_secs(30))).await;

    // No Content-Length: tower-http cannot refuse up front; the body's
    // length-limit error reaches the layer, which answers 413.
    let over = raw_post(addr, BODY, true).await;
    assert_layer_413(&over);
    assert!(over.header("content-length").is_some(), "{}", over.head);

    // Under the limit, chunked, the same stack lets it through.
    let small = "Body=hello+there";
    assert!(small.len() <= SMALL_LIMIT);
    let ok = raw_post(addr, small, true).await;
    assert_eq!(ok.status, 200, "{}", ok.head);
    assert_eq!(ok.header(SEEN), Some(FIELD));
}

#[tokio::test]
async fn body_limit_outside_refuses_an_oversized_content_length_itself() {
    let addr = serve_axum(outside_stack(SMALL_LIMIT, Duration::from_secs(30))).await;

    // tower-http refuses from the Content-Length, before the layer runs.
    let over = raw_post(addr, BODY, false).await;
    assert_eq!(over.status, 413);
    assert_eq!(over.body, "length limit exceeded");
}

// ---- 9. timeout outside ---------------------------------------------------

#[tokio::test]
async fn timeout_outside_answers_for_a_slow_handler_with_an_empty_body() {
    let addr = serve_axum(outside_stack(4096, Duration::from_millis(50))).await;

    let started = Instant::now();
    let res = send_h1(genuine(addr, "/slow")).await;
    // tower-http's `Timeout` built this response: its body is the layer's
    // `ResponseBody::default()`.
    assert_eq!(res.status, TIMEOUT_STATUS);
    assert!(res.body.is_empty());
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "answered before the handler finished"
    );
}
