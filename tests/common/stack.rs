//! One Twilio-signed request, the servers that serve a stack over
//! loopback (hyper's own connection builders) and the clients that send it:
//! shared by the composition tests with and without axum.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode, Version};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tower_twilio::validate::ValidatedBody;
use tower_twilio::{Signer, TwilioValidateLayer, ValidatedWebhook};

use super::{read_response, Wire};

pub const TOKEN: &str = "loopback-auth-token";
pub const BASE: &str = "https://hooks.example.com";
pub const FORM: &str = "application/x-www-form-urlencoded";
/// 62 bytes: over [`SMALL_LIMIT`].
pub const BODY: &str = "CallSid=CA1234567890ABCDE&From=%2B14158675309&Body=hello+there";
/// The `Body` field of [`BODY`], decoded.
pub const FIELD: &str = "hello there";
/// Well-formed (the base64 of 20 bytes) and wrong.
pub const FORGED: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=";
/// A request-body limit outside the layer that [`BODY`] exceeds.
pub const SMALL_LIMIT: usize = 32;
/// The status tower-http's `TimeoutLayer` is configured to answer with:
/// not one the Twilio layer ever gives, so it is told apart.
pub const TIMEOUT_STATUS: StatusCode = StatusCode::GATEWAY_TIMEOUT;
/// The header the handlers echo the `Body` field in.
pub const SEEN: &str = "x-seen-body";

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub fn twilio() -> TwilioValidateLayer {
    TwilioValidateLayer::new(TOKEN).base_url(BASE)
}

/// The plain-hyper handler: what the layer hands on, with no axum types.
pub async fn plain(req: Request<ValidatedBody>) -> Result<Response<Full<Bytes>>, Infallible> {
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

/// `svc`, checked to take requests with a `B` body.
pub fn takes<B, S: tower::Service<Request<B>>>(svc: S) -> S {
    svc
}

/// A listener on 127.0.0.1 at a free port.
pub async fn listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// A Tower service over `hyper::body::Incoming`, served by hyper's own
/// connection builders: HTTP/1.1, or HTTP/2 with prior knowledge (h2c).
pub async fn serve_hyper<S, B>(svc: S, h2: bool) -> SocketAddr
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
                #[cfg(feature = "http2")]
                if h2 {
                    let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                        .serve_connection(io, svc)
                        .await;
                    return;
                }
                assert!(!h2, "HTTP/2 needs the tests' http2 feature");
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, svc)
                    .await;
            });
        }
    });
    addr
}

/// The `X-Twilio-Signature` Twilio sends for a form POST of `body` to
/// `path` under [`BASE`].
pub fn signature_for(path: &str, body: &str) -> String {
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
pub fn request(addr: SocketAddr, path: &str, signed_path: Option<&str>) -> Request<Full<Bytes>> {
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
pub fn genuine(addr: SocketAddr, path: &str) -> Request<Full<Bytes>> {
    request(addr, path, Some(path))
}

pub fn forged(addr: SocketAddr, path: &str) -> Request<Full<Bytes>> {
    request(addr, path, None)
}

pub struct Answer {
    pub status: StatusCode,
    pub version: Version,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    /// The `Body` field the handler saw, if a handler answered.
    pub fn seen(&self) -> Option<&str> {
        self.headers.get(SEEN).and_then(|v| v.to_str().ok())
    }
}

/// Sends `req` with hyper's client: HTTP/1.1, or HTTP/2 with prior
/// knowledge.
pub async fn send(req: Request<Full<Bytes>>, h2: bool) -> Answer {
    #[cfg_attr(not(feature = "http2"), allow(unused_mut))]
    let mut builder = Client::builder(TokioExecutor::new());
    #[cfg(feature = "http2")]
    builder.http2_only(h2);
    assert!(
        cfg!(feature = "http2") || !h2,
        "HTTP/2 needs the tests' http2 feature"
    );
    let client = builder.build_http::<Full<Bytes>>();
    let res = client.request(req).await.unwrap();
    let (parts, body) = res.into_parts();
    Answer {
        status: parts.status,
        version: parts.version,
        headers: parts.headers,
        body: body.collect().await.unwrap().to_bytes(),
    }
}

pub async fn send_h1(req: Request<Full<Bytes>>) -> Answer {
    send(req, false).await
}

/// A 413 the Twilio layer wrote (its text, not tower-http's
/// `length limit exceeded`).
pub fn assert_layer_413(wire: &Wire) {
    assert_eq!(wire.status, 413, "{}", wire.head);
    assert!(
        wire.body.starts_with("the body is larger than the limit"),
        "{:?}",
        wire.body
    );
}

/// The layer's own `408` for a body that did not arrive in time.
pub fn assert_layer_408(wire: &Wire) {
    assert_eq!(wire.status, 408, "{}", wire.head);
    assert!(wire.body.contains("body_timeout"), "{:?}", wire.body);
}

/// A signed form POST whose body stops after its first bytes, the
/// connection left open: the answer.
pub async fn stalled_post(addr: SocketAddr) -> Wire {
    let signature = signature_for("/voice", BODY);
    let wire = format!(
        "POST /voice HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {FORM}\r\n\
         X-Twilio-Signature: {signature}\r\nContent-Length: {}\r\n\r\n{}",
        BODY.len(),
        &BODY[..4]
    );
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(wire.as_bytes()).await.unwrap();
    read_response(&mut stream, true).await.expect("a response")
}

/// One raw HTTP/1.1 form POST of `body`, chunked or with a
/// `Content-Length`, signed for `/voice`.
pub async fn raw_post(addr: SocketAddr, body: &str, chunked: bool) -> Wire {
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
    read_response(&mut stream, true).await.expect("a response")
}
