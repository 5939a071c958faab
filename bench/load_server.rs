//! The server `bench/load.sh` and `bench/memory.sh` start: one axum route,
//! `POST /twilio/voice`, answering a fixed TwiML document. Variants:
//!
//! - `bare`: no validation. Its handler, like every variant's, reads the
//!   whole body (an echo app's does): so every server does that work, and
//!   the differences are the validation.
//! - `layer`: `TwilioValidateLayer` in front of the same handler.
//! - `floor`: a Tower service that reads the body and computes one HMAC-SHA1
//!   over the URL and the raw body, and nothing else: less than any
//!   validator must do (no decoding, no sorting), so an upper bound on the
//!   throughput a validating server can keep.
//! - `form`: no validation; the handler decodes the fields with axum's
//!   `Form`, as a handler that uses the webhook does.
//! - `layer_form`: the layer, and a handler that reads the same fields
//!   through `TwilioForm` (decoded once, by the layer).
//!
//! Listens on 127.0.0.1 only.
//!
//! ```text
//! cargo run --release --example load_server -- serve layer 8081 [max_body_bytes]
//! cargo run --release --example load_server -- serve bare|floor|form|layer_form 8080
//! cargo run --release --example load_server -- wrk-script [base_url]
//! cargo run --release --example load_server -- auth-token
//! ```
//!
//! `TOKIO_WORKER_THREADS` sets the runtime's threads (load.sh uses 1, like
//! Node's single thread).

use std::convert::Infallible;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::{Form, Request};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use tower::Service;
use tower_twilio::{TwilioForm, TwilioValidateLayer};

use fixtures::{Case, AUTH_TOKEN, BASE_URL};
use tower_twilio_bench as fixtures;

const TWIML: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say>Hello from the benchmark.</Say></Response>"#;

/// Reads the body, as every variant's handler does, and answers TwiML.
async fn voice(body: axum::body::Bytes) -> impl IntoResponse {
    std::hint::black_box(body);
    ([(header::CONTENT_TYPE, "text/xml")], TWIML)
}

/// The fields a voice handler typically reads.
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Call {
    call_sid: String,
    from: String,
    to: String,
}

fn answer(call: &Call) -> impl IntoResponse {
    std::hint::black_box((&call.call_sid, &call.from, &call.to));
    ([(header::CONTENT_TYPE, "text/xml")], TWIML)
}

async fn voice_form(Form(call): Form<Call>) -> impl IntoResponse {
    answer(&call)
}

async fn voice_twilio_form(TwilioForm(call): TwilioForm<Call>) -> impl IntoResponse {
    answer(&call)
}

/// Reads the body and computes one HMAC-SHA1 over the URL and the raw
/// body: the work no validator can skip, and less than a correct one does.
/// A plain Tower service, like the layer (no `from_fn` machinery).
#[derive(Clone)]
struct HmacFloor<S>(S);

impl<S> Service<Request> for HmacFloor<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let mut inner = self.0.clone();
        std::mem::swap(&mut inner, &mut self.0);
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let Ok(body) = axum::body::to_bytes(body, 1024 * 1024).await else {
                return Ok(StatusCode::BAD_REQUEST.into_response());
            };
            let mut mac =
                Hmac::<Sha1>::new_from_slice(AUTH_TOKEN.as_bytes()).expect("any key length");
            mac.update(BASE_URL.as_bytes());
            mac.update(parts.uri.path().as_bytes());
            mac.update(&body);
            let signature = parts.headers.get("x-twilio-signature");
            std::hint::black_box((mac.finalize(), signature));
            inner
                .call(Request::from_parts(parts, Body::from(body)))
                .await
        })
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: load_server serve (bare|layer|floor|form|layer_form) PORT [MAX_BODY_BYTES] | wrk-script [BASE_URL] | auth-token"
    );
    std::process::exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") => {
            let variant = match args.get(1).map(String::as_str) {
                Some(v @ ("bare" | "layer" | "floor" | "form" | "layer_form")) => v.to_owned(),
                _ => usage(),
            };
            let port: u16 = args
                .get(2)
                .and_then(|p| p.parse().ok())
                .unwrap_or_else(|| usage());
            let limit: Option<usize> = args.get(3).map(|l| l.parse().unwrap_or_else(|_| usage()));
            serve(&variant, port, limit);
        }
        Some("auth-token") => println!("{AUTH_TOKEN}"),
        Some("wrk-script") => {
            let base = args.get(1).map_or(BASE_URL, String::as_str);
            print!("{}", wrk_script(base));
        }
        _ => usage(),
    }
}

fn serve(variant: &str, port: u16, limit: Option<usize>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let mut layer = TwilioValidateLayer::new(AUTH_TOKEN).base_url(BASE_URL);
    if let Some(limit) = limit {
        layer = layer.max_body_bytes(limit);
    }
    let app = match variant {
        "bare" => Router::new().route("/twilio/voice", post(voice)),
        "layer" => Router::new()
            .route("/twilio/voice", post(voice))
            .layer(layer),
        "floor" => Router::new()
            .route("/twilio/voice", post(voice))
            .layer(tower::layer::layer_fn(HmacFloor)),
        "form" => Router::new().route("/twilio/voice", post(voice_form)),
        _ => Router::new()
            .route("/twilio/voice", post(voice_twilio_form))
            .layer(layer),
    };
    runtime.block_on(async move {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .expect("bind 127.0.0.1");
        eprintln!(
            "load_server: {variant} on http://{addr}/twilio/voice (pid {})",
            std::process::id()
        );
        axum::serve(listener, app).await.expect("serve");
    });
}

/// A wrk Lua script that POSTs the signed inbound-call webhook and prints
/// one machine-readable line at the end. `base` is the public URL the
/// server under test checks against (the same for every server).
fn wrk_script(base: &str) -> String {
    let case = Case::inbound_call();
    assert_eq!(base, BASE_URL, "the fixtures are signed for {BASE_URL}");
    let body = String::from_utf8(case.body.clone()).expect("a form body is ASCII");
    format!(
        r#"-- Generated by `load_server wrk-script`: the signed 28-field inbound-call webhook.
wrk.method = "POST"
wrk.path = "{path}"
wrk.body = "{body}"
wrk.headers["Host"] = "example.com"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["X-Twilio-Signature"] = "{signature}"
wrk.headers["User-Agent"] = "TwilioProxy/1.1"

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT rps=%.1f p50_us=%d p99_us=%d requests=%d non2xx=%d socket_errors=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), summary.requests,
    e.status, e.connect + e.read + e.write + e.timeout))
end
"#,
        path = case.path_and_query,
        signature = case.signature(),
    )
}
