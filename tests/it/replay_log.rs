//! The replay guard's events, in a test binary of their own so that no
//! other test's events reach the captured log.

use axum::routing::post;
use axum::Router;
use http::header::CONTENT_TYPE;
use http::Request;
use tower::ServiceExt;
use tower_twilio::replay::ReplayGuardLayer;
use tower_twilio::{Signer, TwilioValidateLayer};

use crate::common;
use common::LogBuffer;

const TOKEN: &str = "replay-auth-token";
const BASE: &str = "https://hooks.example.com";
const FORM: &str = "application/x-www-form-urlencoded";

#[tokio::test]
async fn each_duplicate_makes_one_event_with_its_reason() {
    let logs = LogBuffer::default();
    let _guard = tracing::subscriber::set_default(logs.subscriber(tracing::Level::INFO));
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
    for _ in 0..3 {
        router.clone().oneshot(request()).await.unwrap();
    }
    let text = logs.text();
    assert_eq!(text.matches("duplicate_replayed").count(), 2, "{text}");
    assert_eq!(text.lines().count(), 2, "{text}");
    // The key is logged, never the signature, which would validate again.
    assert!(!text.contains(signature.to_str().unwrap()), "{text}");
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
}
