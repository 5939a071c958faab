//! A small Twilio app behind `TwilioValidateLayer`.
//!
//! ```sh
//! cargo run --example server
//! ```
//!
//! Configuration, all optional:
//! - `TWILIO_AUTH_TOKEN`: your Auth Token (a demo token is embedded otherwise);
//! - `TWILIO_BASE_URL`: the public URL Twilio calls, such as your ngrok URL
//!   (default `http://<BIND>`, so that local `curl` requests validate);
//! - `BIND`: the address to listen on (default `127.0.0.1:3000`);
//! - `TWILIO_WEBHOOK_AUTH=basic|digest` with `TWILIO_WEBHOOK_USER` and
//!   `TWILIO_WEBHOOK_PASSWORD`: also require HTTP authentication, as when the
//!   webhook URL in the console is `https://user:password@host/voice`.
//!
//! On start it prints a `curl` command carrying a valid signature: run it and
//! get 200; change one character of the signature or the body and get 403.

use std::net::SocketAddr;
use tracing_subscriber::{filter::Targets, prelude::*};

use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use tower_twilio::auth::HttpAuth;
use tower_twilio::twiml::messaging::{self, MessagingResponse};
use tower_twilio::twiml::voice::{Say, VoiceResponse};
use tower_twilio::twiml::Twiml;
use tower_twilio::{Signer, TwilioValidateLayer, ValidatedWebhook};

/// A token for the demo only; real deployments set `TWILIO_AUTH_TOKEN`.
pub const DEMO_AUTH_TOKEN: &str = "demo-auth-token-0123456789abcdef";

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
        .unwrap_or_else(|_| "127.0.0.1:3000".into())
        .parse()
        .expect("BIND must be an address such as 127.0.0.1:3000");
    let token = std::env::var("TWILIO_AUTH_TOKEN").unwrap_or_else(|_| {
        eprintln!("TWILIO_AUTH_TOKEN is not set: using the embedded demo token");
        DEMO_AUTH_TOKEN.into()
    });
    let base_url = std::env::var("TWILIO_BASE_URL").unwrap_or_else(|_| format!("http://{bind}"));

    let mut layer = TwilioValidateLayer::new(token.clone()).base_url(&base_url);
    let auth = http_auth_from_env();
    if let Some((scheme, user, password)) = &auth {
        let builder = HttpAuth::builder();
        let builder = match scheme.as_str() {
            "basic" => builder.basic_auth(user.as_str(), password.as_str()),
            _ => builder.digest_auth(user.as_str(), password.as_str()),
        };
        layer = layer.http_auth(builder.build());
    }
    let app = app(layer);

    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .unwrap_or_else(|e| panic!("cannot listen on {bind}: {e}"));
    print_banner(&token, &base_url, bind, auth.as_ref());
    axum::serve(listener, app).await.expect("server error");
}

/// The demo's routes, all behind `layer`.
pub fn app(layer: TwilioValidateLayer) -> Router {
    Router::new()
        .route("/voice", post(voice))
        .route("/sms", post(sms))
        .route("/status", post(status))
        .route("/events", post(events))
        .route("/media-stream", get(media_stream))
        .layer(layer)
}

/// `TWILIO_WEBHOOK_AUTH=basic|digest`, `TWILIO_WEBHOOK_USER`, `TWILIO_WEBHOOK_PASSWORD`.
fn http_auth_from_env() -> Option<(String, String, String)> {
    let scheme = std::env::var("TWILIO_WEBHOOK_AUTH")
        .ok()?
        .to_ascii_lowercase();
    assert!(
        scheme == "basic" || scheme == "digest",
        "TWILIO_WEBHOOK_AUTH must be basic or digest"
    );
    let user = std::env::var("TWILIO_WEBHOOK_USER").expect("set TWILIO_WEBHOOK_USER");
    let password = std::env::var("TWILIO_WEBHOOK_PASSWORD").expect("set TWILIO_WEBHOOK_PASSWORD");
    Some((scheme, user, password))
}

fn print_banner(
    token: &str,
    base_url: &str,
    bind: SocketAddr,
    auth: Option<&(String, String, String)>,
) {
    let body = "CallSid=CA1234567890ABCDE&From=%2B14158675309&To=%2B18005551212&CallStatus=ringing";
    let mut req = http::Request::post("/voice")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .expect("a valid request");
    Signer::new(token, base_url).sign(&mut req);
    let signature = req.headers()["x-twilio-signature"]
        .to_str()
        .unwrap_or_default();
    println!("Listening on http://{bind}; Twilio webhook base URL: {base_url}");
    let (scheme, host) = base_url.split_once("://").unwrap_or(("https", base_url));
    let (console_url, curl_auth) = match auth {
        Some((kind, user, _)) => (
            format!("{scheme}://{user}:<password>@{host}/voice"),
            format!(" --{kind} -u '{user}:<password>'"),
        ),
        None => (format!("{base_url}/voice"), String::new()),
    };
    println!("Voice webhook URL for the Twilio console: {console_url}");
    println!("Try a signed request (200), then change one character (403):");
    println!(
        "  curl -i{curl_auth} http://{bind}/voice -H 'X-Twilio-Signature: {signature}' -d '{body}'"
    );
    println!("Sign any other request (fields, JSON, shared keys) with the sign example:");
    println!("  cargo run --example sign -- {base_url}/sms From=+14158675309 'Body=Hello there'");
}

async fn voice(webhook: ValidatedWebhook) -> impl IntoResponse {
    tracing::info!(
        from = webhook.get("From"),
        call = webhook.get("CallSid"),
        "incoming call"
    );
    Twiml::from(VoiceResponse::new().say(Say::new("Hello from tower-twilio.")))
}

async fn sms(webhook: ValidatedWebhook) -> impl IntoResponse {
    tracing::info!(
        from = webhook.get("From"),
        body = webhook.get("Body"),
        "incoming message"
    );
    Twiml::from(MessagingResponse::new().message(messaging::Message::new("Thanks, got it.")))
}

async fn status(webhook: ValidatedWebhook) -> StatusCode {
    tracing::info!(
        call = webhook.get("CallSid"),
        status = webhook.get("CallStatus").or(webhook.get("MessageStatus")),
        "status callback"
    );
    StatusCode::NO_CONTENT
}

/// A JSON webhook: the layer has checked the body against `bodySHA256`.
async fn events(Json(event): Json<serde_json::Value>) -> StatusCode {
    tracing::info!(%event, "JSON webhook");
    StatusCode::NO_CONTENT
}

/// A Media Streams WebSocket: the handshake was validated (signed as `wss://`).
async fn media_stream(ws: WebSocketUpgrade) -> impl IntoResponse {
    ws.on_upgrade(stream_frames)
}

async fn stream_frames(mut socket: WebSocket) {
    while let Some(Ok(message)) = socket.recv().await {
        match message {
            Message::Text(text) => {
                let event: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                tracing::info!(event = %event["event"], "media stream frame");
            }
            Message::Binary(bytes) => tracing::info!(len = Bytes::len(&bytes), "binary frame"),
            Message::Close(_) => break,
            _ => {}
        }
    }
}
