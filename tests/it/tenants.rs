//! Multi-tenant requests name one account: with a `KeyResolver`, every
//! `AccountSid` of the form fields and of the query must be the same, so
//! that the handler, axum's `Form` and `Query` included, reads the account
//! whose keys validated the request; and the handler is told which it was.
//!
//! Through `axum::serve` on 127.0.0.1 and a hyper client.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::{Form, Query};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use http::{HeaderValue, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tower_twilio::{Rejection, RequestValidator, Signer, TwilioValidateLayer, ValidatedWebhook};

const A: &str = "AC00000000000000000000000000000001";
const B: &str = "AC00000000000000000000000000000002";
const TOKEN_A: &str = "token-of-account-one";
const TOKEN_B: &str = "token-of-account-two";
const FORM: &str = "application/x-www-form-urlencoded";

/// What a handler may read the account from.
#[derive(serde::Deserialize)]
struct Account {
    #[serde(rename = "AccountSid")]
    account_sid: Option<String>,
}

struct Server {
    addr: SocketAddr,
    calls: Arc<AtomicUsize>,
}

impl Server {
    /// The public base URL the layer is configured with, and Twilio signs.
    fn base(&self) -> String {
        format!("https://{}", self.addr)
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

fn resolver_layer() -> TwilioValidateLayer {
    let accounts: Arc<HashMap<&str, RequestValidator>> = Arc::new(HashMap::from([
        (A, RequestValidator::new(TOKEN_A)),
        (B, RequestValidator::new(TOKEN_B)),
    ]));
    TwilioValidateLayer::with_resolver(move |sid: String| {
        let accounts = accounts.clone();
        async move { accounts.get(sid.as_str()).cloned() }
    })
}

/// `/sms` reads the account from the webhook, `Query` and `Form`; `/status`
/// from the webhook and `Query`. Each answers what it read, and counts.
async fn serve(layer: impl FnOnce(&str) -> TwilioValidateLayer) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let (sms_calls, status_calls) = (calls.clone(), calls.clone());
    let app = Router::new()
        .route(
            "/sms",
            post(
                move |webhook: ValidatedWebhook,
                      Query(query): Query<Account>,
                      Form(form): Form<Account>| {
                    sms_calls.fetch_add(1, Ordering::SeqCst);
                    async move {
                        format!(
                            "webhook={:?} query={:?} form={:?}",
                            webhook.account_sid(),
                            query.account_sid,
                            form.account_sid
                        )
                    }
                },
            ),
        )
        .route(
            "/status",
            get(
                move |webhook: ValidatedWebhook, Query(query): Query<Account>| {
                    status_calls.fetch_add(1, Ordering::SeqCst);
                    async move {
                        format!(
                            "webhook={:?} query={:?}",
                            webhook.account_sid(),
                            query.account_sid
                        )
                    }
                },
            ),
        )
        .layer(layer(&format!("https://{addr}")))
        .layer(axum::middleware::map_response(expose_rejection));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Server { addr, calls }
}

/// Copies the typed rejection into an `x-rejection` header, to read it off
/// the wire.
async fn expose_rejection(mut res: Response) -> Response {
    if let Some(rejection) = res.extensions().get::<Rejection>().copied() {
        res.headers_mut()
            .insert("x-rejection", HeaderValue::from_static(rejection.as_str()));
    }
    res
}

/// A form POST to `target` with `body`, signed with `token`.
fn sms(server: &Server, target: &str, body: &str, token: &str) -> Request<String> {
    let mut req = Request::post(format!("http://{}{target}", server.addr))
        .header("content-type", FORM)
        .body(body.to_owned())
        .unwrap();
    Signer::new(token, server.base()).sign(&mut req);
    req
}

/// A GET of `target`, signed with `token`.
fn status(server: &Server, target: &str, token: &str) -> Request<String> {
    let mut req = Request::get(format!("http://{}{target}", server.addr))
        .body(String::new())
        .unwrap();
    Signer::new(token, server.base()).sign(&mut req);
    req
}

struct Answer {
    status: StatusCode,
    rejection: Option<String>,
    body: String,
}

async fn send(req: Request<String>) -> Answer {
    let client = Client::builder(TokioExecutor::new()).build_http();
    let res = client
        .request(req.map(|b| Full::new(Bytes::from(b))))
        .await
        .unwrap();
    let status = res.status();
    let rejection = res
        .headers()
        .get("x-rejection")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = res.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        rejection,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

/// Asserts a `403 account_mismatch` with the one answer of every signature
/// failure, and that no handler ran.
fn assert_mismatch(server: &Server, answer: &Answer) {
    assert_eq!(
        (answer.status, answer.rejection.as_deref()),
        (StatusCode::FORBIDDEN, Some("account_mismatch")),
        "{}",
        answer.body
    );
    assert_eq!(answer.body, "invalid Twilio signature\n");
    assert_eq!(server.calls(), 0, "the handler was called");
}

#[tokio::test]
async fn a_form_account_and_another_query_account_are_refused_before_the_handler() {
    let server = serve(|base| resolver_layer().base_url(base)).await;
    // Validly signed with A's token; `Query` would read B.
    let target = format!("/sms?AccountSid={B}");
    let body = format!("AccountSid={A}&Body=hi");
    let answer = send(sms(&server, &target, &body, TOKEN_A)).await;
    assert_mismatch(&server, &answer);
    let answer = send(sms(&server, &target, &body, TOKEN_B)).await;
    assert_mismatch(&server, &answer);
}

#[tokio::test]
async fn two_account_sid_fields_with_different_values_are_refused() {
    let server = serve(|base| resolver_layer().base_url(base)).await;
    for (body, token) in [
        (format!("AccountSid={A}&Body=hi&AccountSid={B}"), TOKEN_A),
        (format!("AccountSid={B}&Body=hi&AccountSid={A}"), TOKEN_B),
    ] {
        let answer = send(sms(&server, "/sms", &body, token)).await;
        assert_mismatch(&server, &answer);
    }
}

#[tokio::test]
async fn two_query_account_sids_with_different_values_are_refused() {
    let server = serve(|base| resolver_layer().base_url(base)).await;
    let target = format!("/status?AccountSid={A}&CallStatus=completed&AccountSid={B}");
    let answer = send(status(&server, &target, TOKEN_A)).await;
    assert_mismatch(&server, &answer);
}

#[tokio::test]
async fn the_same_account_in_form_and_query_is_served_and_named_to_the_handler() {
    let server = serve(|base| resolver_layer().base_url(base)).await;
    let target = format!("/sms?AccountSid={A}");
    let body = format!("AccountSid={A}&Body=hi");
    let answer = send(sms(&server, &target, &body, TOKEN_A)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(
        answer.body,
        format!(r#"webhook=Some("{A}") query=Some("{A}") form=Some("{A}")"#)
    );
    assert_eq!(server.calls(), 1);
}

#[tokio::test]
async fn the_account_of_a_form_alone_or_a_query_alone_is_named_to_the_handler() {
    let server = serve(|base| resolver_layer().base_url(base)).await;
    let body = format!("AccountSid={B}&Body=hi");
    let answer = send(sms(&server, "/sms", &body, TOKEN_B)).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (
            StatusCode::OK,
            format!(r#"webhook=Some("{B}") query=None form=Some("{B}")"#).as_str()
        )
    );
    let target = format!("/status?AccountSid={A}&CallStatus=completed");
    let answer = send(status(&server, &target, TOKEN_A)).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (
            StatusCode::OK,
            format!(r#"webhook=Some("{A}") query=Some("{A}")"#).as_str()
        )
    );
    assert_eq!(server.calls(), 2);
}

#[tokio::test]
async fn a_request_that_names_no_account_is_still_unknown() {
    let server = serve(|base| resolver_layer().base_url(base)).await;
    let answer = send(sms(&server, "/sms", "Body=hi", TOKEN_A)).await;
    assert_eq!(
        (answer.status, answer.rejection.as_deref()),
        (StatusCode::FORBIDDEN, Some("unknown_account"))
    );
    assert_eq!(answer.body, "invalid Twilio signature\n");
    assert_eq!(server.calls(), 0);
}

#[tokio::test]
async fn with_static_keys_the_handler_is_told_no_account() {
    let server = serve(|base| TwilioValidateLayer::new(TOKEN_A).base_url(base)).await;
    let target = format!("/sms?AccountSid={A}");
    let body = format!("AccountSid={A}&Body=hi");
    let answer = send(sms(&server, &target, &body, TOKEN_A)).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (
            StatusCode::OK,
            format!(r#"webhook=None query=Some("{A}") form=Some("{A}")"#).as_str()
        )
    );
}
