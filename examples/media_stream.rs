//! A voice app that streams the call's audio over a WebSocket (Media
//! Streams), and an AI-agent-style app on ConversationRelay. Both handshakes
//! are validated before the upgrade.
//!
//! ```sh
//! cargo run --example media_stream
//! ```
//!
//! 1. A call comes in: Twilio POSTs `/voice` (validated as usual) and gets
//!    `<Connect><Stream url="wss://.../media-stream"/></Connect>`.
//! 2. Twilio opens the WebSocket with a GET that carries `X-Twilio-Signature`,
//!    signed over that `wss://` URL. The layer checks it before the upgrade;
//!    an unsigned or forged handshake gets `403` and never becomes a socket.
//! 3. Frames flow: `connected`, `start` (the `streamSid`, the call, the audio
//!    format), `media` (base64 8 kHz mu-law), `stop`. This app echoes each
//!    `media` frame back, so the caller hears themself.
//!
//! `/voice-relay` answers `<Connect><ConversationRelay url="wss://.../relay"/>`
//! instead: Twilio does the speech recognition and synthesis and sends text
//! (`setup`, `prompt`, `dtmf`, `interrupt`); the app answers `text` tokens.
//!
//! Configuration, all optional: `TWILIO_AUTH_TOKEN` (a demo token is
//! embedded otherwise), `TWILIO_BASE_URL`, the public `https://` URL such as
//! your ngrok URL (default `http://<BIND>`, whose sockets are `ws://`), `BIND`
//! (default `127.0.0.1:3003`). Point the voice webhook of a number at
//! `<TWILIO_BASE_URL>/voice` or `/voice-relay`.

use std::net::SocketAddr;
use tracing_subscriber::{filter::Targets, prelude::*};

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine as _;
use tower_twilio::payload::relay::{RelayCommand, RelayEvent};
use tower_twilio::payload::stream::{StreamCommand, StreamEvent};
use tower_twilio::twiml::voice::{Connect, ConversationRelay, Stream, VoiceResponse};
use tower_twilio::twiml::Twiml;
use tower_twilio::{websocket_url, Signer, TwilioValidateLayer, ValidatedWebhook};

/// A token for the demo only; real deployments set `TWILIO_AUTH_TOKEN`.
pub const DEMO_AUTH_TOKEN: &str = "demo-auth-token-0123456789abcdef";

/// The public WebSocket URLs, written into the TwiML.
#[derive(Clone)]
struct Urls {
    stream: String,
    relay: String,
}

/// The app, for the public `base_url` (`https://host[/prefix]`, the sockets
/// are then `wss://host[/prefix]/...`).
pub fn app(token: &str, base_url: &str) -> Router {
    let urls = Urls {
        stream: websocket_url(base_url, "/media-stream"),
        relay: websocket_url(base_url, "/relay"),
    };
    Router::new()
        .route("/voice", post(voice))
        .route("/voice-relay", post(voice_relay))
        .route("/media-stream", get(media_stream))
        .route("/relay", get(relay))
        .with_state(urls)
        // Every route, the WebSocket handshakes included.
        .layer(TwilioValidateLayer::new(token).base_url(base_url))
}

fn twiml(response: VoiceResponse) -> Response {
    Twiml::from(response).into_response()
}

async fn voice(State(urls): State<Urls>, webhook: ValidatedWebhook) -> Response {
    tracing::info!(
        call = webhook.get("CallSid"),
        "call: connecting a media stream"
    );
    twiml(VoiceResponse::new().connect(Connect::new().stream(Stream::new().url(urls.stream))))
}

async fn voice_relay(State(urls): State<Urls>, webhook: ValidatedWebhook) -> Response {
    tracing::info!(
        call = webhook.get("CallSid"),
        "call: connecting ConversationRelay"
    );
    twiml(
        VoiceResponse::new().connect(
            Connect::new().conversation_relay(
                ConversationRelay::new()
                    .url(urls.relay)
                    .welcome_greeting("Hi! Say something and I will repeat it."),
            ),
        ),
    )
}

/// The handshake reached the handler, so its signature was valid.
async fn media_stream(ws: WebSocketUpgrade, webhook: ValidatedWebhook) -> Response {
    tracing::info!(url = webhook.url(), "media stream handshake validated");
    ws.on_upgrade(echo_media)
}

async fn echo_media(mut socket: WebSocket) {
    let (mut frames, mut audio_bytes) = (0usize, 0usize);
    while let Some(Ok(message)) = socket.recv().await {
        let Message::Text(text) = message else {
            continue;
        };
        // An event this version does not know is `Other`, not an error.
        let event = match serde_json::from_str::<StreamEvent>(text.as_str()) {
            Ok(event) => event,
            Err(e) => {
                tracing::warn!(error = %e, "not a Media Streams message");
                continue;
            }
        };
        match event {
            StreamEvent::Connected { protocol, .. } => {
                tracing::info!(protocol, "stream connected")
            }
            StreamEvent::Start {
                stream_sid, start, ..
            } => tracing::info!(
                stream = stream_sid,
                call = start.call_sid,
                parameters = ?start.custom_parameters,
                "stream started"
            ),
            StreamEvent::Media {
                stream_sid, media, ..
            } => {
                frames += 1;
                audio_bytes += base64::engine::general_purpose::STANDARD
                    .decode(&media.payload)
                    .map_or(0, |audio| audio.len());
                let echo = StreamCommand::Media {
                    stream_sid,
                    payload: media.payload,
                };
                let json = serde_json::to_string(&echo).expect("serializable");
                if socket.send(Message::Text(json.into())).await.is_err() {
                    break;
                }
            }
            StreamEvent::Dtmf { dtmf, .. } => tracing::info!(digit = dtmf.digit, "key pressed"),
            StreamEvent::Mark { mark, .. } => tracing::info!(mark = mark.name, "mark played"),
            StreamEvent::Stop { .. } => {
                tracing::info!(frames, audio_bytes, "stream stopped");
                break;
            }
            _ => {}
        }
    }
    let _ = socket.send(Message::Close(None)).await;
}

async fn relay(ws: WebSocketUpgrade, webhook: ValidatedWebhook) -> Response {
    tracing::info!(url = webhook.url(), "ConversationRelay handshake validated");
    ws.on_upgrade(repeat_prompts)
}

async fn repeat_prompts(mut socket: WebSocket) {
    while let Some(Ok(message)) = socket.recv().await {
        let Message::Text(text) = message else {
            continue;
        };
        let reply = match serde_json::from_str::<RelayEvent>(text.as_str()) {
            Ok(RelayEvent::Setup(setup)) => {
                tracing::info!(call = setup.call_sid, "relay session started");
                continue;
            }
            // `last` is absent or true once the utterance is complete.
            Ok(RelayEvent::Prompt {
                voice_prompt,
                last: None | Some(true),
                ..
            }) => format!("You said: {voice_prompt}"),
            Ok(RelayEvent::Dtmf { digit }) => format!("You pressed {digit}."),
            Ok(_) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "not a ConversationRelay message");
                continue;
            }
        };
        // A real agent streams tokens from its model with `last: false`.
        let text = RelayCommand::Text {
            token: reply,
            last: true,
            lang: None,
            interruptible: None,
            preemptible: None,
        };
        let json = serde_json::to_string(&text).expect("serializable");
        if socket.send(Message::Text(json.into())).await.is_err() {
            break;
        }
    }
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
        .unwrap_or_else(|_| "127.0.0.1:3003".into())
        .parse()
        .expect("BIND must be an address such as 127.0.0.1:3003");
    let token = std::env::var("TWILIO_AUTH_TOKEN").unwrap_or_else(|_| DEMO_AUTH_TOKEN.into());
    let base_url = std::env::var("TWILIO_BASE_URL").unwrap_or_else(|_| format!("http://{bind}"));

    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .unwrap_or_else(|e| panic!("cannot listen on {bind}: {e}"));
    print_banner(&token, &base_url, bind);
    axum::serve(listener, app(&token, &base_url))
        .await
        .expect("server error");
}

fn print_banner(token: &str, base_url: &str, bind: SocketAddr) {
    let body = "CallSid=CA1234567890ABCDE&From=%2B14158675309&To=%2B18005551212";
    let mut req = http::Request::post("/voice")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .expect("a valid request");
    Signer::new(token, base_url).sign(&mut req);
    let voice_signature = req.headers()["x-twilio-signature"]
        .to_str()
        .unwrap_or_default();
    let signer = Signer::new(token, base_url);
    let stream_url = signer.websocket_url("/media-stream");
    let handshake = signer.websocket_request("/media-stream");
    let stream_signature = handshake.headers()["x-twilio-signature"]
        .to_str()
        .unwrap_or_default();
    println!("Listening on http://{bind}; Twilio webhook base URL: {base_url}");
    println!("Voice webhook URLs: {base_url}/voice (Media Streams), {base_url}/voice-relay (ConversationRelay)");
    println!("The TwiML Twilio gets for a call:");
    println!(
        "  curl -i http://{bind}/voice -H 'X-Twilio-Signature: {voice_signature}' -d '{body}'"
    );
    println!("The stream Twilio then opens (signed over {stream_url}), with websocat:");
    println!("  websocat -H 'X-Twilio-Signature: {stream_signature}' ws://{bind}/media-stream");
    println!(
        r#"  then type {{"event":"start","streamSid":"MZ1","start":{{"callSid":"CA1"}}}} and {{"event":"media","streamSid":"MZ1","media":{{"payload":"f39/fw=="}}}}"#
    );
    println!("Without the header the handshake gets 403.");
}
