//! Keys looked up per account, and a custom rejection response.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::routing::{get, post};
use axum::Router;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;
use tower_twilio::auth::HttpAuth;
use tower_twilio::{Rejection, RequestValidator, Signer, TwilioValidateLayer, ValidatedWebhook};

const BASE: &str = "https://hooks.example.com";

fn resolver_layer() -> TwilioValidateLayer {
    let accounts: Arc<HashMap<String, RequestValidator>> = Arc::new(HashMap::from([
        ("AC0001".to_string(), RequestValidator::new("token-one")),
        (
            "AC0002".to_string(),
            RequestValidator::new("token-two-new").secondary_token("token-two-old"),
        ),
    ]));
    TwilioValidateLayer::with_resolver(move |sid: String| {
        let accounts = accounts.clone();
        async move { accounts.get(&sid).cloned() }
    })
    .base_url(BASE)
}

fn app(layer: TwilioValidateLayer) -> Router {
    let handler = |w: ValidatedWebhook| async move {
        format!("{} {}", w.get("AccountSid").unwrap_or("-"), w.matched_key())
    };
    Router::new()
        .route("/sms", post(handler))
        .route("/status", get(handler))
        .layer(layer)
}

fn sms(account: &str, token: &str) -> Request<Body> {
    let mut req = Request::post("/sms")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("AccountSid={account}&Body=hi"))
        .unwrap();
    Signer::new(token, BASE).sign(&mut req);
    req.map(Body::from)
}

async fn send(router: Router, req: Request<Body>) -> (StatusCode, Option<Rejection>, String) {
    let res = router.oneshot(req).await.unwrap();
    let status = res.status();
    let rejection = res.extensions().get::<Rejection>().copied();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        rejection,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

#[tokio::test]
async fn each_account_is_checked_with_its_own_token() {
    let (status, _, body) = send(app(resolver_layer()), sms("AC0001", "token-one")).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "AC0001 auth token")
    );
    let (status, _, body) = send(app(resolver_layer()), sms("AC0002", "token-two-old")).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "AC0002 secondary token #0")
    );
}

#[tokio::test]
async fn another_accounts_token_does_not_validate() {
    let (status, rejection, _) = send(app(resolver_layer()), sms("AC0001", "token-two-new")).await;
    assert_eq!(
        (status, rejection),
        (StatusCode::FORBIDDEN, Some(Rejection::BadSignature))
    );
}

#[tokio::test]
async fn an_unknown_or_missing_account_is_403() {
    let (status, rejection, body) = send(app(resolver_layer()), sms("AC9999", "token-one")).await;
    assert_eq!(
        (status, rejection),
        (StatusCode::FORBIDDEN, Some(Rejection::UnknownAccount))
    );
    assert_eq!(body, "invalid Twilio signature\n");

    let mut req = Request::post("/sms")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("Body=hi".to_string())
        .unwrap();
    Signer::new("token-one", BASE).sign(&mut req);
    let (status, rejection, _) = send(app(resolver_layer()), req.map(Body::from)).await;
    assert_eq!(
        (status, rejection),
        (StatusCode::FORBIDDEN, Some(Rejection::UnknownAccount))
    );
}

#[tokio::test]
async fn the_account_of_a_get_callback_comes_from_the_query() {
    let mut req = Request::get("/status?AccountSid=AC0001&CallStatus=completed")
        .body(String::new())
        .unwrap();
    Signer::new("token-one", BASE).sign(&mut req);
    let (status, _, body) = send(app(resolver_layer()), req.map(Body::from)).await;
    // A GET's fields are its query: the handler reads them too.
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "AC0001 auth token")
    );
}

#[tokio::test]
async fn a_custom_rejection_response_replaces_the_default() {
    let layer = TwilioValidateLayer::new("token")
        .base_url(BASE)
        .rejection_response(|r| {
            http::Response::builder()
                .status(r.status())
                .header("content-type", "application/json")
                .body(format!(r#"{{"error":"{}"}}"#, r.as_str()).into())
                .unwrap()
        });
    let (status, rejection, body) = send(app(layer), sms("AC0001", "wrong-token")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(rejection, Some(Rejection::BadSignature));
    assert_eq!(body, r#"{"error":"bad_signature"}"#);
}

#[tokio::test]
async fn a_custom_401_still_carries_the_challenges() {
    let layer = TwilioValidateLayer::new("token")
        .base_url(BASE)
        .http_auth(HttpAuth::builder().basic_auth("twilio", "pw").build())
        .rejection_response(|r| {
            http::Response::builder()
                .status(r.status())
                .body("no".into())
                .unwrap()
        });
    let res = app(layer).oneshot(sms("AC0001", "token")).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Basic realm="));
}

#[tokio::test]
async fn matched_key_names_the_shared_key() {
    let layer = TwilioValidateLayer::with_validator(
        RequestValidator::new("token").shared_key("sk1", "secret"),
    )
    .base_url(BASE);
    let mut req = Request::post("/sms")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("AccountSid=AC1".to_string())
        .unwrap();
    Signer::new("token", BASE)
        .shared_key("sk1", "secret")
        .sign(&mut req);
    let (status, _, body) = send(app(layer), req.map(Body::from)).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "AC1 shared key sk1")
    );
}

/// Every signature failure gets the same default answer, so that it does
/// not tell a client which accounts or shared keys exist, or whether a
/// captured signature is valid for this URL; the typed reason is still in
/// the response's extensions for the operator.
#[tokio::test]
async fn every_signature_failure_gets_the_same_default_answer() {
    let static_layer = || {
        TwilioValidateLayer::with_validator(
            RequestValidator::new("token").shared_key("sk1", "secret"),
        )
        .base_url(BASE)
    };
    let bad_signature = sms("AC0001", "wrong-token");
    let mut unknown_shared_key = Request::post("/sms")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("AccountSid=AC0001&Body=hi".to_string())
        .unwrap();
    // An id that is not configured, and a secret that is not either (a
    // configured secret is accepted under any id: the id is not signed).
    Signer::new("token", BASE)
        .shared_key("sk2", "another secret")
        .sign(&mut unknown_shared_key);
    let mut body_hash_mismatch = Request::post("/sms")
        .header("content-type", "application/json")
        .body(r#"{"AccountSid":"AC0001"}"#.to_string())
        .unwrap();
    Signer::new("token", BASE).sign(&mut body_hash_mismatch);
    *body_hash_mismatch.body_mut() = r#"{"AccountSid":"AC0002"}"#.to_string();

    let answers = [
        send(app(static_layer()), bad_signature).await,
        send(app(static_layer()), unknown_shared_key.map(Body::from)).await,
        send(app(resolver_layer()), sms("AC9999", "token-one")).await,
        send(app(static_layer()), body_hash_mismatch.map(Body::from)).await,
    ];
    let reasons: Vec<_> = answers.iter().map(|(_, r, _)| *r).collect();
    assert_eq!(
        reasons,
        [
            Some(Rejection::BadSignature),
            Some(Rejection::UnknownSharedKey),
            Some(Rejection::UnknownAccount),
            Some(Rejection::BodyHashMismatch),
        ]
    );
    for (status, rejection, body) in &answers {
        assert_eq!(*status, StatusCode::FORBIDDEN, "{rejection:?}");
        assert_eq!(body, "invalid Twilio signature\n", "{rejection:?}");
    }
}

#[tokio::test]
async fn a_missing_signature_keeps_its_own_answer() {
    let req = Request::post("/sms")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("AccountSid=AC0001&Body=hi"))
        .unwrap();
    let (status, rejection, body) = send(app(resolver_layer()), req).await;
    assert_eq!(
        (status, rejection),
        (StatusCode::FORBIDDEN, Some(Rejection::MissingSignature))
    );
    assert_ne!(body, "invalid Twilio signature\n");
    assert!(body.contains("missing_signature"), "{body}");
}
