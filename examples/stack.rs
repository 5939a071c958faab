//! The layer in a production stack with tower-http: tracing, a timeout, a
//! request-body limit and compression, in one `ServiceBuilder`.
//!
//! ```sh
//! cargo run --example stack
//! ```
//!
//! Configuration, all optional: `TWILIO_AUTH_TOKEN` (a demo token is embedded
//! otherwise), `TWILIO_BASE_URL` (default `http://127.0.0.1:3002`), `BIND`
//! (default `127.0.0.1:3002`). The README shows the stack of [`app`] and says
//! which limit applies where.

use std::net::SocketAddr;
use std::time::Duration;
use tracing_subscriber::{filter::Targets, prelude::*};

use axum::http::{header, StatusCode};
use axum::routing::post;
use axum::Router;
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tower_twilio::twiml::voice::{Say, VoiceResponse};
use tower_twilio::twiml::Twiml;
use tower_twilio::{Signer, TwilioValidateLayer, ValidatedWebhook};

/// A token for the demo only; real deployments set `TWILIO_AUTH_TOKEN`.
pub const DEMO_AUTH_TOKEN: &str = "demo-auth-token-0123456789abcdef";

/// The most a webhook body may be here: Twilio's are a few KiB.
pub const BODY_LIMIT: usize = 64 * 1024;

async fn voice(webhook: ValidatedWebhook) -> Twiml {
    tracing::info!(call = webhook.get("CallSid"), "incoming call");
    VoiceResponse::new()
        .say(Say::new("Hello from a Tower stack."))
        .into()
}

/// The app: the Twilio route behind tower-http's layers and the Twilio layer.
pub fn app(token: &str, base_url: &str) -> Router {
    // README: begin
    Router::new().route("/voice", post(voice)).layer(
        ServiceBuilder::new()
            // Outermost: sees every request, the refused ones too.
            .layer(TraceLayer::new_for_http())
            // The whole app's cap: a larger Content-Length is refused here.
            .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
            // Reading the body and running the handler, together.
            .layer(TimeoutLayer::with_status_code(
                StatusCode::SERVICE_UNAVAILABLE,
                Duration::from_secs(10),
            ))
            .layer(
                TwilioValidateLayer::new(token)
                    .base_url(base_url)
                    .max_body_bytes(BODY_LIMIT),
            )
            // Inside: compresses what the handler answers.
            .layer(CompressionLayer::new()),
    )
    // README: end
}

#[tokio::main]
async fn main() {
    // `RUST_LOG` as `target=level` pairs, e.g. `info,tower_twilio=debug`.
    let filter: Targets = std::env::var("RUST_LOG")
        .ok()
        .and_then(|pairs| pairs.parse().ok())
        .unwrap_or_else(|| {
            "info,tower_http=debug,tower_twilio=debug"
                .parse()
                .expect("a valid filter")
        });
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer())
        .with(filter)
        .init();
    let bind: SocketAddr = std::env::var("BIND")
        .unwrap_or_else(|_| "127.0.0.1:3002".into())
        .parse()
        .expect("BIND must be an address such as 127.0.0.1:3002");
    let token = std::env::var("TWILIO_AUTH_TOKEN").unwrap_or_else(|_| DEMO_AUTH_TOKEN.into());
    let base_url = std::env::var("TWILIO_BASE_URL").unwrap_or_else(|_| format!("http://{bind}"));
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .unwrap_or_else(|e| panic!("cannot listen on {bind}: {e}"));

    let body = "CallSid=CA1234567890ABCDE&From=%2B14158675309";
    let mut req = http::Request::post("/voice")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .expect("a valid request");
    Signer::new(&token, &base_url).sign(&mut req);
    let signature = req.headers()["x-twilio-signature"]
        .to_str()
        .unwrap_or_default();
    println!("Listening on http://{bind}; Twilio calls {base_url}/voice");
    println!("A signed call, answered gzip-compressed (200):");
    println!(
        "  curl -i --compressed http://{bind}/voice -H 'X-Twilio-Signature: {signature}' -d '{body}'"
    );
    println!("Change one character and get 403; send more than {BODY_LIMIT} bytes and get 413.");
    axum::serve(listener, app(&token, &base_url))
        .await
        .expect("server error");
}
