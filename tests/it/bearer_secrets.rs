//! Bearer tokens (feature `jwt`) never reach `Debug`, the log or an answer:
//! not whole, and not their payload or signature alone.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::routing::post;
use axum::Router;
use http::Request;
use http_body_util::BodyExt;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use tower::ServiceExt;
use tower_twilio::bearer::jwt::{Jwks, JwksFetcher, JwtVerifier};
use tower_twilio::{Signer, TwilioValidateLayer};

use crate::common;

const TOKEN: &str = "bearer-test-auth-token";
const BASE: &str = "https://hooks.example.com";
const ISSUER: &str = "https://idp.example.com/";
const AUDIENCE: &str = "https://hooks.example.com/voice";
const BODY: &str = "CallSid=CA123&From=%2B14155550100";

fn mint(alg: Algorithm, kid: &str, claims: &Value) -> String {
    let key = match alg {
        Algorithm::RS256 => EncodingKey::from_rsa_der(include_bytes!("../data/bearer/rsa1.der")),
        Algorithm::ES256 => EncodingKey::from_ec_der(include_bytes!("../data/bearer/ec.der")),
        _ => EncodingKey::from_ed_der(include_bytes!("../data/bearer/ed.der")),
    };
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

fn claims(exp_from_now: i64, aud: &str, scope: &str) -> Value {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    json!({"iss": ISSUER, "aud": aud, "scope": scope, "sub": "s", "exp": now + exp_from_now})
}

#[tokio::test]
async fn the_token_never_reaches_the_log_the_answer_or_debug() {
    let logs = common::logs::capture(tracing::Level::TRACE);
    let jwks = Jwks::from_json(include_bytes!("../data/bearer/jwks.json")).unwrap();
    let verifier = JwtVerifier::with_jwks(jwks, ISSUER, AUDIENCE).required_scope("twilio");
    let layer = TwilioValidateLayer::new(TOKEN)
        .base_url(BASE)
        .bearer_auth(verifier.clone());
    let router = Router::new()
        .route("/voice", post(|| async { "ok" }))
        .layer(layer.clone());
    let tokens = [
        mint(Algorithm::RS256, "rsa1", &claims(600, AUDIENCE, "twilio")),
        mint(Algorithm::RS256, "rsa1", &claims(-3600, AUDIENCE, "twilio")),
        mint(Algorithm::EdDSA, "ed", &claims(600, "elsewhere", "twilio")),
        mint(Algorithm::ES256, "ec", &claims(600, AUDIENCE, "none")),
        mint(Algorithm::RS256, "rsa2", &claims(600, AUDIENCE, "twilio")),
        "not-a-jwt-but-a-b64token".to_owned(),
    ];
    let mut seen = String::new();
    for token in &tokens {
        for key in [TOKEN, "another token"] {
            let mut req = Request::post("/voice")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(BODY.to_owned())
                .unwrap();
            Signer::new(key, BASE).sign(&mut req);
            req.headers_mut()
                .insert("authorization", format!("Bearer {token}").parse().unwrap());
            let res = router
                .clone()
                .oneshot(req.map(axum::body::Body::from))
                .await
                .unwrap();
            seen.push_str(&format!("{:?} {:?}\n", res.headers(), res.extensions()));
            let body = res.into_body().collect().await.unwrap().to_bytes();
            seen.push_str(&String::from_utf8_lossy(&body));
        }
    }
    // A JWKS URL with a key in its query: not shown either.
    let client: Client<HttpConnector, String> = Client::builder(TokioExecutor::new()).build_http();
    let keyed = JwksFetcher::new(client, "http://idp.example.com/jwks?key=hunter2");
    seen.push_str(&format!(
        "{layer:?} {verifier:?} {:?}",
        JwtVerifier::with_fetcher(keyed, ISSUER, AUDIENCE)
    ));
    let log = logs.text();
    assert!(log.contains("rejected Twilio webhook"), "{log}");
    assert!(log.contains("auth_failure=\"expired\""), "{log}");
    assert!(seen.contains("idp.example.com/jwks"), "{seen}");
    for token in &tokens {
        for part in std::iter::once(token.as_str()).chain(token.split('.').skip(1)) {
            assert!(!log.contains(part), "{part} in {log}");
            assert!(!seen.contains(part), "{part} in {seen}");
        }
    }
    assert!(!seen.contains("hunter2"), "{seen}");
}
