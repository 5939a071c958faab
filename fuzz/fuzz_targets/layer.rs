//! The whole layer, driven through `oneshot` with an arbitrary method,
//! request target, headers and body (data, stalls, errors, trailers and a
//! size hint that may lie), under an arbitrary configuration; requests may
//! be signed the way Twilio signs them.
//!
//! Whatever comes in: no panic, no 5xx; the inner service is called exactly
//! when no rejection is returned, then with a [`ValidatedWebhook`], one
//! signature header and the very bytes that were sent; with a configured
//! base URL the URL that validated is on the configured host; a rejection's
//! status is the one documented for its reason, and its body names no
//! secret. Time is paused, so a stalled body meets the read timeout at once.
#![no_main]

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use arbitrary::Arbitrary;
use axum::body::Body;
use axum::Router;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;
use tower_twilio::auth::HttpAuth;
use tower_twilio::{Rejection, RequestValidator, Signer, TwilioValidateLayer, ValidatedWebhook};

const TOKEN: &str = "fuzz-auth-token";
const SECONDARY: &str = "fuzz-secondary-token";
const SHARED: &str = "fuzz-shared-secret";
const PASSWORD: &str = "fuzz-password";
const BASE: &str = "https://mycompany.com";
/// `twilio:fuzz-password`
const BASIC: &str = "Basic dHdpbGlvOmZ1enotcGFzc3dvcmQ=";
const LIMIT: usize = 4096;

#[derive(Arbitrary, Debug)]
struct Input {
    base_url: bool,
    trust_forwarded: bool,
    auth: Auth,
    method: Verb,
    target: String,
    headers: Vec<(Name, Vec<u8>)>,
    chunks: Vec<Chunk>,
    size_hint: Option<(u16, Option<u16>)>,
    sign: Sign,
}

#[derive(Arbitrary, Debug, Clone, Copy, PartialEq)]
enum Auth {
    None,
    Basic,
    Digest,
}

#[derive(Arbitrary, Debug)]
enum Verb {
    Get,
    Post,
    Head,
    Options,
    Connect,
    Put,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Name {
    Signature,
    Settings,
    Authorization,
    ContentType,
    ContentLength,
    TransferEncoding,
    Host,
    Upgrade,
    Connection,
    Forwarded,
    XForwardedHost,
    XForwardedProto,
    XForwardedPort,
    XForwardedPrefix,
    Other(String),
}

#[derive(Arbitrary, Debug, Clone)]
enum Chunk {
    Data(Vec<u8>),
    /// Not ready, and wakes itself: the body is slow, not stalled.
    Yield,
    /// Never ready again: the read timeout must answer.
    Stall,
    Error,
    Trailers(Vec<(u8, Vec<u8>)>),
}

#[derive(Arbitrary, Debug, Clone, Copy, PartialEq)]
enum Sign {
    No,
    Token,
    Secondary,
    SharedKey,
}

fuzz_target!(|input: Input| {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    let runtime = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap()
    });
    if let Some(req) = request(&input) {
        runtime.block_on(check(&input, req));
    }
});

fn layer(input: &Input) -> TwilioValidateLayer {
    let validator = RequestValidator::new(TOKEN)
        .secondary_token(SECONDARY)
        .shared_key("k1", SHARED);
    let mut layer = TwilioValidateLayer::with_validator(validator)
        .trust_forwarded_headers(input.trust_forwarded)
        .max_body_bytes(LIMIT)
        .body_read_timeout(Duration::from_secs(1));
    if input.base_url {
        layer = layer.base_url(BASE);
    }
    let auth = HttpAuth::builder();
    match input.auth {
        Auth::None => layer,
        Auth::Basic => layer.http_auth(auth.basic_auth("twilio", PASSWORD).build()),
        Auth::Digest => layer.http_auth(auth.digest_auth("twilio", PASSWORD).build()),
    }
}

/// The request, or `None` when `http` cannot represent it.
fn request(input: &Input) -> Option<Request<Body>> {
    let method = match &input.method {
        Verb::Get => Method::GET,
        Verb::Post => Method::POST,
        Verb::Head => Method::HEAD,
        Verb::Options => Method::OPTIONS,
        Verb::Connect => Method::CONNECT,
        Verb::Put => Method::PUT,
        Verb::Other(m) => Method::from_bytes(m.as_bytes()).ok()?,
    };
    let sent: Vec<u8> = input
        .chunks
        .iter()
        .filter_map(|c| match c {
            Chunk::Data(d) => Some(d.as_slice()),
            _ => None,
        })
        .flatten()
        .copied()
        .collect();
    let mut req = Request::builder()
        .method(method)
        .uri(input.target.as_str())
        .body(sent)
        .ok()?;
    for (name, value) in &input.headers {
        let name = match name {
            Name::Signature => HeaderName::from_static("x-twilio-signature"),
            Name::Settings => HeaderName::from_static("x-twilio-webhooks-signature-settings"),
            Name::Authorization => http::header::AUTHORIZATION,
            Name::ContentType => http::header::CONTENT_TYPE,
            Name::ContentLength => http::header::CONTENT_LENGTH,
            Name::TransferEncoding => http::header::TRANSFER_ENCODING,
            Name::Host => http::header::HOST,
            Name::Upgrade => http::header::UPGRADE,
            Name::Connection => http::header::CONNECTION,
            Name::Forwarded => HeaderName::from_static("forwarded"),
            Name::XForwardedHost => HeaderName::from_static("x-forwarded-host"),
            Name::XForwardedProto => HeaderName::from_static("x-forwarded-proto"),
            Name::XForwardedPort => HeaderName::from_static("x-forwarded-port"),
            Name::XForwardedPrefix => HeaderName::from_static("x-forwarded-prefix"),
            Name::Other(name) => HeaderName::from_bytes(name.as_bytes()).ok()?,
        };
        let value = HeaderValue::from_bytes(value).ok()?;
        req.headers_mut().append(name, value);
    }
    let signer = Signer::new(TOKEN, BASE);
    match input.sign {
        Sign::No => {}
        Sign::Token => signer.sign(&mut req),
        Sign::Secondary => Signer::new(SECONDARY, BASE).sign(&mut req),
        Sign::SharedKey => signer.shared_key("k1", SHARED).sign(&mut req),
    }
    if input.sign != Sign::No {
        req.headers_mut().insert(
            http::header::HOST,
            HeaderValue::from_static("mycompany.com"),
        );
        if input.auth == Auth::Basic {
            req.headers_mut()
                .insert(http::header::AUTHORIZATION, HeaderValue::from_static(BASIC));
        }
    }
    let hint = match input.size_hint {
        None => SizeHint::default(),
        Some((lower, upper)) => {
            let mut hint = SizeHint::new();
            hint.set_lower(u64::from(lower));
            if let Some(upper) = upper {
                hint.set_upper(u64::from(lower) + u64::from(upper));
            }
            hint
        }
    };
    let body = FuzzBody {
        chunks: input.chunks.iter().cloned().collect(),
        hint,
    };
    Some(req.map(|_| Body::new(body)))
}

async fn check(input: &Input, req: Request<Body>) {
    let seen: Arc<Mutex<Option<(ValidatedWebhook, usize, Bytes)>>> = Arc::default();
    let calls = Arc::new(AtomicUsize::new(0));
    let inner = {
        let (seen, calls) = (seen.clone(), calls.clone());
        move |req: Request<Body>| async move {
            calls.fetch_add(1, Ordering::SeqCst);
            let webhook = req
                .extensions()
                .get::<ValidatedWebhook>()
                .cloned()
                .expect("the inner service was called without a ValidatedWebhook");
            let signatures = req.headers().get_all("x-twilio-signature").iter().count();
            let body = req.into_body().collect().await.unwrap().to_bytes();
            *seen.lock().unwrap() = Some((webhook, signatures, body));
            "ok"
        }
    };
    let sent: Vec<u8> = input
        .chunks
        .iter()
        .filter_map(|c| match c {
            Chunk::Data(d) => Some(d.clone()),
            _ => None,
        })
        .flatten()
        .collect();

    let app = Router::new().fallback(inner).layer(layer(input));
    let res = app.oneshot(req).await.unwrap();
    let status = res.status();
    let rejection = res.extensions().get::<Rejection>().copied();
    let text = res.into_body().collect().await.unwrap().to_bytes();

    assert!(!status.is_server_error(), "{status} {rejection:?}");
    let called = calls.load(Ordering::SeqCst);
    match rejection {
        Some(rejection) => {
            assert_eq!(
                called, 0,
                "rejected ({rejection:?}) after calling the inner service"
            );
            assert_eq!(status, expected_status(rejection), "{rejection:?}");
            let text = String::from_utf8_lossy(&text);
            for secret in [TOKEN, SECONDARY, SHARED, PASSWORD] {
                assert!(!text.contains(secret));
            }
        }
        None => {
            assert_eq!((called, status), (1, StatusCode::OK));
            let (webhook, signatures, body) = seen.lock().unwrap().take().unwrap();
            assert_eq!(signatures, 1);
            assert_eq!(
                body, sent,
                "the inner service got other bytes than were sent"
            );
            if input.base_url {
                let url = webhook.url();
                assert!(
                    ["https://mycompany.com", "wss://mycompany.com"]
                        .iter()
                        .any(|base| url.starts_with(&format!("{base}/"))
                            || url.starts_with(&format!("{base}:443/"))),
                    "validated against another host: {url}"
                );
            }
        }
    }
}

fn expected_status(rejection: Rejection) -> StatusCode {
    match rejection {
        Rejection::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Rejection::BodyError
        | Rejection::MalformedBody
        | Rejection::MissingHost
        | Rejection::UnsupportedTarget => StatusCode::BAD_REQUEST,
        Rejection::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
        Rejection::Unauthenticated => StatusCode::UNAUTHORIZED,
        _ => StatusCode::FORBIDDEN,
    }
}

/// A request body that plays its chunks in order.
struct FuzzBody {
    chunks: VecDeque<Chunk>,
    hint: SizeHint,
}

impl http_body::Body for FuzzBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let Some(chunk) = self.chunks.pop_front() else {
            return Poll::Ready(None);
        };
        match chunk {
            Chunk::Data(data) => Poll::Ready(Some(Ok(Frame::data(Bytes::from(data))))),
            Chunk::Yield => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Chunk::Stall => {
                self.chunks.push_front(Chunk::Stall);
                Poll::Pending
            }
            Chunk::Error => Poll::Ready(Some(Err(std::io::Error::other("reset")))),
            Chunk::Trailers(fields) => {
                let mut trailers = HeaderMap::new();
                for (n, value) in fields {
                    if let Ok(value) = HeaderValue::from_bytes(&value) {
                        let name = HeaderName::from_bytes(format!("t{n}").as_bytes()).unwrap();
                        trailers.append(name, value);
                    }
                }
                Poll::Ready(Some(Ok(Frame::trailers(trailers))))
            }
        }
    }

    fn size_hint(&self) -> SizeHint {
        self.hint
    }
}
