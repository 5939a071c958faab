//! The replay guard's events, captured on the test's own thread
//! (`common::logs`), so that no other test's events reach them.

use axum::routing::post;
use axum::Router;
use http::header::CONTENT_TYPE;
use http::Request;
use tower::ServiceExt;
use tower_twilio::replay::ReplayGuardLayer;
use tower_twilio::{Signer, TwilioValidateLayer};

use crate::common;

const TOKEN: &str = "replay-auth-token";
const BASE: &str = "https://hooks.example.com";
const FORM: &str = "application/x-www-form-urlencoded";

#[tokio::test]
async fn duplicates_make_one_event_a_second_with_their_reason() {
    let logs = common::logs::capture(tracing::Level::INFO);
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = calls.clone();
    let router = Router::new()
        .route(
            "/sms",
            post(move || async move {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }),
        )
        .layer(ReplayGuardLayer::in_memory())
        .layer(TwilioValidateLayer::new(TOKEN).base_url(BASE));
    let request = || {
        let mut req = Request::post("/sms")
            .header(CONTENT_TYPE, FORM)
            .body("MessageSid=SM1")
            .unwrap();
        Signer::new(TOKEN, BASE).sign(&mut req);
        req.map(axum::body::Body::from)
    };
    let signature = request().headers()["x-twilio-signature"].clone();
    for _ in 0..1_000 {
        router.clone().oneshot(request()).await.unwrap();
    }
    // 999 copies within a second or two: a flood of copies makes one
    // event a second, not one each.
    let text = logs.text();
    let events = text.matches("duplicate_replayed").count();
    assert!((1..=3).contains(&events), "{text}");
    assert_eq!(text.lines().count(), events, "{text}");
    assert!(text.contains("suppressed="), "{text}");
    // The key is logged, never the signature, which would validate again.
    assert!(!text.contains(signature.to_str().unwrap()), "{text}");
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_refused_account_makes_one_event_a_second_not_one_per_request() {
    use tower_twilio::replay::{MemoryStore, ReplayGuardLayer};
    let logs = common::logs::capture(tracing::Level::INFO);
    // One entry in progress at most per account: every other is refused.
    let router = Router::new()
        .route("/sms", post(std::future::pending::<()>))
        .layer(ReplayGuardLayer::new(MemoryStore::new().max_entries(2)))
        .layer(TwilioValidateLayer::new(TOKEN).base_url(BASE));
    let request = |n: usize| {
        let mut req = Request::post("/sms")
            .header(CONTENT_TYPE, FORM)
            .body(format!("MessageSid=SM{n}"))
            .unwrap();
        Signer::new(TOKEN, BASE).sign(&mut req);
        req.map(axum::body::Body::from)
    };
    let held = tokio::spawn(router.clone().oneshot(request(0)));
    tokio::task::yield_now().await;
    for n in 1..500 {
        let answer = router.clone().oneshot(request(n)).await.unwrap();
        assert_eq!(answer.status(), 503);
    }
    held.abort();
    let text = logs.text();
    let events = text.matches("account_over_budget").count();
    assert!((1..=3).contains(&events), "{text}");
}
