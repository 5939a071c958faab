//! A webhook that requires both Twilio's OAuth 2.0 bearer token (a webhook
//! auth profile) and its signature, with the JWT access tokens of your own
//! IdP verified against its JWKS (the `jwt` feature).
//!
//! ```sh
//! IDP_ISSUER=https://idp.example.com/ IDP_JWKS_URL=http://127.0.0.1:8080/jwks.json \
//!   cargo run --example bearer --features jwt
//! ```
//!
//! Configuration: `TWILIO_AUTH_TOKEN` (a demo token is embedded otherwise),
//! `TWILIO_BASE_URL` (default `http://127.0.0.1:3003`), `IDP_ISSUER`,
//! `IDP_AUDIENCE` (default the base URL), `IDP_SCOPE` (default
//! `twilio.webhooks`), `IDP_JWKS_URL` (`http` here: use an HTTPS connector
//! for a real IdP), `BIND` (default `127.0.0.1:3003`). The README shows [`app`].

use std::net::SocketAddr;

use axum::routing::post;
use axum::{Extension, Router};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tower_twilio::bearer::jwt::{JwksFetcher, JwtVerifier};
use tower_twilio::bearer::BearerClaims;
use tower_twilio::twiml::voice::{Say, VoiceResponse};
use tower_twilio::twiml::Twiml;
use tower_twilio::{TwilioValidateLayer, ValidatedWebhook};

/// A token for the demo only; real deployments set `TWILIO_AUTH_TOKEN`.
pub const DEMO_AUTH_TOKEN: &str = "demo-auth-token-0123456789abcdef";

/// What the AuthProfile and your IdP say.
pub struct Idp<'a> {
    /// The tokens' `iss`.
    pub issuer: &'a str,
    /// The AuthProfile's `audience`: the tokens' `aud`.
    pub audience: &'a str,
    /// The AuthProfile's `scope`.
    pub scope: &'a str,
    /// The IdP's `jwks_uri`.
    pub jwks_url: &'a str,
}

async fn voice(claims: Extension<BearerClaims>, webhook: ValidatedWebhook) -> Twiml {
    tracing::info!(
        client = claims.client_id.as_deref(),
        call = webhook.get("CallSid"),
        "incoming call"
    );
    VoiceResponse::new()
        .say(Say::new("Authenticated and signed."))
        .into()
}

/// The app: the token, then the signature, then the handler.
pub fn app(auth_token: &str, base_url: &str, idp: &Idp<'_>) -> Router {
    // README: begin
    // The IdP's keys, fetched with your own HTTP client (hyper-util's here;
    // give it an HTTPS connector, such as hyper-rustls, for a real IdP).
    let client: Client<HttpConnector, String> = Client::builder(TokioExecutor::new()).build_http();
    let verifier = JwtVerifier::with_fetcher(
        JwksFetcher::new(client, idp.jwks_url),
        idp.issuer,   // the tokens' `iss`
        idp.audience, // the AuthProfile's `audience`
    )
    .required_scope(idp.scope); // the AuthProfile's `scope`

    Router::new().route("/voice", post(voice)).layer(
        TwilioValidateLayer::new(auth_token)
            .base_url(base_url)
            // Before the body is read; the signature is checked after it.
            .bearer_auth(verifier),
    )
    // README: end
}

#[tokio::main]
async fn main() {
    let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    let token = var("TWILIO_AUTH_TOKEN", DEMO_AUTH_TOKEN);
    let base_url = var("TWILIO_BASE_URL", "http://127.0.0.1:3003");
    let (issuer, scope) = (var("IDP_ISSUER", ""), var("IDP_SCOPE", "twilio.webhooks"));
    let (audience, jwks_url) = (var("IDP_AUDIENCE", &base_url), var("IDP_JWKS_URL", ""));
    if issuer.is_empty() || jwks_url.is_empty() {
        eprintln!("set IDP_ISSUER and IDP_JWKS_URL (see the example's docs)");
        std::process::exit(2);
    }
    let idp = Idp {
        issuer: &issuer,
        audience: &audience,
        scope: &scope,
        jwks_url: &jwks_url,
    };
    let bind: SocketAddr = var("BIND", "127.0.0.1:3003").parse().expect("BIND");
    let listener = tokio::net::TcpListener::bind(bind).await.expect("bind");
    println!("listening on {bind}, expecting tokens from {issuer} for {audience}");
    axum::serve(listener, app(&token, &base_url, &idp))
        .await
        .expect("serve");
}
