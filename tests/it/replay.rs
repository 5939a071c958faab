//! The replay guard through a real axum router over loopback: each signed
//! webhook reaches the handler once, whatever copy of it comes, with the
//! memory store and (feature `redis`) a real Redis server shared by two
//! instances.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Request};
use http_body_util::{BodyExt, Full};
use tokio::sync::Semaphore;
use tower::{ServiceBuilder, ServiceExt};
use tower_twilio::replay::{
    MemoryStore, ReplayGuardLayer, ReplayKey, ReplayStore, ReplayVerdict, StoreError, StoreFuture,
};
use tower_twilio::twiml::Twiml;
use tower_twilio::{
    compute_signature, Algorithm, RequestValidator, Signer, TwilioValidateLayer, ValidatedWebhook,
};

use crate::common;
use common::stack::{send_h1, Answer};

const TOKEN: &str = "replay-auth-token";
const BASE: &str = "https://hooks.example.com";
const FORM: &str = "application/x-www-form-urlencoded";

/// What the handlers saw, and a gate `/slow` waits at.
#[derive(Clone)]
struct App {
    calls: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<String>>>,
    gate: Arc<Semaphore>,
}

impl App {
    fn new() -> Self {
        Self {
            calls: Arc::default(),
            seen: Arc::default(),
            gate: Arc::new(Semaphore::new(0)),
        }
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }

    /// Counts the call, records the fields, and answers with the count, so
    /// that a recorded answer is told from a new one.
    fn record(&self, webhook: &ValidatedWebhook) -> Twiml {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let fields: Vec<String> = webhook
            .params()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        self.seen.lock().unwrap().push(fields.join(" "));
        Twiml::new(format!("<Response><Message>{n}</Message></Response>"))
    }
}

async fn sms(State(app): State<App>, webhook: ValidatedWebhook) -> Twiml {
    app.record(&webhook)
}

async fn slow(State(app): State<App>, webhook: ValidatedWebhook) -> Twiml {
    let answer = app.record(&webhook);
    app.gate.acquire().await.unwrap().forget();
    answer
}

async fn flaky(State(app): State<App>, webhook: ValidatedWebhook) -> axum::response::Response {
    let answer = app.record(&webhook);
    if app.calls() == 1 {
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    } else {
        answer.into_response()
    }
}

async fn big(State(app): State<App>, webhook: ValidatedWebhook) -> String {
    app.record(&webhook);
    "x".repeat(100_000)
}

fn router(app: &App, guard: ReplayGuardLayer) -> Router {
    Router::new()
        .route("/sms", post(sms))
        .route("/voice", post(sms).get(sms))
        .route("/slow", post(slow))
        .route("/flaky", post(flaky))
        .route("/big", post(big))
        .route("/stream", get(sms))
        .fallback(sms)
        .layer(guard)
        .layer(TwilioValidateLayer::new(TOKEN).base_url(BASE))
        .with_state(app.clone())
}

async fn serve(router: Router) -> SocketAddr {
    let (listener, addr) = common::stack::listener().await;
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

fn sign(path: &str, fields: &[(&str, &str)]) -> String {
    compute_signature(TOKEN, Algorithm::HmacSha1, &format!("{BASE}{path}"), fields)
}

/// A form POST of `body` to `target` on `addr` carrying `signature`.
fn post_to(addr: SocketAddr, target: &str, body: &str, signature: &str) -> Request<Full<Bytes>> {
    Request::post(format!("http://{addr}{target}"))
        .header(CONTENT_TYPE, FORM)
        .header("x-twilio-signature", signature)
        .body(Full::new(Bytes::copy_from_slice(body.as_bytes())))
        .unwrap()
}

/// Twilio's signed POST of `fields` to `path` on `addr`.
fn genuine(addr: SocketAddr, path: &str, fields: &[(&str, &str)]) -> Request<Full<Bytes>> {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    post_to(addr, path, &body, &sign(path, fields))
}

const SMS: &[(&str, &str)] = &[
    ("MessageSid", "SM1"),
    ("From", "+14155550100"),
    ("Body", "hello"),
];

fn body_text(answer: &Answer) -> &str {
    std::str::from_utf8(&answer.body).unwrap()
}

#[tokio::test]
async fn a_copy_gets_the_recorded_answer_and_the_handler_runs_once() {
    let app = App::new();
    let addr = serve(router(&app, ReplayGuardLayer::in_memory())).await;
    let first = send_h1(genuine(addr, "/sms", SMS)).await;
    let copy = send_h1(genuine(addr, "/sms", SMS)).await;
    assert_eq!(first.status, 200);
    assert_eq!(
        body_text(&first),
        "<Response><Message>1</Message></Response>"
    );
    assert_eq!(copy.status, first.status);
    assert_eq!(copy.headers[CONTENT_TYPE], first.headers[CONTENT_TYPE]);
    assert_eq!(copy.body, first.body);
    assert_eq!(app.calls(), 1);
    // Another message is another request.
    let other = send_h1(genuine(addr, "/sms", &[("MessageSid", "SM2")])).await;
    assert_eq!(
        body_text(&other),
        "<Response><Message>2</Message></Response>"
    );
}

#[tokio::test]
async fn re_readings_of_a_captured_request_are_answered_as_the_duplicate_they_are() {
    // The three re-readings of tests/it/soundness.rs: each validates with the
    // captured signature, so each is that request to the guard.
    let app = App::new();
    let addr = serve(router(&app, ReplayGuardLayer::in_memory())).await;
    let signature = sign("/voice", &[("Body", "hi"), ("From", "+1555")]);
    let captured = send_h1(post_to(addr, "/voice", "Body=hi&From=%2B1555", &signature)).await;
    assert_eq!(captured.status, 200);
    let copies = [
        // Re-split: `Body=hiFrom+1555`.
        post_to(addr, "/voice", "Body=hiFrom%2B1555", &signature),
        // Boundary moved: `Body=hiFr` + `om=+1555`.
        post_to(addr, "/voice", "Body=hiFr&om=%2B1555", &signature),
        // A GET whose path spells the fields.
        Request::get(format!("http://{addr}/voiceBodyhiFrom+1555"))
            .header("x-twilio-signature", &signature)
            .body(Full::default())
            .unwrap(),
    ];
    for copy in copies {
        let answer = send_h1(copy).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body, captured.body);
    }
    assert_eq!(app.seen(), ["Body=hi From=+1555"]);
}

#[tokio::test]
async fn a_thousand_concurrent_copies_run_the_handler_once() {
    let app = App::new();
    let addr = serve(router(&app, ReplayGuardLayer::in_memory())).await;
    let copies = (0..1000).map(|_| tokio::spawn(send_h1(genuine(addr, "/slow", SMS))));
    let copies: Vec<_> = copies.collect();
    // Let the copies arrive while the first is held in the handler.
    while app.calls() == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.gate.add_permits(1);
    let mut statuses = std::collections::BTreeMap::new();
    for copy in copies {
        *statuses
            .entry(copy.await.unwrap().status.as_u16())
            .or_insert(0) += 1;
    }
    assert_eq!(app.calls(), 1);
    assert_eq!(statuses.values().sum::<usize>(), 1000);
    assert!(
        statuses.keys().all(|s| [200, 409].contains(s)),
        "{statuses:?}"
    );
    assert!(statuses.get(&409).is_some_and(|n| *n > 0), "{statuses:?}");
}

#[tokio::test]
async fn a_copy_while_the_first_is_handled_gets_409_then_the_recorded_answer() {
    let app = App::new();
    let addr = serve(router(&app, ReplayGuardLayer::in_memory())).await;
    let first = tokio::spawn(send_h1(genuine(addr, "/slow", SMS)));
    while app.calls() == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let during = send_h1(genuine(addr, "/slow", SMS)).await;
    assert_eq!(during.status, 409);
    assert!(body_text(&during).contains("still being handled"));
    app.gate.add_permits(1);
    let first = first.await.unwrap();
    let after = send_h1(genuine(addr, "/slow", SMS)).await;
    assert_eq!((after.status, after.body), (first.status, first.body));
    assert_eq!(app.calls(), 1);
}

#[tokio::test]
async fn a_500_lets_twilios_retry_reach_the_handler() {
    let app = App::new();
    let addr = serve(router(&app, ReplayGuardLayer::in_memory())).await;
    assert_eq!(send_h1(genuine(addr, "/flaky", SMS)).await.status, 500);
    let retry = send_h1(genuine(addr, "/flaky", SMS)).await;
    assert_eq!(retry.status, 200);
    assert_eq!(app.calls(), 2);
    // The 2xx was recorded: a third copy does not run it again.
    assert_eq!(send_h1(genuine(addr, "/flaky", SMS)).await.body, retry.body);
    assert_eq!(app.calls(), 2);
}

#[tokio::test]
async fn a_handler_error_releases_the_claim() {
    // Plain Tower, no axum: the order of `ServiceBuilder` reads outside in.
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let svc = ServiceBuilder::new()
        .layer(TwilioValidateLayer::new(TOKEN).base_url(BASE))
        .layer(ReplayGuardLayer::in_memory())
        .service_fn(
            move |_req: Request<tower_twilio::validate::ValidatedBody>| {
                let n = seen.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n == 0 {
                        Err("the handler failed")
                    } else {
                        Ok::<_, &str>(http::Response::new(Full::new(Bytes::from("ok"))))
                    }
                }
            },
        );
    let request = || {
        let mut req = Request::post("/sms")
            .header(CONTENT_TYPE, FORM)
            .body("MessageSid=SM1")
            .unwrap();
        Signer::new(TOKEN, BASE).sign(&mut req);
        req.map(|b| Full::new(Bytes::from(b)))
    };
    assert!(svc.clone().oneshot(request()).await.is_err());
    let retry = svc.clone().oneshot(request()).await.unwrap();
    assert_eq!(retry.status(), 200);
    let copy = svc.clone().oneshot(request()).await.unwrap();
    assert_eq!(copy.extensions().get(), Some(&ReplayVerdict::Replayed));
    assert_eq!(copy.into_body().collect().await.unwrap().to_bytes(), "ok");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_answer_too_large_to_record_is_sent_whole_and_its_copies_get_409() {
    let app = App::new();
    let addr = serve(router(&app, ReplayGuardLayer::in_memory())).await;
    let first = send_h1(genuine(addr, "/big", SMS)).await;
    assert_eq!((first.status, first.body.len()), (StatusCode::OK, 100_000));
    let copy = send_h1(genuine(addr, "/big", SMS)).await;
    assert_eq!(copy.status, 409);
    assert!(body_text(&copy).contains("already answered"));
    assert_eq!(app.calls(), 1);
}

#[tokio::test]
async fn only_validated_requests_are_recorded_and_the_memory_store_keeps_its_bounds() {
    let app = App::new();
    let store = MemoryStore::new().max_entries(50);
    let addr = serve(router(&app, ReplayGuardLayer::new(store.clone()))).await;
    // Forged requests, each with another well-formed signature.
    for n in 0..500u32 {
        let mut mac = [0u8; 20];
        mac[..4].copy_from_slice(&n.to_be_bytes());
        let forged = base64_of(&mac);
        let answer = send_h1(post_to(addr, "/sms", "MessageSid=SM1", &forged)).await;
        assert_eq!(answer.status, 403);
    }
    assert!(store.is_empty());
    // Genuine, distinct ones: the oldest make room.
    for n in 0..200 {
        let sid = format!("SM{n}");
        let answer = send_h1(genuine(addr, "/sms", &[("MessageSid", &sid)])).await;
        assert_eq!(answer.status, 200);
        assert!(store.len() <= 50);
    }
    assert_eq!(store.len(), 50);
    assert_eq!(app.calls(), 200);
}

fn base64_of(bytes: &[u8]) -> String {
    // Standard base64 of 20 bytes, without a dependency for it.
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[tokio::test]
async fn websocket_handshakes_pass_unguarded() {
    // Twilio signs a stream's URL alone: every call to it has the same
    // signature, and each is a new stream.
    let app = App::new();
    let router = router(&app, ReplayGuardLayer::in_memory());
    let handshake = || {
        let no_fields: &[(&str, &str)] = &[];
        let signature = compute_signature(
            TOKEN,
            Algorithm::HmacSha1,
            "wss://hooks.example.com/stream",
            no_fields,
        );
        Request::get("/stream")
            .header("upgrade", "websocket")
            .header("connection", "upgrade")
            .header("x-twilio-signature", signature)
            .body(axum::body::Body::empty())
            .unwrap()
    };
    for _ in 0..2 {
        let res = router.clone().oneshot(handshake()).await.unwrap();
        assert_eq!(res.status(), 200);
    }
    assert_eq!(app.calls(), 2);
}

#[tokio::test]
async fn a_guard_outside_the_validate_layer_answers_500_and_never_calls_the_handler() {
    let app = App::new();
    let router = Router::new()
        .route("/sms", post(sms))
        .layer(TwilioValidateLayer::new(TOKEN).base_url(BASE))
        .layer(ReplayGuardLayer::in_memory())
        .with_state(app.clone());
    let addr = serve(router).await;
    let answer = send_h1(genuine(addr, "/sms", SMS)).await;
    assert_eq!(answer.status, 500);
    assert!(body_text(&answer).contains("TwilioValidateLayer"));
    assert_eq!(app.calls(), 0);
}

/// A store that always fails, or never answers.
struct BrokenStore {
    hangs: bool,
}

impl BrokenStore {
    fn answer<T: Send + 'static>(&self) -> StoreFuture<T> {
        if self.hangs {
            Box::pin(std::future::pending())
        } else {
            Box::pin(async { Err(StoreError::new("connection refused")) })
        }
    }
}

impl ReplayStore for BrokenStore {
    fn claim(&self, _: ReplayKey, _: Bytes, _: Duration) -> StoreFuture<Option<Bytes>> {
        self.answer()
    }
    fn complete(&self, _: ReplayKey, _: Bytes, _: Bytes, _: Duration) -> StoreFuture<()> {
        self.answer()
    }
    fn release(&self, _: ReplayKey, _: Bytes) -> StoreFuture<()> {
        self.answer()
    }
}

#[tokio::test]
async fn a_failing_store_answers_503_unless_the_guard_fails_open() {
    for hangs in [false, true] {
        let guard = || {
            ReplayGuardLayer::new(BrokenStore { hangs }).store_timeout(Duration::from_millis(50))
        };
        let app = App::new();
        let addr = serve(router(&app, guard())).await;
        let answer = send_h1(genuine(addr, "/sms", SMS)).await;
        assert_eq!(answer.status, 503, "hangs: {hangs}");
        assert_eq!(app.calls(), 0);

        let addr = serve(router(&app, guard().fail_open(true))).await;
        for _ in 0..2 {
            assert_eq!(send_h1(genuine(addr, "/sms", SMS)).await.status, 200);
        }
        assert_eq!(app.calls(), 2, "hangs: {hangs}");
    }
}

#[tokio::test]
async fn a_replayed_twiml_answer_keeps_its_content_type() {
    // The recorded answer is what Twilio reads: `text/xml`, not `text/plain`.
    let app = App::new();
    let addr = serve(router(&app, ReplayGuardLayer::in_memory())).await;
    send_h1(genuine(addr, "/sms", SMS)).await;
    let copy = send_h1(genuine(addr, "/sms", SMS)).await;
    assert_eq!(
        copy.headers[CONTENT_TYPE],
        HeaderValue::from_static("text/xml; charset=utf-8")
    );
}

/// Two tenants under one `KeyResolver`, each signing with its own token.
const TENANT_A: &str = "AC0000000000000000000000000000000a";
const TENANT_B: &str = "AC0000000000000000000000000000000b";

/// A third tenant, for the tests where two others act together.
const TENANT_C: &str = "AC0000000000000000000000000000000c";

fn token_of(account: &str) -> &'static str {
    if account == TENANT_A {
        "token-of-tenant-a"
    } else if account == TENANT_C {
        "token-of-tenant-c"
    } else {
        "token-of-tenant-b"
    }
}

async fn large(State(app): State<App>, webhook: ValidatedWebhook) -> String {
    app.record(&webhook);
    "x".repeat(60_000)
}

/// The guarded app of both tenants: `/sms`, `/slow` and `/large` (a 60 KB
/// answer, recorded).
fn tenants_router(app: &App, guard: ReplayGuardLayer) -> Router {
    let accounts: Arc<HashMap<&str, RequestValidator>> = Arc::new(HashMap::from([
        (TENANT_A, RequestValidator::new(token_of(TENANT_A))),
        (TENANT_B, RequestValidator::new(token_of(TENANT_B))),
        (TENANT_C, RequestValidator::new(token_of(TENANT_C))),
    ]));
    let validate = TwilioValidateLayer::with_resolver(move |sid: String| {
        let accounts = accounts.clone();
        async move { accounts.get(sid.as_str()).cloned() }
    })
    .base_url(BASE);
    Router::new()
        .route("/sms", post(sms))
        .route("/slow", post(slow))
        .route("/large", post(large))
        .layer(guard)
        .layer(validate)
        .with_state(app.clone())
}

/// `account`'s genuine webhook `sid` to `path`.
fn tenant_webhook(addr: SocketAddr, account: &str, path: &str, sid: &str) -> Request<Full<Bytes>> {
    let fields = [("AccountSid", account), ("MessageSid", sid), ("Body", "hi")];
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let signature = compute_signature(
        token_of(account),
        Algorithm::HmacSha1,
        &format!("{BASE}{path}"),
        &fields,
    );
    post_to(addr, path, &body, &signature)
}

impl App {
    /// How many times a handler ran for `account`.
    fn calls_of(&self, account: &str) -> usize {
        let field = format!("AccountSid={account}");
        self.seen().iter().filter(|s| s.contains(&field)).count()
    }
}

#[tokio::test]
async fn a_tenant_flooding_its_own_webhooks_evicts_none_of_another_tenants_entries() {
    let app = App::new();
    let guard = ReplayGuardLayer::new(MemoryStore::new().max_entries(50));
    let addr = serve(tenants_router(&app, guard)).await;
    let first = send_h1(tenant_webhook(addr, TENANT_B, "/sms", "SMb")).await;
    assert_eq!(first.status, 200);
    for n in 0..200 {
        let flood = tenant_webhook(addr, TENANT_A, "/sms", &format!("SMa{n}"));
        assert_eq!(send_h1(flood).await.status, 200);
    }
    let copy = send_h1(tenant_webhook(addr, TENANT_B, "/sms", "SMb")).await;
    assert_eq!((copy.status, &copy.body), (first.status, &first.body));
    assert_eq!(app.calls_of(TENANT_B), 1);
    let next = send_h1(tenant_webhook(addr, TENANT_B, "/sms", "SMb2")).await;
    assert_eq!(next.status, 200);
}

#[tokio::test]
async fn a_tenant_holding_its_webhooks_in_progress_gets_no_other_tenant_a_503() {
    let app = App::new();
    let guard = ReplayGuardLayer::new(MemoryStore::new().max_entries(20));
    let addr = serve(tenants_router(&app, guard)).await;
    let held: Vec<_> = (0..20)
        .map(|n| {
            let flood = tenant_webhook(addr, TENANT_A, "/slow", &format!("SMa{n}"));
            tokio::spawn(send_h1(flood))
        })
        .collect();
    // Half the store at most is A's in progress; the rest of A's are refused.
    let mut refused = 0;
    while app.calls_of(TENANT_A) < 10 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let other = send_h1(tenant_webhook(addr, TENANT_B, "/sms", "SMb")).await;
    assert_eq!(other.status, 200);
    app.gate.add_permits(20);
    for answer in held {
        let answer = answer.await.unwrap();
        if answer.status == 503 {
            assert!(
                body_text(&answer).contains("account"),
                "{}",
                body_text(&answer)
            );
            refused += 1;
        } else {
            assert_eq!(answer.status, 200);
        }
    }
    assert_eq!((app.calls_of(TENANT_A), refused), (10, 10));
}

/// At the global bound room is made "in the largest account, never in one
/// holding less than the largest": but when the largest holds only entries
/// in progress, which may not be dropped, the next account is emptied
/// instead. Tenant A holds 10 webhooks in progress (half the store, its
/// bound), B has 8 answered, C's traffic fills the rest: then each new
/// webhook of C's drops one of B's, and a copy of B's first webhook reaches
/// the handler again.
#[tokio::test]
async fn a_tenant_holding_half_the_store_in_progress_gets_no_smaller_tenants_entries_evicted() {
    let app = App::new();
    let guard = ReplayGuardLayer::new(MemoryStore::new().max_entries(20));
    let addr = serve(tenants_router(&app, guard)).await;
    let first = send_h1(tenant_webhook(addr, TENANT_B, "/sms", "SMb0")).await;
    assert_eq!(first.status, 200);
    for n in 1..8 {
        let next = tenant_webhook(addr, TENANT_B, "/sms", &format!("SMb{n}"));
        assert_eq!(send_h1(next).await.status, 200);
    }
    let held: Vec<_> = (0..10)
        .map(|n| {
            let flood = tenant_webhook(addr, TENANT_A, "/slow", &format!("SMa{n}"));
            tokio::spawn(send_h1(flood))
        })
        .collect();
    while app.calls_of(TENANT_A) < 10 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for n in 0..4 {
        // Refused or served, C's traffic must not cost B its entries.
        let _ = send_h1(tenant_webhook(addr, TENANT_C, "/sms", &format!("SMc{n}"))).await;
    }
    let copy = send_h1(tenant_webhook(addr, TENANT_B, "/sms", "SMb0")).await;
    app.gate.add_permits(10);
    for answer in held {
        assert_eq!(answer.await.unwrap().status, 200);
    }
    assert_eq!((copy.status, &copy.body), (first.status, &first.body));
    assert_eq!(app.calls_of(TENANT_B), 8);
}

#[tokio::test]
async fn a_copy_of_an_answer_recorded_after_two_failed_tries_still_gets_it() {
    // The store fails the first two attempts to record the answer; the
    // claim's in-progress mark must not lapse into a second run.
    let store = FlakyStore {
        inner: MemoryStore::new(),
        failures: Arc::new(AtomicUsize::new(2)),
        recorded: Arc::new(tokio::sync::Notify::new()),
    };
    let recorded = store.recorded.clone();
    let app = App::new();
    let guard = ReplayGuardLayer::new(store).in_progress_ttl(Duration::from_millis(500));
    let addr = serve(router(&app, guard)).await;
    let first = send_h1(genuine(addr, "/sms", SMS)).await;
    assert_eq!(first.status, 200);
    tokio::time::timeout(Duration::from_secs(5), recorded.notified())
        .await
        .expect("the answer is recorded within the in-progress ttl");
    let copy = send_h1(genuine(addr, "/sms", SMS)).await;
    assert_eq!((copy.status, &copy.body), (first.status, &first.body));
    assert_eq!(app.calls(), 1);
}

/// A `MemoryStore` whose `complete` fails `failures` times first, and says
/// when one succeeded.
struct FlakyStore {
    inner: MemoryStore,
    failures: Arc<AtomicUsize>,
    recorded: Arc<tokio::sync::Notify>,
}

impl ReplayStore for FlakyStore {
    fn claim(&self, key: ReplayKey, mark: Bytes, ttl: Duration) -> StoreFuture<Option<Bytes>> {
        self.inner.claim(key, mark, ttl)
    }
    fn complete(
        &self,
        key: ReplayKey,
        mark: Bytes,
        value: Bytes,
        ttl: Duration,
    ) -> StoreFuture<()> {
        let failing = self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing {
            return Box::pin(async { Err(StoreError::new("connection reset")) });
        }
        let done = self.inner.complete(key, mark, value, ttl);
        let recorded = self.recorded.clone();
        Box::pin(async move {
            done.await?;
            recorded.notify_one();
            Ok(())
        })
    }
    fn release(&self, key: ReplayKey, mark: Bytes) -> StoreFuture<()> {
        self.inner.release(key, mark)
    }
}

#[tokio::test]
async fn a_2xx_whose_body_fails_mid_stream_is_not_run_again_by_a_copy() {
    use futures_util::StreamExt as _;
    async fn pay(State(calls): State<Arc<AtomicUsize>>) -> axum::response::Response {
        calls.fetch_add(1, Ordering::SeqCst);
        let chunks = futures_util::stream::iter([
            Ok(Bytes::from("<Response>")),
            Err(std::io::Error::other("the body broke")),
        ])
        .boxed();
        axum::response::Response::builder()
            .header(CONTENT_TYPE, "text/xml")
            .body(axum::body::Body::from_stream(chunks))
            .unwrap()
    }
    let calls = Arc::new(AtomicUsize::new(0));
    let app = Router::new()
        .route("/pay", post(pay))
        .layer(ReplayGuardLayer::in_memory())
        .layer(TwilioValidateLayer::new(TOKEN).base_url(BASE))
        .with_state(calls.clone());
    let _ = app
        .clone()
        .oneshot(payment("/pay"))
        .await
        .unwrap()
        .into_body()
        .collect()
        .await;
    let copy = app.oneshot(payment("/pay")).await.unwrap();
    assert_eq!(copy.status(), StatusCode::CONFLICT);
    assert_eq!(
        copy.extensions().get::<ReplayVerdict>(),
        Some(&ReplayVerdict::AnswerNotKept)
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

/// With a real `redis-server` on loopback, which each test starts on a
/// port of its own and stops. Without one on the `PATH` these tests say
/// they were skipped; under `CI=true` they fail instead.
#[cfg(feature = "redis")]
mod redis {
    use tower_twilio::replay::RedisStore;

    use super::*;
    use crate::common::redis::Server;

    /// Two instances of the app, each with its own connection to `server`.
    async fn two_instances(server: &Server) -> ([SocketAddr; 2], [App; 2]) {
        let apps = [App::new(), App::new()];
        let mut addrs = Vec::new();
        for app in &apps {
            let guard = ReplayGuardLayer::new(server.store().await);
            addrs.push(serve(router(app, guard)).await);
        }
        ([addrs[0], addrs[1]], apps)
    }

    #[tokio::test]
    async fn a_request_answered_by_one_instance_and_replayed_to_the_other_gets_the_first_answer() {
        let Some(server) = Server::start("redis: two instances").await else {
            return;
        };
        let ([a, b], apps) = two_instances(&server).await;
        let first = send_h1(genuine(a, "/sms", SMS)).await;
        let replayed = send_h1(genuine(b, "/sms", SMS)).await;
        assert_eq!(first.status, 200);
        assert_eq!(replayed.status, 200);
        assert_eq!(replayed.body, first.body);
        assert_eq!(replayed.headers[CONTENT_TYPE], first.headers[CONTENT_TYPE]);
        assert_eq!((apps[0].calls(), apps[1].calls()), (1, 0));
    }

    #[tokio::test]
    async fn a_thousand_concurrent_copies_on_two_instances_run_the_handler_once() {
        let Some(server) = Server::start("redis: 1,000 copies").await else {
            return;
        };
        let (addrs, apps) = two_instances(&server).await;
        let copies: Vec<_> = (0..1000)
            .map(|i| tokio::spawn(send_h1(genuine(addrs[i % 2], "/slow", SMS))))
            .collect();
        while apps.iter().map(App::calls).sum::<usize>() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        for app in &apps {
            app.gate.add_permits(1);
        }
        let mut ok = 0;
        for copy in copies {
            let answer = copy.await.unwrap();
            assert!(
                [200, 409].contains(&answer.status.as_u16()),
                "{}",
                answer.status
            );
            ok += usize::from(answer.status == 200);
        }
        assert!(ok >= 1);
        assert_eq!(apps.iter().map(App::calls).sum::<usize>(), 1);
    }

    #[tokio::test]
    async fn a_500_on_one_instance_lets_the_retry_through_on_the_other() {
        let Some(server) = Server::start("redis: 500 then retry").await else {
            return;
        };
        let ([a, b], apps) = two_instances(&server).await;
        assert_eq!(send_h1(genuine(a, "/flaky", SMS)).await.status, 500);
        // `flaky` fails only on its instance's first call: the retry on
        // the other instance reaches a handler that answers.
        assert_eq!(send_h1(genuine(b, "/flaky", SMS)).await.status, 500);
        assert_eq!(send_h1(genuine(b, "/flaky", SMS)).await.status, 200);
        assert_eq!(send_h1(genuine(a, "/flaky", SMS)).await.status, 200);
        assert_eq!((apps[0].calls(), apps[1].calls()), (1, 2));
    }

    #[tokio::test]
    async fn redis_stopped_mid_run_answers_503_or_lets_through_as_configured() {
        let Some(mut server) = Server::start("redis: stopped").await else {
            return;
        };
        let app = App::new();
        let closed = ReplayGuardLayer::new(server.store().await);
        let open = ReplayGuardLayer::new(server.store().await).fail_open(true);
        let closed = serve(router(&app, closed)).await;
        let open = serve(router(&app, open)).await;
        assert_eq!(send_h1(genuine(closed, "/sms", SMS)).await.status, 200);
        server.stop();
        let other = [("MessageSid", "SM2")];
        let refused = send_h1(genuine(closed, "/sms", &other)).await;
        assert_eq!(refused.status, 503);
        assert_eq!(app.calls(), 1);
        let through = send_h1(genuine(open, "/sms", &other)).await;
        assert_eq!(through.status, 200);
        assert_eq!(app.calls(), 2);
    }

    /// Two instances of both tenants' app sharing `server`, each store as
    /// `configure` makes it.
    async fn two_tenant_instances(
        server: &Server,
        configure: impl Fn(RedisStore) -> RedisStore,
    ) -> ([SocketAddr; 2], App) {
        let app = App::new();
        let mut addrs = Vec::new();
        for _ in 0..2 {
            let guard = ReplayGuardLayer::new(configure(server.store().await));
            addrs.push(serve(tenants_router(&app, guard)).await);
        }
        ([addrs[0], addrs[1]], app)
    }

    #[tokio::test]
    async fn a_tenant_flooding_its_own_webhooks_is_refused_alone_and_evicts_nothing() {
        let Some(server) = Server::start("redis: tenant flood").await else {
            return;
        };
        let ([a, b], app) = two_tenant_instances(&server, |s| s.max_account_entries(20)).await;
        let first_b = send_h1(tenant_webhook(a, TENANT_B, "/sms", "SMb")).await;
        assert_eq!(first_b.status, 200);
        let mut answers = Vec::new();
        for n in 0..40 {
            let to = if n % 2 == 0 { a } else { b };
            let flood = tenant_webhook(to, TENANT_A, "/sms", &format!("SMa{n}"));
            answers.push(send_h1(flood).await);
        }
        let statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
        assert_eq!(statuses[..20], [200; 20]);
        assert_eq!(statuses[20..], [503; 20]);
        assert!(
            body_text(&answers[20]).contains("account"),
            "{}",
            body_text(&answers[20])
        );
        // Nothing of B's, nor of A's, was dropped to make room.
        let copy_b = send_h1(tenant_webhook(b, TENANT_B, "/sms", "SMb")).await;
        assert_eq!(
            (copy_b.status, &copy_b.body),
            (first_b.status, &first_b.body)
        );
        let copy_a = send_h1(tenant_webhook(b, TENANT_A, "/sms", "SMa0")).await;
        assert_eq!(
            (copy_a.status, &copy_a.body),
            (answers[0].status, &answers[0].body)
        );
        assert_eq!(
            send_h1(tenant_webhook(b, TENANT_B, "/sms", "SMb2"))
                .await
                .status,
            200
        );
        assert_eq!((app.calls_of(TENANT_A), app.calls_of(TENANT_B)), (20, 2));
    }

    /// A Redis of 4 MiB that evicts nothing: the deployment SECURITY.md
    /// describes, made small.
    const SMALL_REDIS: &[&str] = &["--maxmemory", "4mb", "--maxmemory-policy", "noeviction"];

    #[tokio::test]
    async fn a_tenant_flooding_a_redis_sized_for_its_shares_gets_no_other_tenant_a_503() {
        let Some(server) = Server::start_with("redis: sized", SMALL_REDIS).await else {
            return;
        };
        let ([a, b], app) =
            two_tenant_instances(&server, |s| s.max_account_bytes(1024 * 1024)).await;
        // Past its 1 MiB, A's answers are kept as the fact that they were
        // given: A is served, its copies get 409, and Redis never fills.
        for n in 0..100 {
            let to = if n % 2 == 0 { a } else { b };
            let flood = tenant_webhook(to, TENANT_A, "/large", &format!("SMa{n}"));
            assert_eq!(send_h1(flood).await.status, 200);
        }
        let late_copy = send_h1(tenant_webhook(a, TENANT_A, "/large", "SMa99")).await;
        assert_eq!(late_copy.status, 409);
        for n in 0..5 {
            let genuine = tenant_webhook(b, TENANT_B, "/large", &format!("SMb{n}"));
            assert_eq!(send_h1(genuine).await.status, 200);
        }
        let copy = send_h1(tenant_webhook(a, TENANT_B, "/large", "SMb4")).await;
        assert_eq!((copy.status.as_u16(), copy.body.len()), (200, 60_000));
        assert_eq!(app.calls_of(TENANT_A), 100);
        assert_eq!(app.calls_of(TENANT_B), 5);
    }

    #[tokio::test]
    async fn a_full_redis_is_told_from_an_unreachable_one_and_still_answers_copies() {
        let Some(server) = Server::start_with("redis: full", SMALL_REDIS).await else {
            return;
        };
        // Shares too large for the server: the sizing is wrong.
        let ([a, b], app) = two_tenant_instances(&server, |s| s).await;
        let first = send_h1(tenant_webhook(a, TENANT_A, "/large", "SMa-first")).await;
        assert_eq!(first.status, 200);
        let mut full = None;
        for n in 0..200 {
            let answer = send_h1(tenant_webhook(a, TENANT_A, "/large", &format!("SMa{n}"))).await;
            if answer.status != 200 {
                full = Some(answer);
                break;
            }
        }
        let full = full.expect("4 MiB fill up");
        assert_eq!(full.status, 503);
        assert_eq!(body_text(&full), "replay guard: store full\n");
        // Copies of what it holds are still answered from it.
        let copy = send_h1(tenant_webhook(b, TENANT_A, "/large", "SMa-first")).await;
        assert_eq!((copy.status, &copy.body), (first.status, &first.body));
        let calls = app.calls_of(TENANT_A);
        let again = send_h1(tenant_webhook(b, TENANT_A, "/large", "SMa-first")).await;
        assert_eq!(again.status, 200);
        assert_eq!(app.calls_of(TENANT_A), calls);
    }

    #[tokio::test]
    async fn a_connection_error_does_not_repeat_the_password() {
        let error = RedisStore::connect("redis://:hunter2-secret@127.0.0.1:1")
            .await
            .unwrap_err();
        let text = format!("{error} {error:?}");
        assert!(!text.contains("hunter2"), "{text}");
    }
}

/// Signed `MessageSid=SM1&Body=pay` to `path`, for `oneshot`.
fn payment(path: &str) -> Request<axum::body::Body> {
    let fields: &[(&str, &str)] = &[("MessageSid", "SM1"), ("Body", "pay")];
    Request::post(path)
        .header(CONTENT_TYPE, FORM)
        .header("x-twilio-signature", sign(path, fields))
        .body(axum::body::Body::from("MessageSid=SM1&Body=pay"))
        .unwrap()
}

#[tokio::test]
async fn a_request_dropped_after_its_handler_answered_still_blocks_its_copies() {
    // The handler has done its work and answers 200, but its body streams
    // and the client goes away while the guard reads it: the claim must not
    // lapse into a second run once its in-progress time is over.
    use futures_util::StreamExt as _;
    let calls = Arc::new(AtomicUsize::new(0));
    async fn pay(State(calls): State<Arc<AtomicUsize>>) -> axum::response::Response {
        calls.fetch_add(1, Ordering::SeqCst);
        let chunks =
            futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from("<Response>"))])
                .chain(futures_util::stream::pending());
        axum::response::Response::builder()
            .header(CONTENT_TYPE, "text/xml")
            .body(axum::body::Body::from_stream(chunks))
            .unwrap()
    }
    let app = Router::new()
        .route("/pay", post(pay))
        .layer(ReplayGuardLayer::in_memory().in_progress_ttl(Duration::from_millis(100)))
        .layer(TwilioValidateLayer::new(TOKEN).base_url(BASE))
        .with_state(calls.clone());
    let gone = tokio::time::timeout(
        Duration::from_millis(50),
        app.clone().oneshot(payment("/pay")),
    );
    assert!(gone.await.is_err());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let copy = app.clone().oneshot(payment("/pay")).await.unwrap();
    assert_eq!(copy.status(), 409);
    assert_eq!(copy.extensions().get(), Some(&ReplayVerdict::AnswerNotKept));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_request_dropped_before_its_handler_ran_releases_its_claim() {
    // A store slow to answer the claim: the client goes away first.
    struct Slow(MemoryStore);
    impl ReplayStore for Slow {
        fn claim(&self, k: ReplayKey, m: Bytes, t: Duration) -> StoreFuture<Option<Bytes>> {
            let claimed = self.0.claim(k, m, t);
            Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(100)).await;
                claimed.await
            })
        }
        fn complete(&self, k: ReplayKey, m: Bytes, v: Bytes, t: Duration) -> StoreFuture<()> {
            self.0.complete(k, m, v, t)
        }
        fn release(&self, k: ReplayKey, m: Bytes) -> StoreFuture<()> {
            self.0.release(k, m)
        }
    }
    let app = App::new();
    let router = router(&app, ReplayGuardLayer::new(Slow(MemoryStore::new())));
    let gone = tokio::time::timeout(
        Duration::from_millis(20),
        router.clone().oneshot(payment("/sms")),
    );
    assert!(gone.await.is_err());
    let retry = router.oneshot(payment("/sms")).await.unwrap();
    assert_eq!(retry.status(), 200);
    assert_eq!(app.calls(), 1);
}

#[tokio::test]
async fn an_answer_too_large_for_the_store_still_blocks_its_copies() {
    let app = App::new();
    let guard = ReplayGuardLayer::new(MemoryStore::new().max_bytes(32 * 1024));
    let router = router(&app, guard);
    for _ in 0..3 {
        router.clone().oneshot(payment("/big")).await.unwrap();
    }
    assert_eq!(app.calls(), 1);
}

#[tokio::test]
async fn a_ttl_past_what_an_instant_holds_does_not_panic() {
    let app = App::new();
    let guard = ReplayGuardLayer::in_memory()
        .ttl(Duration::MAX)
        .in_progress_ttl(Duration::MAX);
    let router = router(&app, guard);
    for _ in 0..2 {
        assert_eq!(
            router
                .clone()
                .oneshot(payment("/sms"))
                .await
                .unwrap()
                .status(),
            200
        );
    }
    assert_eq!(app.calls(), 1);
}
