//! What one rejection writes to the log: a bounded amount, however long the
//! URL, so that forged requests cannot make the log cost more than they do.

use axum::body::Body;
use axum::Router;
use http::{HeaderValue, Request, StatusCode};
use tower::ServiceExt;
use tower_twilio::TwilioValidateLayer;

use crate::common;

const BASE: &str = "https://hooks.example.com";
/// Well-formed (the base64 of 20 bytes) and wrong.
const FORGED: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=";
/// The bound asserted on the log of one rejection.
const MAX_LOG: usize = 8 * 1024;

/// A query of 58 KiB: distinct pairs, with escapes that the normalized
/// candidates re-encode.
fn long_query() -> String {
    let mut query = String::new();
    let mut i = 0;
    while query.len() < 58 * 1024 {
        query.push_str(&format!("P{i:05}=caf%C3%A9+%7E{i}&"));
        i += 1;
    }
    query.pop();
    query
}

fn forged(method: &str, path_and_query: &str) -> Request<Body> {
    let mut req = Request::builder()
        .method(method)
        .uri(path_and_query)
        .header("host", "hooks.example.com")
        .header("x-twilio-signature", HeaderValue::from_static(FORGED))
        .body(Body::empty())
        .unwrap();
    if method == "POST" {
        req.headers_mut().insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
    }
    req
}

/// The log written at INFO while `req` is refused.
fn log_of(req: Request<Body>) -> String {
    let logs = common::logs::capture(tracing::Level::INFO);
    let app = Router::new()
        .fallback(|| async { "ok" })
        .layer(TwilioValidateLayer::new("token").base_url(BASE));
    let status = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async move { app.oneshot(req).await.unwrap().status() });
    assert_eq!(status, StatusCode::FORBIDDEN);
    logs.text()
}

/// The log is short, names the reason, and shows the URL cut.
fn assert_bounded(logs: &str, url: &str) {
    assert!(logs.len() < MAX_LOG, "{} bytes of log", logs.len());
    assert!(logs.contains("bad_signature"), "{logs}");
    assert!(logs.contains(&url[..100]), "{logs}");
    assert!(!logs.contains(&url[..513]), "the URL was not cut: {logs}");
}

#[test]
fn one_rejection_of_a_58_kib_query_writes_less_than_8_kib_of_log() {
    let target = format!("/voice?{}", long_query());
    let logs = log_of(forged("POST", &target));
    assert_bounded(&logs, &format!("{BASE}{target}"));
}

#[test]
fn one_rejected_websocket_handshake_with_a_58_kib_query_writes_less_than_8_kib_of_log() {
    let target = format!("/stream?{}", long_query());
    let mut req = forged("GET", &target);
    req.headers_mut()
        .insert("upgrade", HeaderValue::from_static("websocket"));
    req.headers_mut()
        .insert("connection", HeaderValue::from_static("upgrade"));
    let logs = log_of(req);
    assert_bounded(&logs, &format!("wss://hooks.example.com{target}"));
}

#[test]
fn a_short_url_is_logged_whole_with_its_candidates() {
    let logs = log_of(forged("POST", "/voice?a=1"));
    assert!(
        logs.contains("https://hooks.example.com/voice?a=1"),
        "{logs}"
    );
    assert!(logs.contains("candidates="), "{logs}");
    assert!(!logs.contains("cut"), "{logs}");
}
