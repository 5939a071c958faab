//! One app for many Twilio accounts or subaccounts, each signing with its own
//! Auth Token: the layer reads the request's `AccountSid` and asks a
//! [`KeyResolver`] for that account's keys.
//!
//! ```sh
//! cargo run --example multi_tenant
//! TWILIO_ACCOUNTS='ACxxxx=token1,ACyyyy=token2' cargo run --example multi_tenant
//! ```
//!
//! Configuration, all optional: `TWILIO_ACCOUNTS` as `AccountSid=AuthToken`
//! pairs separated by commas (two demo accounts are built in otherwise),
//! `TWILIO_BASE_URL` (default `http://<BIND>`), `BIND` (default
//! `127.0.0.1:3002`). It prints a signed `curl` command per account, one
//! signed with another account's token and one for an account it does not
//! serve: both get `403 invalid Twilio signature`, and the log says which
//! (`bad_signature`, `unknown_account`). A request whose form and query name
//! different accounts is refused too (`account_mismatch`); the handler reads
//! the account that validated it from `ValidatedWebhook::account_sid`.
//!
//! A subaccount's webhooks carry the subaccount's `AccountSid` and are signed
//! with the subaccount's own Auth Token, not the main account's: store one
//! entry per subaccount.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use tracing_subscriber::{filter::Targets, prelude::*};

use axum::http::header;
use axum::routing::post;
use axum::Router;
use tower_twilio::twiml::messaging::{Message, MessagingResponse};
use tower_twilio::twiml::Twiml;
use tower_twilio::validate::{KeyResolver, ResolveFuture};
use tower_twilio::{RequestValidator, Signer, TwilioForm, TwilioValidateLayer, ValidatedWebhook};

/// The demo accounts, for the demo only.
pub const DEMO_ACCOUNTS: [(&str, &str); 2] = [
    (
        "AC00000000000000000000000000000001",
        "demo-token-of-account-one",
    ),
    (
        "AC00000000000000000000000000000002",
        "demo-token-of-account-two",
    ),
];

/// The accounts this app serves, in memory.
///
/// The layer calls [`KeyResolver::resolve`] once per request, so the lookup
/// must be cheap: here a `HashMap` behind an `RwLock`, cloned out (a
/// `RequestValidator` is an `Arc` inside). With the tokens in a database, put
/// a cache in front of it: look the account up on a miss, keep it for a few
/// minutes, and keep a "not ours" answer briefly too, so that a flood of
/// requests with made-up `AccountSid`s does not reach the database.
#[derive(Clone, Default)]
pub struct Tenants {
    accounts: Arc<RwLock<HashMap<String, RequestValidator>>>,
}

impl Tenants {
    /// The built-in demo accounts.
    pub fn demo() -> Self {
        let tenants = Self::default();
        for (sid, token) in DEMO_ACCOUNTS {
            tenants.insert(sid, token);
        }
        tenants
    }

    /// `AccountSid=AuthToken` pairs separated by commas.
    pub fn parse(list: &str) -> Result<Self, String> {
        let tenants = Self::default();
        for pair in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (sid, token) = pair
                .split_once('=')
                .filter(|(sid, token)| sid.starts_with("AC") && !token.is_empty())
                .ok_or(
                    "TWILIO_ACCOUNTS: expected AccountSid=AuthToken pairs separated by commas",
                )?;
            tenants.insert(sid, token);
        }
        Ok(tenants)
    }

    /// Serves `account_sid`, signing with `auth_token`.
    pub fn insert(&self, account_sid: &str, auth_token: &str) {
        self.set(account_sid, RequestValidator::new(auth_token));
    }

    /// Token rotation: while Twilio may still sign with the old token, accept
    /// both. Once the old token is retired in the console, `insert` the new
    /// one alone.
    pub fn rotate(&self, account_sid: &str, new_token: &str, old_token: &str) {
        self.set(
            account_sid,
            RequestValidator::new(new_token).secondary_token(old_token),
        );
    }

    /// Stops serving `account_sid`: its requests get `403 unknown_account`.
    pub fn remove(&self, account_sid: &str) {
        self.accounts
            .write()
            .expect("lock poisoned")
            .remove(account_sid);
    }

    fn set(&self, account_sid: &str, validator: RequestValidator) {
        self.accounts
            .write()
            .expect("lock poisoned")
            .insert(account_sid.to_owned(), validator);
    }
}

impl KeyResolver for Tenants {
    fn resolve(&self, account_sid: &str) -> ResolveFuture {
        // Clone out and release the lock before the future runs.
        let validator = self
            .accounts
            .read()
            .expect("lock poisoned")
            .get(account_sid)
            .cloned();
        Box::pin(async move { validator })
    }
}

/// The routes, validated with each account's own keys.
pub fn app(tenants: Tenants, base_url: &str) -> Router {
    Router::new()
        .route("/sms", post(sms))
        .route("/status", post(status))
        .layer(TwilioValidateLayer::with_resolver(tenants).base_url(base_url))
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Sms {
    account_sid: String,
    from: String,
    body: String,
}

async fn sms(TwilioForm(sms): TwilioForm<Sms>) -> Twiml {
    tracing::info!(
        account = sms.account_sid,
        from = sms.from,
        "incoming message"
    );
    let reply = format!("{} received: {}", sms.account_sid, sms.body);
    MessagingResponse::new().message(Message::new(reply)).into()
}

async fn status(webhook: ValidatedWebhook) -> axum::http::StatusCode {
    tracing::info!(
        // The account whose token validated the request (every AccountSid
        // in the form and the query agrees with it, or it was refused).
        account = webhook.account_sid(),
        message = webhook.get("MessageSid"),
        status = webhook.get("MessageStatus"),
        "status callback"
    );
    axum::http::StatusCode::NO_CONTENT
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
        .unwrap_or_else(|_| "127.0.0.1:3002".into())
        .parse()
        .expect("BIND must be an address such as 127.0.0.1:3002");
    let base_url = std::env::var("TWILIO_BASE_URL").unwrap_or_else(|_| format!("http://{bind}"));
    let (tenants, demo) = match std::env::var("TWILIO_ACCOUNTS") {
        Ok(list) => (
            Tenants::parse(&list).unwrap_or_else(|e| panic!("{e}")),
            false,
        ),
        Err(_) => (Tenants::demo(), true),
    };

    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .unwrap_or_else(|e| panic!("cannot listen on {bind}: {e}"));
    println!("Listening on http://{bind}; Twilio webhook base URL: {base_url}");
    if demo {
        print_demo(&base_url, bind);
    }
    axum::serve(listener, app(tenants, &base_url))
        .await
        .expect("server error");
}

fn print_demo(base_url: &str, bind: SocketAddr) {
    let [(one, one_token), (two, two_token)] = DEMO_ACCOUNTS;
    let curl = |account: &str, token: &str| {
        let body = format!("AccountSid={account}&From=%2B14158675309&Body=Hello");
        let mut req = http::Request::post("/sms")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body.clone())
            .expect("a valid request");
        Signer::new(token, base_url).sign(&mut req);
        let signature = req.headers()["x-twilio-signature"]
            .to_str()
            .unwrap_or_default()
            .to_owned();
        format!("  curl -i http://{bind}/sms -H 'X-Twilio-Signature: {signature}' -d '{body}'")
    };
    println!("Demo accounts {one} and {two}. Each signed with its own token (200):");
    println!("{}", curl(one, one_token));
    println!("{}", curl(two, two_token));
    println!(
        "Account one's request signed with account two's token (403; logged as bad_signature):"
    );
    println!("{}", curl(one, two_token));
    println!("An account this app does not serve (403; logged as unknown_account):");
    println!("{}", curl("AC99999999999999999999999999999999", one_token));
}
