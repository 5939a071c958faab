//! A `bad_signature` says in its log what to fix: each likely
//! misconfiguration, signed as Twilio would sign it, sent over loopback to
//! a router behind a misconfigured layer, and the event read back.

use axum::routing::post;
use axum::Router;
use tower_twilio::{Signer, TwilioValidateLayer};

use crate::common::{logs, read_response};

const TOKEN: &str = "diagnosis-auth-token";
const BODY: &str = "CallSid=CA1&From=%2B14158675309";

/// The log of sending each of `requests` (raw HTTP/1.1, `{sig}` replaced by
/// the signature Twilio makes for `signed_for`) to `layer`, and their
/// statuses.
fn log_of(layer: TwilioValidateLayer, requests: &[(&str, &str)]) -> (String, Vec<u16>) {
    let logs = logs::capture(tracing::Level::INFO);
    let statuses = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async move {
            let app = Router::new()
                .route("/voice", post(|| async { "ok" }))
                .layer(layer);
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
            let mut statuses = Vec::new();
            for (signed_for, head) in requests {
                let signature = signature_for(signed_for);
                let wire = format!(
                    "POST /voice HTTP/1.1\r\n{head}Content-Type: application/x-www-form-urlencoded\r\n\
                     X-Twilio-Signature: {signature}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{BODY}",
                    BODY.len()
                );
                let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
                tokio::io::AsyncWriteExt::write_all(&mut stream, wire.as_bytes())
                    .await
                    .unwrap();
                statuses.push(read_response(&mut stream, true).await.unwrap().status);
            }
            statuses
        });
    (logs.text(), statuses)
}

/// What Twilio sends as `X-Twilio-Signature` for [`BODY`] POSTed to the
/// full URL `url`.
fn signature_for(url: &str) -> String {
    let (base, path) = url.split_at(url.find("/voice").unwrap());
    let mut req = http::Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(BODY)
        .unwrap();
    Signer::new(TOKEN, base).sign(&mut req);
    req.headers()["x-twilio-signature"]
        .to_str()
        .unwrap()
        .to_owned()
}

fn assert_hint(log: &str, expected: &str) {
    assert!(log.contains("bad_signature"), "{log}");
    assert!(log.contains(expected), "the log lacks {expected:?}:\n{log}");
    assert!(!log.contains(TOKEN), "{log}");
}

#[test]
fn a_tunnel_whose_forwarded_headers_are_not_trusted_is_named() {
    // ngrok: the app sees Host localhost:3000; Twilio signed the tunnel's URL.
    let (log, statuses) = log_of(
        TwilioValidateLayer::new(TOKEN),
        &[(
            "https://abc.ngrok.app/voice",
            "Host: localhost:3000\r\nX-Forwarded-Host: abc.ngrok.app\r\nX-Forwarded-Proto: https\r\n",
        )],
    );
    assert_eq!(statuses, [403]);
    assert_hint(
        &log,
        "the URL of the forwarded headers, which are not trusted: set \
         base_url(\\\"https://abc.ngrok.app\\\") (or trust_forwarded_headers(true) behind a proxy \
         that overwrites them) (the signature matches https://abc.ngrok.app/voice)",
    );
}

#[test]
fn a_request_host_other_than_the_configured_one_is_named() {
    let (log, _) = log_of(
        TwilioValidateLayer::new(TOKEN).base_url("https://old.example.com"),
        &[("https://new.example.com/voice", "Host: new.example.com\r\n")],
    );
    assert_hint(
        &log,
        "the request's Host, not the configured old.example.com: set base_url(\\\"https://new.example.com\\\")",
    );
}

#[test]
fn a_prefix_twilio_did_not_sign_is_named() {
    let (log, _) = log_of(
        TwilioValidateLayer::new(TOKEN).base_url("https://h.example.com/twilio"),
        &[("https://h.example.com/voice", "Host: h.example.com\r\n")],
    );
    assert_hint(
        &log,
        "the URL without the prefix /twilio: set base_url(\\\"https://h.example.com\\\")",
    );
}

#[test]
fn the_whole_console_url_pasted_into_base_url_is_named() {
    let (log, _) = log_of(
        TwilioValidateLayer::new(TOKEN).base_url("https://h.example.com/voice"),
        &[("https://h.example.com/voice", "Host: h.example.com\r\n")],
    );
    assert_hint(
        &log,
        "base_url holds the whole webhook URL (its path is /voice)",
    );
}

#[test]
fn the_other_scheme_is_named() {
    let (log, _) = log_of(
        TwilioValidateLayer::new(TOKEN).base_url("http://h.example.com"),
        &[("https://h.example.com/voice", "Host: h.example.com\r\n")],
    );
    assert_hint(
        &log,
        "the other scheme: set base_url(\\\"https://h.example.com\\\") (the signature matches https://h.example.com/voice)",
    );
}

#[test]
fn with_the_url_right_the_token_is_named_and_a_second_diagnosis_within_a_second_says_it_was_suppressed(
) {
    let layer =
        TwilioValidateLayer::new("another-accounts-token").base_url("https://h.example.com");
    let (log, statuses) = log_of(
        layer,
        &[
            ("https://h.example.com/voice", "Host: h.example.com\r\n"),
            ("https://h.example.com/voice", "Host: h.example.com\r\n"),
        ],
    );
    assert_eq!(statuses, [403, 403]);
    assert_hint(&log, "the likely cause is the token");
    // Two refusals, one diagnosis: the bound; the second says so.
    assert_eq!(log.matches("reason=\"bad_signature\"").count(), 2, "{log}");
    assert_eq!(
        log.matches("the likely cause is the token").count(),
        1,
        "{log}"
    );
    assert_hint(
        &log,
        "not diagnosed: at most one diagnosis a second per layer, this one was suppressed",
    );
}

#[test]
fn a_shared_key_id_that_is_not_configured_is_named_with_the_configured_ones() {
    use tower_twilio::RequestValidator;
    let layer = TwilioValidateLayer::with_validator(
        RequestValidator::new(TOKEN).shared_key("webhooks_sharedkey_1", "a shared secret"),
    )
    .base_url("https://h.example.com");
    // Signed by the Auth Token, which a settings header excludes; the id is
    // a typo.
    let (log, statuses) = log_of(
        layer,
        &[(
            "https://h.example.com/voice",
            "Host: h.example.com\r\nX-Twilio-Webhooks-Signature-Settings: key=webhooks_sharedkey_l\r\n",
        )],
    );
    assert_eq!(statuses, [403]);
    assert!(log.contains("unknown_shared_key"), "{log}");
    for expected in [
        "names the shared key id \\\"webhooks_sharedkey_l\\\", which is not configured",
        "none of the configured shared keys (\\\"webhooks_sharedkey_1\\\") signed the request",
    ] {
        assert!(log.contains(expected), "the log lacks {expected:?}:\n{log}");
    }
    assert!(
        !log.contains("a shared secret") && !log.contains(TOKEN),
        "{log}"
    );
}
