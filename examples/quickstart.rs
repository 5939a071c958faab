//! The README's quick start: a voice and an SMS handler reading Twilio's
//! typed payloads and answering TwiML.
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! Configuration, all optional: `TWILIO_AUTH_TOKEN` (a demo token is embedded
//! otherwise), `TWILIO_BASE_URL` (default `http://<BIND>`), `BIND` (default
//! `127.0.0.1:3004`). On start it prints a signed `curl` command for each
//! route.

use std::net::SocketAddr;

use tower_twilio::Signer;

// README: begin
use axum::{routing::post, Router};
use http::Method;
use tower_twilio::payload::{GatherResult, MessageRequest, VoiceRequest};
use tower_twilio::twiml::messaging::{Message, MessagingResponse};
use tower_twilio::twiml::voice::{Gather, GatherInput, Say, VoiceResponse};
use tower_twilio::twiml::Twiml;
use tower_twilio::{TwilioForm, TwilioValidateLayer};

async fn voice(TwilioForm(call): TwilioForm<VoiceRequest>) -> Twiml {
    println!("call {} from {}", call.call_sid, call.from);
    VoiceResponse::new()
        .say(Say::new("Hello from Rust."))
        .gather(
            Gather::new()
                .input([GatherInput::Dtmf, GatherInput::Speech])
                .num_digits(1)
                .action("/gather")
                .method(Method::POST)
                .say(Say::new("Press a key or say something.")),
        )
        .into()
}

async fn gather(TwilioForm(answer): TwilioForm<GatherResult>) -> Twiml {
    let heard = answer.digits.or(answer.speech_result).unwrap_or_default();
    VoiceResponse::new()
        .say(Say::new(format!("You said {heard}. Goodbye.")))
        .into()
}

async fn sms(TwilioForm(sms): TwilioForm<MessageRequest>) -> Twiml {
    let reply = format!(
        "You sent \"{}\" and {} picture(s).",
        sms.body,
        sms.media.len()
    );
    MessagingResponse::new().message(Message::new(reply)).into()
}

pub fn app(token: &str, base_url: &str) -> Router {
    Router::new()
        .route("/voice", post(voice))
        .route("/gather", post(gather))
        .route("/sms", post(sms))
        .layer(TwilioValidateLayer::new(token).base_url(base_url))
}
// README: end

/// A token for the demo only; real deployments set `TWILIO_AUTH_TOKEN`.
pub const DEMO_AUTH_TOKEN: &str = "demo-auth-token-0123456789abcdef";

/// What Twilio sends for an incoming call, in the fields `VoiceRequest` needs.
pub const CALL: &str = "CallSid=CA1234567890ABCDE&AccountSid=AC1234567890ABCDE\
    &From=%2B14158675309&To=%2B18005551212&CallStatus=ringing\
    &ApiVersion=2010-04-01&Direction=inbound";

/// What Twilio sends to `<Gather>`'s action when the caller presses 7.
pub const GATHER: &str = "CallSid=CA1234567890ABCDE&AccountSid=AC1234567890ABCDE\
    &From=%2B14158675309&To=%2B18005551212&CallStatus=in-progress\
    &ApiVersion=2010-04-01&Direction=inbound&Digits=7&FinishedOnKey=";

/// What Twilio sends for an MMS with one picture.
pub const MMS: &str = "MessageSid=MM1234567890ABCDE&AccountSid=AC1234567890ABCDE\
    &From=%2B14158675309&To=%2B18005551212&Body=Look%21&NumMedia=1\
    &MediaUrl0=https%3A%2F%2Fapi.twilio.com%2Fmedia%2FME1&MediaContentType0=image%2Fjpeg";

#[tokio::main]
async fn main() {
    let bind: SocketAddr = std::env::var("BIND")
        .unwrap_or_else(|_| "127.0.0.1:3004".into())
        .parse()
        .expect("BIND must be an address such as 127.0.0.1:3004");
    let token = std::env::var("TWILIO_AUTH_TOKEN").unwrap_or_else(|_| {
        eprintln!("TWILIO_AUTH_TOKEN is not set: using the embedded demo token");
        DEMO_AUTH_TOKEN.into()
    });
    let base_url = std::env::var("TWILIO_BASE_URL").unwrap_or_else(|_| format!("http://{bind}"));

    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .unwrap_or_else(|e| panic!("cannot listen on {bind}: {e}"));
    println!("Listening on http://{bind}; Twilio webhook base URL: {base_url}");
    for (path, body) in [("/voice", CALL), ("/gather", GATHER), ("/sms", MMS)] {
        println!("  {}", curl(&token, &base_url, bind, path, body));
    }
    axum::serve(listener, app(&token, &base_url))
        .await
        .expect("server error");
}

/// A `curl` command for a request to `path` signed as Twilio signs it.
pub fn curl(token: &str, base_url: &str, bind: SocketAddr, path: &str, body: &str) -> String {
    let mut req = http::Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .expect("a valid request");
    Signer::new(token, base_url).sign(&mut req);
    let signature = req.headers()["x-twilio-signature"]
        .to_str()
        .unwrap_or_default();
    format!(
        "curl -i http://{bind}{path} -H 'X-Twilio-Signature: {signature}' --data-binary '{body}'"
    )
}
