//! What the crate logs once per process, or once a second per process: a
//! binary of its own, so that no other test takes that turn.
//!
//! A payload that does not fit writes one event naming the path, the
//! payload type, the field and what was wrong, never the value; at most
//! one a second, however many arrive. An extractor on a route without the
//! layer says why, once.

mod common;

use axum::routing::post;
use axum::Router;
use http::StatusCode;
use tower::ServiceExt;
use tower_twilio::payload::{examples, GatherResult};
use tower_twilio::{Signer, TwilioForm, TwilioValidateLayer};

const BASE: &str = "https://hooks.example.com";

#[test]
fn a_burst_of_payloads_that_do_not_fit_is_logged_once_with_the_field_and_no_value() {
    let logs = common::logs::capture(tracing::Level::INFO);
    let app = Router::new()
        .route(
            "/gather",
            post(
                |TwilioForm(g): TwilioForm<GatherResult>| async move { format!("{:?}", g.digits) },
            ),
        )
        .layer(TwilioValidateLayer::new("token").base_url(BASE));
    let signer = Signer::new("token", BASE);
    let mut fields = examples::GATHER_SPEECH.to_vec();
    for field in &mut fields {
        if field.0 == "Confidence" {
            field.1 = "very-secret-value";
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    for _ in 0..20 {
        let req = signer.form_request("/gather", &fields);
        let status = runtime.block_on(app.clone().oneshot(req)).unwrap().status();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let burst = started.elapsed();

    let text = logs.text();
    let events: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("does not fit the handler's payload type"))
        .collect();
    // One a second: a burst shorter than a second crosses at most one
    // second boundary.
    assert!(burst.as_secs() < 1, "the burst took {burst:?}");
    assert!(
        (1..=2).contains(&events.len()),
        "{} events: {text}",
        events.len()
    );
    let event = events[0];
    assert!(event.contains("WARN tower_twilio:"), "{event}");
    assert!(event.contains("path=/gather"), "{event}");
    assert!(event.contains("payload=\"GatherResult\""), "{event}");
    assert!(event.contains("field=\"Confidence\""), "{event}");
    assert!(event.contains("reason=expected a number"), "{event}");
    assert!(!text.contains("very-secret-value"), "{text}");
}

#[test]
fn an_extractor_on_a_route_without_the_layer_logs_why_once() {
    use tower::ServiceExt;
    use tower_twilio::ValidatedWebhook;

    let logs = common::logs::capture(tracing::Level::INFO);
    let app = Router::new().route("/voice", post(|_: ValidatedWebhook| async { "ok" }));
    let statuses: Vec<u16> = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async {
            let mut statuses = Vec::new();
            for _ in 0..3 {
                let req = http::Request::post("/voice")
                    .body(axum::body::Body::empty())
                    .unwrap();
                statuses.push(app.clone().oneshot(req).await.unwrap().status().as_u16());
            }
            statuses
        });
    assert_eq!(statuses, [500, 500, 500]);
    let log = logs.text();
    assert_eq!(log.matches("ERROR").count(), 1, "{log}");
    assert!(
        log.contains("TwilioValidateLayer does not cover") && log.contains("path=/voice"),
        "{log}"
    );
}
