//! The bearer stage with a verifier of one's own (no `jwt` feature): what
//! the layer does with its answers, and when it asks it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::routing::post;
use axum::{Extension, Router};
use http::{Request, StatusCode};
use tower::ServiceExt;
use tower_twilio::bearer::{BearerClaims, BearerError, BearerVerifier, VerifyFuture};
use tower_twilio::validate::DEFAULT_BEARER_TIMEOUT;
use tower_twilio::{Rejection, Signer, TwilioValidateLayer};

use crate::common;

const TOKEN: &str = "12345";
const BASE: &str = "https://hooks.example.com";
const BODY: &str = "CallSid=CA123&From=%2B14155550100";

/// Accepts `good`, says `MissingScope` to `narrow`, refuses the rest;
/// counts its calls.
#[derive(Clone, Default)]
struct Introspection {
    calls: Arc<AtomicUsize>,
}

impl BearerVerifier for Introspection {
    fn verify(&self, token: &str) -> VerifyFuture {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let verdict = match token {
            "good" => {
                let mut claims = BearerClaims::default();
                claims.client_id = Some("twilio".into());
                claims.scopes = vec!["webhooks".into()];
                Ok(claims)
            }
            "narrow" => Err(BearerError::MissingScope),
            _ => Err(BearerError::InvalidToken),
        };
        Box::pin(async move {
            // An answer that is not ready at once, as a network call's.
            tokio::task::yield_now().await;
            verdict
        })
    }
}

fn app(verifier: Introspection) -> Router {
    Router::new()
        .route(
            "/voice",
            post(|claims: Extension<BearerClaims>| async move {
                claims.client_id.clone().unwrap_or_default()
            }),
        )
        .layer(
            TwilioValidateLayer::new(TOKEN)
                .base_url(BASE)
                .bearer_auth(verifier),
        )
}

fn request(token: Option<&str>, sign: bool) -> Request<String> {
    let mut req = Request::post("/voice")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(BODY.to_owned())
        .unwrap();
    if sign {
        Signer::new(TOKEN, BASE).sign(&mut req);
    }
    if let Some(token) = token {
        req.headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    req
}

#[tokio::test]
async fn an_accepted_token_puts_its_claims_into_the_request() {
    let res = app(Introspection::default())
        .oneshot(request(Some("good"), true).map(Body::from))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap();
    assert_eq!(body.to_bytes(), "twilio");
}

#[tokio::test]
async fn a_refused_token_is_401_invalid_token_and_the_body_is_not_read() {
    let (parts, _) = request(Some("bad"), true).into_parts();
    let res = app(Introspection::default())
        .oneshot(Request::from_parts(parts, common::PanickingBody))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        res.headers()["www-authenticate"],
        "Bearer realm=\"twilio\", error=\"invalid_token\", \
         error_description=\"the token is not accepted\""
    );
    assert_eq!(
        res.extensions().get::<Rejection>(),
        Some(&Rejection::Unauthenticated)
    );
    assert_eq!(
        res.extensions().get::<BearerError>(),
        Some(&BearerError::InvalidToken)
    );
}

#[tokio::test]
async fn a_missing_scope_is_403_insufficient_scope() {
    let res = app(Introspection::default())
        .oneshot(request(Some("narrow"), true).map(Body::from))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        res.extensions().get::<Rejection>(),
        Some(&Rejection::InsufficientScope)
    );
    assert!(res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("error=\"insufficient_scope\""));
}

#[tokio::test]
async fn the_verifier_is_not_asked_without_a_token_or_a_plausible_signature() {
    let verifier = Introspection::default();
    let res = app(verifier.clone())
        .oneshot(request(None, true).map(Body::from))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["www-authenticate"], "Bearer realm=\"twilio\"");
    assert_eq!(
        res.extensions().get::<BearerError>(),
        Some(&BearerError::MissingToken)
    );
    let res = app(verifier.clone())
        .oneshot(request(Some("good"), false).map(Body::from))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        res.extensions().get::<Rejection>(),
        Some(&Rejection::MissingSignature)
    );
    assert_eq!(verifier.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn another_scheme_is_a_missing_token() {
    let mut req = request(None, true);
    req.headers_mut()
        .insert("authorization", "Basic dHdpbGlvOnB3".parse().unwrap());
    let res = app(Introspection::default())
        .oneshot(req.map(Body::from))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["www-authenticate"], "Bearer realm=\"twilio\"");
}

#[tokio::test]
async fn a_custom_rejection_response_still_gets_the_challenge() {
    let layer = TwilioValidateLayer::new(TOKEN)
        .base_url(BASE)
        .bearer_auth(Introspection::default())
        .rejection_response(|rejection| {
            http::Response::builder()
                .status(rejection.status())
                .body(rejection.as_str().into())
                .unwrap()
        });
    let app = Router::new()
        .route("/voice", post(|| async { "ok" }))
        .layer(layer);
    let res = app
        .oneshot(request(Some("bad"), true).map(Body::from))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer realm=\"twilio\", error=\"invalid_token\""));
}

/// A verifier that never answers, as an introspection endpoint that hangs.
fn hanging(_: String) -> std::future::Pending<Result<BearerClaims, BearerError>> {
    std::future::pending()
}

async fn answer_of_a_hanging_verifier(layer: TwilioValidateLayer) -> http::Response<Body> {
    let app = Router::new()
        .route("/voice", post(|| async { "ok" }))
        .layer(layer.bearer_auth(hanging));
    let (parts, _) = request(Some("good"), true).into_parts();
    app.oneshot(Request::from_parts(parts, common::PanickingBody))
        .await
        .unwrap()
        .map(Body::new)
}

#[tokio::test(start_paused = true)]
async fn a_verifier_that_does_not_answer_is_503_after_the_bearer_timeout() {
    let started = tokio::time::Instant::now();
    let res = answer_of_a_hanging_verifier(
        TwilioValidateLayer::new(TOKEN)
            .base_url(BASE)
            .bearer_timeout(Duration::from_millis(250)),
    )
    .await;
    assert_eq!(started.elapsed(), Duration::from_millis(250));
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        res.extensions().get::<BearerError>(),
        Some(&BearerError::VerifierTimeout)
    );
    assert_eq!(
        res.extensions().get::<Rejection>(),
        Some(&Rejection::BearerUnavailable)
    );
    // The token was not judged: no challenge.
    assert!(res.headers().get("www-authenticate").is_none());
}

#[tokio::test(start_paused = true)]
async fn a_verifier_that_does_not_answer_is_bounded_by_default() {
    let started = tokio::time::Instant::now();
    let res = answer_of_a_hanging_verifier(TwilioValidateLayer::new(TOKEN).base_url(BASE)).await;
    assert_eq!(started.elapsed(), DEFAULT_BEARER_TIMEOUT);
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn the_answer_does_not_say_which_check_refused_the_token() {
    let refuse = |_: String| async { Err::<BearerClaims, _>(BearerError::WrongAudience) };
    let app = Router::new()
        .route("/voice", post(|| async { "ok" }))
        .layer(
            TwilioValidateLayer::new(TOKEN)
                .base_url(BASE)
                .bearer_auth(refuse),
        );
    let res = app
        .oneshot(request(Some("token"), true).map(Body::from))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        res.headers()["www-authenticate"],
        "Bearer realm=\"twilio\", error=\"invalid_token\", \
         error_description=\"the token is not accepted\""
    );
    // The typed reason is the operator's, in the extensions.
    assert_eq!(
        res.extensions().get::<BearerError>(),
        Some(&BearerError::WrongAudience)
    );
    let body = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    let body = String::from_utf8_lossy(&body);
    assert!(!body.contains("audience"), "{body}");
    assert!(
        !body.contains(BearerError::WrongAudience.as_str()),
        "{body}"
    );
}
