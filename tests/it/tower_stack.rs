//! The layer in a plain Tower stack, and what it holds while a body arrives.
//!
//! `TwilioValidate::poll_ready` is ready at once; each request's body is
//! read and its signature checked before the inner service is asked to be
//! ready, so a client that stalls its body holds nothing of the inner
//! service (a `ConcurrencyLimit` permit, a `Buffer` slot). A signature that
//! cannot be a MAC is refused before the body is read at all.
//!
//! Some tests drive the stack through `tower::Service` on a paused clock,
//! so that "still waiting" is exact; the others go through `axum::serve` on
//! 127.0.0.1 with raw TCP clients that send headers and no body.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use http::{HeaderValue, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::time::timeout;
use tower::limit::ConcurrencyLimitLayer;
use tower::{Layer, Service, ServiceBuilder, ServiceExt};
use tower_twilio::validate::ValidatedBody;
use tower_twilio::{Rejection, Signer, TwilioValidateLayer};

use crate::common;

use common::StalledBody;

const TOKEN: &str = "tower-stack-auth-token";
const BASE: &str = "https://hooks.example.com";
const FORM: &str = "application/x-www-form-urlencoded";
const BODY: &str = "CallSid=CA1234567890ABCDE&From=%2B14158675309";
/// Well-formed (the base64 of 20 bytes) and wrong.
const FORGED: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=";
/// How long a test waits for what must happen at once; only reached when
/// the layer is wrong (on a paused clock it passes without waiting).
const AT_ONCE: Duration = Duration::from_secs(5);

fn layer() -> TwilioValidateLayer {
    TwilioValidateLayer::new(TOKEN).base_url(BASE)
}

fn form_post(body: Body) -> Request<Body> {
    Request::post("/voice")
        .header("host", "hooks.example.com")
        .header("content-type", FORM)
        .body(body)
        .unwrap()
}

/// A form POST to `/voice` that Twilio signed.
fn genuine() -> Request<Body> {
    let mut req = Request::post("/voice")
        .header("host", "hooks.example.com")
        .header("content-type", FORM)
        .body(BODY.to_owned())
        .unwrap();
    Signer::new(TOKEN, BASE).sign(&mut req);
    req.map(Body::from)
}

/// A request with a plausible signature whose body never arrives.
fn stalled() -> Request<Body> {
    let mut req = form_post(Body::new(StalledBody));
    req.headers_mut()
        .insert("x-twilio-signature", HeaderValue::from_static(FORGED));
    req
}

/// A well-formed signature that is wrong, over a body that has arrived.
fn forged() -> Request<Body> {
    let mut req = genuine();
    req.headers_mut()
        .insert("x-twilio-signature", HeaderValue::from_static(FORGED));
    req
}

/// The handler: counts its calls, then answers once `gate` lets it (pass
/// `None` to answer at once).
fn handler(
    calls: Arc<AtomicUsize>,
    gate: Option<Arc<Semaphore>>,
) -> impl Service<
    Request<ValidatedBody>,
    Response = Response,
    Error = Infallible,
    Future = impl Future<Output = Result<Response, Infallible>> + Send,
> + Clone
       + Send {
    tower::service_fn(move |_req: Request<ValidatedBody>| {
        calls.fetch_add(1, Ordering::SeqCst);
        let gate = gate.clone();
        async move {
            if let Some(gate) = gate {
                gate.acquire().await.unwrap().forget();
            }
            Ok::<_, Infallible>(Response::new(Body::from("ok")))
        }
    })
}

/// Polls `fut` once: whether it is still waiting.
async fn still_pending<F: Future + Unpin>(fut: &mut F) -> bool {
    std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut *fut).poll(cx).is_pending())).await
}

fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

// ---------------------------------------------------------------------------
// Through `tower::Service`, on a paused clock.

#[tokio::test(start_paused = true)]
async fn stalled_bodies_hold_no_permit_of_a_concurrency_limit_inside() {
    let calls = counter();
    let mut svc = ServiceBuilder::new()
        .layer(layer().body_read_timeout(None))
        .layer(ConcurrencyLimitLayer::new(1))
        .service(handler(calls.clone(), None));
    let mut stalled_calls = Vec::new();
    for client in 0..4 {
        let ready = timeout(AT_ONCE, ServiceExt::<Request<Body>>::ready(&mut svc))
            .await
            .unwrap_or_else(|_| panic!("client {client}: poll_ready waited on the inner service"))
            .unwrap();
        let mut call = Box::pin(ready.call(stalled()));
        assert!(
            still_pending(&mut call).await,
            "client {client} was answered"
        );
        stalled_calls.push(call);
    }
    let ready = timeout(AT_ONCE, ServiceExt::<Request<Body>>::ready(&mut svc))
        .await
        .expect("poll_ready waited on the inner service")
        .unwrap();
    let res = timeout(AT_ONCE, ready.call(genuine()))
        .await
        .expect("the genuine request waited for the stalled ones")
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    for call in &mut stalled_calls {
        assert!(still_pending(call).await);
    }
}

#[tokio::test(start_paused = true)]
async fn a_concurrency_limit_inside_still_limits_validated_requests() {
    let calls = counter();
    let gate = Arc::new(Semaphore::new(0));
    let mut svc = ServiceBuilder::new()
        .layer(layer())
        .layer(ConcurrencyLimitLayer::new(1))
        .service(handler(calls.clone(), Some(gate.clone())));

    let mut first = Box::pin(
        ServiceExt::<Request<Body>>::ready(&mut svc)
            .await
            .unwrap()
            .call(genuine()),
    );
    assert!(still_pending(&mut first).await);
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // Validated, and waiting for the permit the first one holds.
    let ready = timeout(AT_ONCE, ServiceExt::<Request<Body>>::ready(&mut svc))
        .await
        .expect("poll_ready waited on the inner service")
        .unwrap();
    let mut second = Box::pin(ready.call(genuine()));
    assert!(still_pending(&mut second).await);
    assert_eq!(calls.load(Ordering::SeqCst), 1, "the limit was not applied");

    gate.add_permits(1);
    assert_eq!(first.await.unwrap().status(), StatusCode::OK);
    assert!(still_pending(&mut second).await);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    gate.add_permits(1);
    assert_eq!(second.await.unwrap().status(), StatusCode::OK);
}

/// Counts the calls to the inner service's `poll_ready`.
#[derive(Clone)]
struct CountReady<S> {
    inner: S,
    polls: Arc<AtomicUsize>,
}

impl<S: Service<R>, R> Service<R> for CountReady<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: R) -> S::Future {
        self.inner.call(req)
    }
}

#[tokio::test(start_paused = true)]
async fn a_rejected_request_never_asks_the_inner_service_to_be_ready() {
    let (calls, polls) = (counter(), counter());
    let mut svc = layer().layer(CountReady {
        inner: handler(calls.clone(), None),
        polls: polls.clone(),
    });
    for req in [forged(), stalled_with_bad_header()] {
        let res = ServiceExt::<Request<Body>>::ready(&mut svc)
            .await
            .unwrap()
            .call(req)
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert_eq!(polls.load(Ordering::SeqCst), 0);
    }
    let res = ServiceExt::<Request<Body>>::ready(&mut svc)
        .await
        .unwrap()
        .call(genuine())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(polls.load(Ordering::SeqCst) >= 1);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

/// A request refused from its headers alone, whose body never arrives.
fn stalled_with_bad_header() -> Request<Body> {
    let mut req = stalled();
    req.headers_mut()
        .insert("x-twilio-signature", HeaderValue::from_static("x"));
    req
}

/// Fails to become ready.
#[derive(Clone)]
struct NeverReady;

#[derive(Debug, PartialEq)]
struct Overloaded;

impl Service<Request<ValidatedBody>> for NeverReady {
    type Response = Response;
    type Error = Overloaded;
    type Future = std::future::Ready<Result<Response, Overloaded>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Overloaded>> {
        Poll::Ready(Err(Overloaded))
    }

    fn call(&mut self, _: Request<ValidatedBody>) -> Self::Future {
        panic!("called without being ready")
    }
}

#[tokio::test(start_paused = true)]
async fn the_inner_services_readiness_error_is_the_requests_error() {
    let mut svc = layer().layer(NeverReady);
    let result = ServiceExt::<Request<Body>>::ready(&mut svc)
        .await
        .unwrap()
        .call(genuine())
        .await;
    assert_eq!(result.err(), Some(Overloaded));
    // A forged request is refused before the inner service is asked.
    let res = ServiceExt::<Request<Body>>::ready(&mut svc)
        .await
        .unwrap()
        .call(forged())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

// ---------------------------------------------------------------------------
// Through a real server on 127.0.0.1.

/// `TwilioValidate<ConcurrencyLimit<handler>>` served by `axum::serve`.
async fn serve_stack(calls: Arc<AtomicUsize>) -> SocketAddr {
    let svc = ServiceBuilder::new()
        .map_response(|res: http::Response<_>| res.map(Body::new))
        .layer(layer().base_url(BASE).body_read_timeout(None))
        .layer(ConcurrencyLimitLayer::new(1))
        .service(handler(calls, None));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let make = tower::make::Shared::new(svc);
    tokio::spawn(async move { axum::serve(listener, make).await.unwrap() });
    addr
}

/// The head of a form POST to `/voice` whose body is announced and not sent.
fn head_without_body(signature: &str, expect_continue: bool) -> String {
    let expect = if expect_continue {
        "expect: 100-continue\r\n"
    } else {
        ""
    };
    format!(
        "POST /voice HTTP/1.1\r\nhost: hooks.example.com\r\ncontent-type: {FORM}\r\n\
         x-twilio-signature: {signature}\r\n{expect}content-length: 100\r\n\r\n"
    )
}

/// Reads until the server sends `100 Continue`: the layer polled the body.
async fn read_continue(stream: &mut TcpStream) -> bool {
    let expected = b"HTTP/1.1 100 Continue\r\n\r\n";
    let mut buf = vec![0; expected.len()];
    stream.read_exact(&mut buf).await.is_ok() && buf == expected
}

#[tokio::test]
async fn four_stalled_clients_do_not_delay_a_genuine_request_over_loopback() {
    let calls = counter();
    let addr = serve_stack(calls.clone()).await;
    let mut stalled = Vec::new();
    for client in 0..4 {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(head_without_body(FORGED, true).as_bytes())
            .await
            .unwrap();
        // Its body is being read: its request is inside the layer.
        let reading = timeout(AT_ONCE, read_continue(&mut stream))
            .await
            .unwrap_or_else(|_| panic!("client {client}'s body was never read"));
        assert!(reading, "client {client}");
        stalled.push(stream);
    }

    let mut req = Request::post(format!("http://{addr}/voice"))
        .header("content-type", FORM)
        .body(BODY.to_owned())
        .unwrap();
    Signer::new(TOKEN, BASE).sign(&mut req);
    let client = Client::builder(TokioExecutor::new()).build_http();
    let res = timeout(
        AT_ONCE,
        client.request(req.map(|b| Full::new(Bytes::from(b)))),
    )
    .await
    .expect("the genuine request waited for the stalled ones")
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // The stalled clients have had no answer, and still hold their requests.
    for stream in &stalled {
        let mut byte = [0u8; 1];
        let read = stream.try_read(&mut byte);
        assert!(
            matches!(&read, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "{read:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// A signature that cannot be a MAC: refused before the body is read.

/// A router whose `/voice` counts its calls, behind the layer with a long
/// read timeout, that copies the typed rejection into an `x-rejection`
/// header so that it can be read off the wire.
async fn serve_router(calls: Arc<AtomicUsize>) -> SocketAddr {
    let app = Router::new()
        .route(
            "/voice",
            post(move || {
                calls.fetch_add(1, Ordering::SeqCst);
                async { "ok" }
            }),
        )
        .layer(layer().body_read_timeout(Duration::from_secs(30)))
        .layer(axum::middleware::map_response(expose_rejection));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

async fn expose_rejection(mut res: Response) -> Response {
    if let Some(rejection) = res.extensions().get::<Rejection>().copied() {
        res.headers_mut()
            .insert("x-rejection", HeaderValue::from_static(rejection.as_str()));
    }
    res
}

async fn read_response(stream: &mut TcpStream) -> common::Wire {
    common::read_response(stream, true)
        .await
        .expect("the connection closed without a response")
}

#[tokio::test]
async fn a_signature_that_cannot_be_a_mac_is_403_before_the_body_arrives() {
    let calls = counter();
    let addr = serve_router(calls.clone()).await;
    for signature in [
        "x".to_owned(),
        "!!!!".to_owned(),
        "A".repeat(64),
        // Wrong lengths: only 28 (SHA-1) and 44 (SHA-256) characters are MACs.
        "A".repeat(27),
        format!("{}=", "A".repeat(26)),
        format!("{}==", "A".repeat(42)),
        // 28 characters that do not decode to 20 bytes.
        "A".repeat(28),
        format!("={}", "A".repeat(27)),
        format!("{}-=", "A".repeat(26)),
        format!("{}_=", "A".repeat(26)),
        // The last character has bits that a canonical encoding leaves zero.
        format!("{}B=", "A".repeat(26)),
        format!("{}B=", "A".repeat(42)),
        // A SHA-256 MAC's length without a settings header that names
        // HMAC_SHA256: without one, Twilio signs with HMAC-SHA1.
        format!("{}=", "A".repeat(43)),
    ] {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(head_without_body(&signature, false).as_bytes())
            .await
            .unwrap();
        // The body never comes: an answer within seconds, not after the
        // 30 s read timeout, was decided from the headers alone.
        let wire = timeout(AT_ONCE, read_response(&mut stream))
            .await
            .unwrap_or_else(|_| panic!("{signature:?}: no answer before the body"));
        assert_eq!(
            (wire.status, wire.header("x-rejection")),
            (403, Some("malformed_signature")),
            "{signature:?}: {}",
            wire.body
        );
    }
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_signature_that_can_be_a_mac_waits_for_the_body() {
    let calls = counter();
    let addr = serve_router(calls.clone()).await;
    // 27 `A`s and `=` is the base64 of 20 zero bytes, a SHA-1 MAC's length;
    // 43 and `=`, of 32, a SHA-256 MAC's, with the settings header naming it.
    let sha256 = format!(
        "{}=\r\nx-twilio-webhooks-signature-settings: key=k1,algorithm=HMAC_SHA256",
        "A".repeat(43)
    );
    for signature in [FORGED.to_owned(), sha256] {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(head_without_body(&signature, true).as_bytes())
            .await
            .unwrap();
        let reading = timeout(AT_ONCE, read_continue(&mut stream))
            .await
            .unwrap_or_else(|_| panic!("{signature:?}: the body was never read"));
        assert!(reading, "{signature:?}");
        stream.write_all(&[b'a'; 100]).await.unwrap();
        let wire = timeout(AT_ONCE, read_response(&mut stream)).await.unwrap();
        assert_eq!(wire.status, 403, "{}", wire.body);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_genuine_request_is_still_served_over_loopback() {
    let calls = counter();
    let addr = serve_router(calls.clone()).await;
    let req = genuine();
    let (parts, body) = req.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    let mut raw = String::from("POST /voice HTTP/1.1\r\n");
    for (name, value) in &parts.headers {
        raw.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    raw.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(raw.as_bytes()).await.unwrap();
    stream.write_all(&body).await.unwrap();
    let wire = timeout(AT_ONCE, read_response(&mut stream)).await.unwrap();
    assert_eq!((wire.status, wire.body.as_str()), (200, "ok"));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}
