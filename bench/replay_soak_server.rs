//! One instance of `bench/replay_soak.sh`: four tenants under one
//! `KeyResolver`, the replay guard over a `RedisStore` that every instance
//! shares, and a handler that records each `MessageSid` it runs for.
//!
//! ```text
//! BIND=127.0.0.1:39180 REDIS_URL=redis://127.0.0.1:39190 \
//!     cargo run --release -p tower-twilio-bench --features redis --example replay_soak_server
//! ```
//!
//! `GET /handled` (not guarded) lists the `MessageSid`s handled so far, one
//! a line, for the client to count those handled twice across instances.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;
use tower_twilio::replay::{RedisStore, ReplayGuardLayer};
use tower_twilio::twiml::Twiml;
use tower_twilio::{RequestValidator, TwilioValidateLayer, ValidatedWebhook};

/// What both instances are configured with, as behind one load balancer.
const BASE: &str = "https://hooks.example.com";

/// The largest body an instance reads.
const MAX_BODY: usize = 64 * 1024;

/// Entries one tenant may hold in Redis: the flooding tenant (about 40,000
/// webhooks in a Redis lifetime) reaches it, the others (about 20,000 each)
/// do not.
const ACCOUNT_ENTRIES: u64 = 30_000;

type Handled = Arc<Mutex<Vec<String>>>;

async fn sms(State(handled): State<Handled>, webhook: ValidatedWebhook) -> Twiml {
    let sid = webhook.get("MessageSid").unwrap_or_default().to_owned();
    handled.lock().unwrap().push(sid);
    Twiml::new("<Response><Message>ok</Message></Response>")
}

async fn list(State(handled): State<Handled>) -> String {
    let mut text = handled.lock().unwrap().join("\n");
    text.push('\n');
    text
}

#[tokio::main]
async fn main() {
    let bind = std::env::var("BIND").expect("BIND");
    let url = std::env::var("REDIS_URL").expect("REDIS_URL");
    let store = loop {
        match RedisStore::connect(&url).await {
            Ok(store) => break store.max_account_entries(ACCOUNT_ENTRIES),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    let accounts: Arc<HashMap<String, RequestValidator>> = Arc::new(
        (0..4)
            .map(|n| {
                (
                    format!("AC{n:032}"),
                    RequestValidator::new(format!("soak-token-{n}")),
                )
            })
            .collect(),
    );
    let validate = TwilioValidateLayer::with_resolver(move |sid: String| {
        let accounts = accounts.clone();
        async move { accounts.get(&sid).cloned() }
    })
    .base_url(BASE)
    .max_body_bytes(MAX_BODY);
    let handled = Handled::default();
    let guarded = Router::new()
        .route("/sms", post(sms))
        .layer(ReplayGuardLayer::new(store))
        .layer(validate)
        .with_state(handled.clone());
    let app = Router::new()
        .route("/handled", get(list))
        .with_state(handled)
        .merge(guarded);
    let listener = tokio::net::TcpListener::bind(&bind).await.unwrap();
    axum::serve(listener, app).await.unwrap();
}
