//! A Twilio app behind a TLS-terminating proxy that strips a path prefix.
//!
//! ```sh
//! cargo run --example behind_proxy                          # the public URL is configured
//! PROXY_MODE=forwarded cargo run --example behind_proxy     # the proxy's headers are trusted
//! ```
//!
//! Twilio calls `https://hooks.example.com/twilio/voice`. The proxy (nginx,
//! Caddy, a cloud load balancer, a tunnel) terminates TLS, strips `/twilio`
//! and forwards `http://127.0.0.1:3001/voice`. Twilio signed the public URL,
//! so the layer has to rebuild it, in one of two ways:
//!
//! 1. Configure it: `.base_url("https://hooks.example.com/twilio")`. Nothing
//!    a client sends can change the URL that is checked. Prefer this.
//! 2. Trust the proxy: `.trust_forwarded_headers(true)` reads `Forwarded` or
//!    `X-Forwarded-Proto`, `-Host`, `-Port` and `-Prefix`. Only when the proxy
//!    overwrites those headers and the app cannot be reached around it, or a
//!    client chooses the URL that is checked.
//!
//! With nginx:
//!
//! ```nginx
//! location /twilio/ {
//!     proxy_pass http://127.0.0.1:3001/;            # the trailing slash strips /twilio
//!     proxy_set_header Host $host;
//!     proxy_set_header X-Forwarded-Proto $scheme;    # overwrite, never append
//!     proxy_set_header X-Forwarded-Host $host;
//!     proxy_set_header X-Forwarded-Prefix /twilio;
//! }
//! ```
//!
//! The layer sits on the Twilio routes only (`route_layer`), so `/health`
//! stays open to the load balancer without a second router.
//!
//! Configuration, all optional: `TWILIO_AUTH_TOKEN` (a demo token is embedded
//! otherwise), `PUBLIC_URL` (default `https://hooks.example.com/twilio`),
//! `PROXY_MODE=forwarded`, `BIND` (default `127.0.0.1:3001`). Without a proxy
//! at hand, the printed `curl` commands play its part.

use std::net::SocketAddr;
use tracing_subscriber::{filter::Targets, prelude::*};

use axum::http::{header, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use tower_twilio::twiml::voice::{Say, VoiceResponse};
use tower_twilio::twiml::Twiml;
use tower_twilio::{Signer, TwilioForm, TwilioValidateLayer, ValidatedWebhook};

/// A token for the demo only; real deployments set `TWILIO_AUTH_TOKEN`.
pub const DEMO_AUTH_TOKEN: &str = "demo-auth-token-0123456789abcdef";

/// The URL of the proxy's Twilio location, as typed in the Twilio console
/// (without the route).
pub const PUBLIC_URL: &str = "https://hooks.example.com/twilio";

/// Option 1: the public URL is configuration.
pub fn configured_layer(token: &str, public_url: &str) -> TwilioValidateLayer {
    TwilioValidateLayer::new(token).base_url(public_url)
}

/// Option 2: scheme, host and prefix come from the proxy's headers.
pub fn forwarded_layer(token: &str) -> TwilioValidateLayer {
    TwilioValidateLayer::new(token).trust_forwarded_headers(true)
}

/// The Twilio routes behind `layer`, and an open `/health`.
pub fn app(layer: TwilioValidateLayer) -> Router {
    Router::new()
        .route("/voice", post(voice))
        .route("/status", post(status))
        // Applies to the routes above only; unknown paths stay 404.
        .route_layer(layer)
        .route("/health", get(|| async { "ok" }))
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Call {
    call_sid: String,
    from: String,
}

async fn voice(webhook: ValidatedWebhook, TwilioForm(call): TwilioForm<Call>) -> Twiml {
    // `url()` is the public URL the signature was checked against.
    tracing::info!(
        call = call.call_sid,
        from = call.from,
        url = webhook.url(),
        "incoming call"
    );
    VoiceResponse::new()
        .say(Say::new("Hello from behind the proxy."))
        .into()
}

async fn status(webhook: ValidatedWebhook) -> StatusCode {
    tracing::info!(
        call = webhook.get("CallSid"),
        status = webhook.get("CallStatus"),
        "status callback"
    );
    StatusCode::NO_CONTENT
}

#[tokio::main]
async fn main() {
    // `RUST_LOG` as `target=level` pairs, e.g. `info,tower_twilio=debug`.
    let filter: Targets = std::env::var("RUST_LOG")
        .ok()
        .and_then(|pairs| pairs.parse().ok())
        .unwrap_or_else(|| "info,tower_twilio=debug".parse().expect("a valid filter"));
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer())
        .with(filter)
        .init();

    let bind: SocketAddr = std::env::var("BIND")
        .unwrap_or_else(|_| "127.0.0.1:3001".into())
        .parse()
        .expect("BIND must be an address such as 127.0.0.1:3001");
    let token = std::env::var("TWILIO_AUTH_TOKEN").unwrap_or_else(|_| DEMO_AUTH_TOKEN.into());
    let public_url = std::env::var("PUBLIC_URL").unwrap_or_else(|_| PUBLIC_URL.into());
    let forwarded = std::env::var("PROXY_MODE").is_ok_and(|m| m == "forwarded");
    let layer = if forwarded {
        forwarded_layer(&token)
    } else {
        configured_layer(&token, &public_url)
    };

    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .unwrap_or_else(|e| panic!("cannot listen on {bind}: {e}"));
    print_banner(&token, &public_url, bind, forwarded);
    axum::serve(listener, app(layer))
        .await
        .expect("server error");
}

fn print_banner(token: &str, public_url: &str, bind: SocketAddr, forwarded: bool) {
    let body = "CallSid=CA1234567890ABCDE&From=%2B14158675309&To=%2B18005551212";
    let mut req = http::Request::post("/voice")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .expect("a valid request");
    Signer::new(token, public_url).sign(&mut req);
    let signature = req.headers()["x-twilio-signature"]
        .to_str()
        .unwrap_or_default();

    let mode = if forwarded {
        "trusting X-Forwarded-* from the proxy"
    } else {
        "base_url configured"
    };
    println!("Listening on http://{bind} ({mode}); Twilio calls {public_url}/voice");
    println!("Health check, never validated:\n  curl -i http://{bind}/health");
    let proxy_headers = if forwarded {
        let (scheme, rest) = public_url
            .split_once("://")
            .unwrap_or(("https", public_url));
        let (host, prefix) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let mut headers =
            format!(" -H 'X-Forwarded-Proto: {scheme}' -H 'X-Forwarded-Host: {host}'");
        if !prefix.is_empty() {
            headers.push_str(&format!(" -H 'X-Forwarded-Prefix: {prefix}'"));
        }
        headers
    } else {
        String::new()
    };
    println!("What the proxy forwards for a call, signed for {public_url}/voice (200):");
    println!(
        "  curl -i http://{bind}/voice{proxy_headers} \
         -H 'X-Twilio-Signature: {signature}' -d '{body}'"
    );
    println!("Change one character and get 403; the log shows the url that was checked.");
}
