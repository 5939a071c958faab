//! The HTTP Basic / Digest stage of the layer: Twilio's 401-then-retry flow.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::routing::post;
use axum::Router;
use base64::Engine as _;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;
use tower_twilio::auth::{AuthFailure, Authenticated, HttpAuth};
use tower_twilio::{Rejection, Signer, TwilioValidateLayer};

use crate::common;

use common::digest;

const TOKEN: &str = "12345";
const BASE: &str = "https://hooks.example.com";
const BODY: &str = "CallSid=CA123&From=%2B14155550100";

fn router(layer: TwilioValidateLayer, calls: Arc<AtomicUsize>) -> Router {
    Router::new()
        .route(
            "/voice",
            post(move |user: axum::Extension<Authenticated>| {
                calls.fetch_add(1, Ordering::SeqCst);
                async move { user.0.user }
            }),
        )
        .layer(layer)
}

fn request(authorization: Option<&str>, sign: bool) -> Request<Body> {
    let mut req = Request::post("/voice")
        .header("host", "hooks.example.com")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(BODY.to_owned())
        .unwrap();
    if sign {
        Signer::new(TOKEN, BASE).sign(&mut req);
    }
    if let Some(value) = authorization {
        req.headers_mut()
            .insert("authorization", value.parse().unwrap());
    }
    req.map(Body::from)
}

struct Answer {
    status: StatusCode,
    challenges: Vec<String>,
    failure: Option<AuthFailure>,
    rejection: Option<Rejection>,
    body: String,
}

async fn send(router: Router, req: Request<Body>) -> Answer {
    let res = router.oneshot(req).await.unwrap();
    let challenges = res
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    Answer {
        status: res.status(),
        challenges,
        failure: res.extensions().get::<AuthFailure>().copied(),
        rejection: res.extensions().get::<Rejection>().copied(),
        body: String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec())
            .unwrap(),
    }
}

fn basic(user: &str, pass: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
    format!("Basic {encoded}")
}

fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

#[tokio::test]
async fn the_first_request_without_credentials_gets_401_with_every_challenge() {
    let calls = counter();
    let layer = TwilioValidateLayer::new(TOKEN).base_url(BASE).http_auth(
        HttpAuth::builder()
            .basic_auth("twilio", "pw")
            .digest_auth("twilio", "pw")
            .realm("My Realm")
            .build(),
    );
    let answer = send(router(layer, calls.clone()), request(None, true)).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.rejection, Some(Rejection::Unauthenticated));
    assert_eq!(answer.failure, Some(AuthFailure::MissingCredentials));
    assert_eq!(answer.challenges.len(), 3);
    assert!(answer.challenges[0].starts_with("Digest realm=\"My Realm\""));
    assert!(answer.challenges[0].contains("algorithm=SHA-256"));
    assert!(answer.challenges[1].contains("algorithm=MD5"));
    assert_eq!(
        answer.challenges[2],
        "Basic realm=\"My Realm\", charset=\"UTF-8\""
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn authentication_comes_before_the_signature_and_the_body() {
    // No signature and a body that errors: still a 401, not a 403 or a 400.
    let layer = TwilioValidateLayer::new(TOKEN)
        .base_url(BASE)
        .http_auth(HttpAuth::builder().basic_auth("twilio", "pw").build());
    let req = Request::post("/voice")
        .header("host", "hooks.example.com")
        .body(Body::from_stream(futures_util::stream::once(async {
            Err::<axum::body::Bytes, _>(std::io::Error::other("never read"))
        })))
        .unwrap();
    let answer = send(router(layer, counter()), req).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn basic_credentials_then_the_signature() {
    let layer = || {
        TwilioValidateLayer::new(TOKEN)
            .base_url(BASE)
            .http_auth(HttpAuth::builder().basic_auth("twilio", "pw").build())
    };
    let calls = counter();

    let ok = send(
        router(layer(), calls.clone()),
        request(Some(&basic("twilio", "pw")), true),
    )
    .await;
    assert_eq!((ok.status, ok.body.as_str()), (StatusCode::OK, "twilio"));

    let wrong = send(
        router(layer(), calls.clone()),
        request(Some(&basic("twilio", "nope")), true),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.failure, Some(AuthFailure::WrongCredentials));
    assert!(!wrong.body.contains("pw"));

    let forged = send(
        router(layer(), calls.clone()),
        request(Some(&basic("twilio", "pw")), false),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(forged.rejection, Some(Rejection::MissingSignature));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn malformed_or_repeated_authorization_is_401_never_500() {
    let layer = TwilioValidateLayer::new(TOKEN)
        .base_url(BASE)
        .http_auth(HttpAuth::builder().basic_auth("twilio", "pw").build());
    for value in [
        "Basic !!!",
        "Basic",
        "Digest",
        "Bearer x",
        "Digest username=\"a",
        "Basic dHdpbGlv",
    ] {
        let answer = send(router(layer.clone(), counter()), request(Some(value), true)).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{value}");
    }
    let mut req = request(Some(&basic("twilio", "pw")), true);
    req.headers_mut()
        .append("authorization", basic("twilio", "pw").parse().unwrap());
    let answer = send(router(layer, counter()), req).await;
    assert_eq!(answer.failure, Some(AuthFailure::MalformedAuthorization));
}

#[tokio::test]
async fn digest_flow_401_then_retry_then_rising_nc() {
    let layer = TwilioValidateLayer::new(TOKEN)
        .base_url(BASE)
        .http_auth(HttpAuth::builder().digest_auth("twilio", "pw").build());
    let app = router(layer, counter());

    let first = send(app.clone(), request(None, true)).await;
    assert_eq!(first.status, StatusCode::UNAUTHORIZED);
    for challenge in &first.challenges {
        // curl takes the first (SHA-256), python-requests the last (MD5).
        for nc in 1..=3 {
            let auth = digest::authorization(challenge, "twilio", "pw", "/voice", nc);
            let answer = send(app.clone(), request(Some(&auth), true)).await;
            assert_eq!(
                answer.status,
                StatusCode::OK,
                "{challenge} nc={nc}: {}",
                answer.body
            );
        }
    }
}

#[tokio::test]
async fn digest_wrong_password_is_401_and_bad_signature_is_403() {
    let layer = TwilioValidateLayer::new(TOKEN)
        .base_url(BASE)
        .http_auth(HttpAuth::builder().digest_auth("twilio", "pw").build());
    let app = router(layer, counter());
    let challenge = send(app.clone(), request(None, true)).await.challenges[0].clone();

    let wrong = digest::authorization(&challenge, "twilio", "nope", "/voice", 1);
    let answer = send(app.clone(), request(Some(&wrong), true)).await;
    assert_eq!(
        (answer.status, answer.failure),
        (
            StatusCode::UNAUTHORIZED,
            Some(AuthFailure::WrongCredentials)
        )
    );

    let right = digest::authorization(&challenge, "twilio", "pw", "/voice", 1);
    let answer = send(app, request(Some(&right), false)).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_replayed_nonce_count_is_401() {
    let layer = TwilioValidateLayer::new(TOKEN)
        .base_url(BASE)
        .http_auth(HttpAuth::builder().digest_auth("twilio", "pw").build());
    let app = router(layer, counter());
    let challenge = send(app.clone(), request(None, true)).await.challenges[0].clone();
    let auth = digest::authorization(&challenge, "twilio", "pw", "/voice", 5);
    assert_eq!(
        send(app.clone(), request(Some(&auth), true)).await.status,
        StatusCode::OK
    );
    let replay = send(app.clone(), request(Some(&auth), true)).await;
    assert_eq!(
        (replay.status, replay.failure),
        (
            StatusCode::UNAUTHORIZED,
            Some(AuthFailure::ReplayedNonceCount)
        )
    );
    let lower = digest::authorization(&challenge, "twilio", "pw", "/voice", 4);
    assert_eq!(
        send(app, request(Some(&lower), true)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_stale_nonce_gets_stale_true_and_the_retry_succeeds() {
    let auth = HttpAuth::builder()
        .digest_auth("twilio", "pw")
        .nonce_lifetime(Duration::from_secs(60))
        .build();
    // A nonce this server issued two minutes ago.
    let old = SystemTime::now() - Duration::from_secs(120);
    let old_challenge = auth
        .check("POST", "/voice", None, old)
        .unwrap_err()
        .www_authenticate()[0]
        .clone();

    let layer = TwilioValidateLayer::new(TOKEN)
        .base_url(BASE)
        .http_auth(auth);
    let app = router(layer, counter());
    let stale = send(
        app.clone(),
        request(
            Some(&digest::authorization(
                &old_challenge,
                "twilio",
                "pw",
                "/voice",
                1,
            )),
            true,
        ),
    )
    .await;
    assert_eq!(
        (stale.status, stale.failure),
        (StatusCode::UNAUTHORIZED, Some(AuthFailure::StaleNonce))
    );
    assert!(stale.challenges[0].contains("stale=true"));

    let fresh = digest::authorization(&stale.challenges[0], "twilio", "pw", "/voice", 1);
    assert_eq!(
        send(app, request(Some(&fresh), true)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_digest_uri_must_be_the_request_target() {
    let layer = TwilioValidateLayer::new(TOKEN)
        .base_url(BASE)
        .http_auth(HttpAuth::builder().digest_auth("twilio", "pw").build());
    let app = router(layer, counter());
    let challenge = send(app.clone(), request(None, true)).await.challenges[0].clone();
    let other = digest::authorization(&challenge, "twilio", "pw", "/other", 1);
    let answer = send(app, request(Some(&other), true)).await;
    assert_eq!(
        (answer.status, answer.failure),
        (StatusCode::UNAUTHORIZED, Some(AuthFailure::UriMismatch))
    );
}

/// Digest over HTTP/2, through `axum::serve` on 127.0.0.1 and a client that
/// speaks HTTP/2 from the start (h2c with prior knowledge). There the
/// request URI is absolute (`http://host/voice`), built from `:scheme`,
/// `:authority` and `:path`, while clients put `:path` in the Digest `uri`.
#[cfg(feature = "http2")]
mod http2 {
    use std::net::SocketAddr;

    use axum::body::Bytes;
    use http::Version;
    use http_body_util::Full;
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use tokio::net::TcpStream;

    use super::*;

    async fn serve(layer: TwilioValidateLayer, calls: Arc<AtomicUsize>) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = router(layer, calls);
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        addr
    }

    /// A signed form POST to `target` over a new HTTP/2 connection: the status
    /// and the `WWW-Authenticate` challenges.
    async fn post(
        addr: SocketAddr,
        target: &str,
        authorization: Option<&str>,
    ) -> (StatusCode, Vec<String>) {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut sender, connection) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
                .await
                .unwrap();
        tokio::spawn(connection);
        let mut req = Request::post(format!("http://{addr}{target}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(BODY.to_owned())
            .unwrap();
        Signer::new(TOKEN, BASE).sign(&mut req);
        if let Some(value) = authorization {
            req.headers_mut()
                .insert("authorization", value.parse().unwrap());
        }
        let res = sender
            .send_request(req.map(|b| Full::new(Bytes::from(b))))
            .await
            .unwrap();
        assert_eq!(res.version(), Version::HTTP_2);
        let challenges = res
            .headers()
            .get_all("www-authenticate")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        (res.status(), challenges)
    }

    fn layer() -> TwilioValidateLayer {
        TwilioValidateLayer::new(TOKEN)
            .base_url(BASE)
            .http_auth(HttpAuth::builder().digest_auth("twilio", "pw").build())
    }

    #[tokio::test]
    async fn digest_over_http2_compares_the_uri_with_the_path_and_query() {
        let calls = counter();
        let addr = serve(layer(), calls.clone()).await;
        for target in ["/voice", "/voice?Digits=1234&x=%20"] {
            let (status, challenges) = post(addr, target, None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
            for challenge in &challenges[..2] {
                let auth = digest::authorization(challenge, "twilio", "pw", target, 1);
                let (status, _) = post(addr, target, Some(&auth)).await;
                assert_eq!(status, StatusCode::OK, "{target} {challenge}");
            }
        }
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn digest_over_http2_still_refuses_another_uri() {
        let calls = counter();
        let addr = serve(layer(), calls.clone()).await;
        let (_, challenges) = post(addr, "/voice", None).await;
        let absolute = format!("http://{addr}/voice");
        for uri in ["/other", "/voice?x=1", absolute.as_str()] {
            let auth = digest::authorization(&challenges[0], "twilio", "pw", uri, 1);
            let (status, _) = post(addr, "/voice", Some(&auth)).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{uri}");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }
}

/// The log, at `level`, of refusing `req` on a route with Basic auth.
fn log_at(level: tracing::Level, req: Request<Body>) -> String {
    let logs = common::logs::capture(level);
    let layer = TwilioValidateLayer::new(TOKEN)
        .base_url(BASE)
        .http_auth(HttpAuth::builder().basic_auth("twilio", "pw").build());
    let answer = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(send(router(layer, counter()), req));
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    logs.text()
}

#[test]
fn the_first_try_without_credentials_is_logged_at_debug_not_info() {
    // Twilio's first request of every call to a URL with credentials.
    assert_eq!(log_at(tracing::Level::INFO, request(None, true)), "");
    let debug = log_at(tracing::Level::DEBUG, request(None, true));
    assert!(
        debug.contains("DEBUG") && debug.contains("auth_failure=\"missing_credentials\""),
        "{debug}"
    );
}

#[test]
fn a_wrong_credential_is_logged_at_info() {
    let info = log_at(
        tracing::Level::INFO,
        request(Some(&basic("twilio", "nope")), true),
    );
    assert!(
        info.contains("INFO") && info.contains("auth_failure=\"wrong_credentials\""),
        "{info}"
    );
}

/// The README's per-route HTTP auth: the voice routes ask for Basic
/// credentials, the messaging routes only for the signature.
fn per_route_app(token: &str, password: &str) -> Router {
    let voice_routes = Router::new().route("/voice", post(|| async { "voice" }));
    let sms_routes = Router::new().route("/sms", post(|| async { "sms" }));
    // README: begin
    let voice = voice_routes.layer(
        TwilioValidateLayer::new(token)
            .base_url("https://hooks.example.com")
            .http_auth(HttpAuth::builder().basic_auth("twilio", password).build()),
    );
    let sms =
        sms_routes.layer(TwilioValidateLayer::new(token).base_url("https://hooks.example.com"));
    Router::new().merge(voice).merge(sms)
    // README: end
}

/// A signed POST to `path`, with `authorization` if given.
fn signed_to(path: &str, authorization: Option<&str>) -> Request<Body> {
    let mut req = Request::post(path)
        .header("host", "hooks.example.com")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(BODY.to_owned())
        .unwrap();
    Signer::new(TOKEN, BASE).sign(&mut req);
    if let Some(value) = authorization {
        req.headers_mut()
            .insert("authorization", value.parse().unwrap());
    }
    req.map(Body::from)
}

#[tokio::test]
async fn per_route_auth_asks_credentials_on_its_sub_router_only() {
    let app = per_route_app(TOKEN, "pw");
    let voice = send(app.clone(), signed_to("/voice", None)).await;
    assert_eq!(voice.status, StatusCode::UNAUTHORIZED);
    let voice = send(
        app.clone(),
        signed_to("/voice", Some(&basic("twilio", "pw"))),
    )
    .await;
    assert_eq!(
        (voice.status, voice.body.as_str()),
        (StatusCode::OK, "voice")
    );
    let sms = send(app.clone(), signed_to("/sms", None)).await;
    assert_eq!((sms.status, sms.body.as_str()), (StatusCode::OK, "sms"));
    // Each sub-router still checks the signature.
    let mut forged = signed_to("/sms", None);
    forged.headers_mut().remove("x-twilio-signature");
    assert_eq!(send(app, forged).await.status, StatusCode::FORBIDDEN);
}

#[test]
fn the_readme_shows_the_per_route_auth_as_tested() {
    common::assert_readme_shows(include_str!("auth.rs"));
}

// --- Digest nonce counts shared by instances ---------------------------------

/// Loopback instances of one app whose Digest nonce counts go to one store.
mod shared_counts {
    use std::net::SocketAddr;

    use bytes::Bytes;
    use http_body_util::Full;
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpStream;
    use tower_twilio::replay::{MemoryStore, ReplayKey, ReplayStore, StoreError, StoreFuture};

    use super::*;

    const NONCE_SECRET: &str = "one nonce secret for every instance";

    /// An instance: its own layer and `HttpAuth`, the shared `store`.
    pub(super) async fn instance(store: impl ReplayStore, calls: Arc<AtomicUsize>) -> SocketAddr {
        let auth = HttpAuth::builder()
            .digest_auth("twilio", "pw")
            .nonce_secret(NONCE_SECRET)
            .nonce_count_store(store)
            .build();
        let layer = TwilioValidateLayer::new(TOKEN)
            .base_url(BASE)
            .http_auth(auth);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = router(layer, calls);
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        addr
    }

    /// A signed webhook over loopback: the status and the challenges.
    pub(super) async fn post(
        addr: SocketAddr,
        authorization: Option<&str>,
    ) -> (StatusCode, Vec<String>) {
        let mut req = Request::post(format!("http://{addr}/voice"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(BODY.to_owned())
            .unwrap();
        Signer::new(TOKEN, BASE).sign(&mut req);
        if let Some(value) = authorization {
            req.headers_mut()
                .insert("authorization", value.parse().unwrap());
        }
        let client = Client::builder(TokioExecutor::new()).build_http();
        let res = client
            .request(req.map(|b| Full::new(Bytes::from(b))))
            .await
            .unwrap();
        let challenges = res
            .headers()
            .get_all("www-authenticate")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        (res.status(), challenges)
    }

    /// Two instances sharing `store`: a Digest `Authorization` accepted by
    /// the first is refused by the second, which takes the next count.
    pub(super) async fn a_count_is_accepted_once_across(store: impl ReplayStore + Clone) {
        let calls = counter();
        let a = instance(store.clone(), calls.clone()).await;
        let b = instance(store, calls.clone()).await;
        let (_, challenges) = post(a, None).await;
        let captured = digest::authorization(&challenges[0], "twilio", "pw", "/voice", 1);
        assert_eq!(post(a, Some(&captured)).await.0, StatusCode::OK);

        let (status, challenges) = post(b, Some(&captured)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        // As the instance's own cache answers: take a fresh nonce.
        assert!(challenges[0].contains("stale=true"), "{challenges:?}");
        // And back on the first instance, too.
        assert_eq!(post(a, Some(&captured)).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        // The client's next count is new everywhere.
        let next = digest::authorization(&challenges_of(a).await, "twilio", "pw", "/voice", 2);
        assert_eq!(post(b, Some(&next)).await.0, StatusCode::OK);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    async fn challenges_of(addr: SocketAddr) -> String {
        post(addr, None).await.1[0].clone()
    }

    #[tokio::test]
    async fn a_digest_count_replayed_to_another_instance_sharing_a_memory_store_is_refused() {
        a_count_is_accepted_once_across(MemoryStore::new()).await;
    }

    /// A nonce count is claimed and never answered, so a `MemoryStore`
    /// counts it "in progress" until something drops it; the in-progress
    /// bound (half the store per account) is checked before the account's
    /// expired entries are dropped, and nothing else drops them while the
    /// store is not full. So once half the store's worth of counts has been
    /// claimed, every later Digest request is `503` for good, long after
    /// those counts expired. With the defaults, 50,000 genuine webhooks.
    #[tokio::test]
    async fn nonce_counts_that_expired_do_not_keep_later_requests_out_of_a_memory_store() {
        let calls = counter();
        let auth = HttpAuth::builder()
            .digest_auth("twilio", "pw")
            .nonce_secret(NONCE_SECRET)
            .nonce_lifetime(Duration::from_secs(60))
            .nonce_count_store(MemoryStore::new().max_entries(4))
            .build();
        let layer = TwilioValidateLayer::new(TOKEN)
            .base_url(BASE)
            .http_auth(auth);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = router(layer, calls.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

        let challenge = challenges_of(addr).await;
        for nc in 1..=2 {
            let value = digest::authorization(&challenge, "twilio", "pw", "/voice", nc);
            assert_eq!(post(addr, Some(&value)).await.0, StatusCode::OK, "nc {nc}");
        }
        // Those counts are long gone: a count is kept for the rest of the
        // nonce's lifetime (60 s) and the clock skew allowed (300 s); the
        // store's clock is Tokio's, moved on here.
        tokio::time::pause();
        tokio::time::advance(Duration::from_secs(600)).await;
        tokio::time::resume();
        let fresh = challenges_of(addr).await;
        let value = digest::authorization(&fresh, "twilio", "pw", "/voice", 1);
        assert_eq!(post(addr, Some(&value)).await.0, StatusCode::OK);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_replayed_count_is_401_before_the_body_is_sent() {
        let calls = counter();
        let addr = instance(MemoryStore::new(), calls.clone()).await;
        let (_, challenges) = post(addr, None).await;
        let captured = digest::authorization(&challenges[0], "twilio", "pw", "/voice", 1);
        assert_eq!(post(addr, Some(&captured)).await.0, StatusCode::OK);

        // The replay's head, and no body: the answer must not wait for it.
        let mut req = Request::post("/voice")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(BODY.to_owned())
            .unwrap();
        Signer::new(TOKEN, BASE).sign(&mut req);
        let head = format!(
            "POST /voice HTTP/1.1\r\nhost: hooks.example.com\r\n\
             content-type: application/x-www-form-urlencoded\r\n\
             x-twilio-signature: {}\r\nauthorization: {captured}\r\n\
             content-length: {}\r\n\r\n",
            req.headers()["x-twilio-signature"].to_str().unwrap(),
            BODY.len()
        );
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        let wire = tokio::time::timeout(
            Duration::from_secs(5),
            common::read_response(&mut stream, true),
        )
        .await
        .expect("no answer before the body")
        .expect("a response");
        assert_eq!(wire.status, 401, "{}", wire.body);
        assert!(wire.body.contains("replayed_nonce_count") || wire.body.contains("nonce count"));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    /// A store that fails every call, or never answers.
    #[derive(Clone)]
    struct Broken {
        hangs: bool,
    }

    impl ReplayStore for Broken {
        fn claim(&self, _: ReplayKey, _: Bytes, _: Duration) -> StoreFuture<Option<Bytes>> {
            if self.hangs {
                Box::pin(std::future::pending())
            } else {
                Box::pin(async { Err(StoreError::new("connection refused")) })
            }
        }

        fn complete(&self, _: ReplayKey, _: Bytes, _: Bytes, _: Duration) -> StoreFuture<()> {
            Box::pin(async { Ok(()) })
        }

        fn release(&self, _: ReplayKey, _: Bytes) -> StoreFuture<()> {
            Box::pin(async { Ok(()) })
        }
    }

    async fn right_credentials_with(store: Broken, timeout: Duration) -> Answer {
        let auth = HttpAuth::builder()
            .digest_auth("twilio", "pw")
            .nonce_count_store(store)
            .nonce_count_store_timeout(timeout)
            .build();
        let layer = TwilioValidateLayer::new(TOKEN)
            .base_url(BASE)
            .http_auth(auth);
        let calls = counter();
        let app = router(layer, calls.clone());
        let challenge = send(app.clone(), request(None, true)).await.challenges[0].clone();
        let auth = digest::authorization(&challenge, "twilio", "pw", "/voice", 1);
        let (parts, _) = request(Some(&auth), true).into_parts();
        // The body is not read either.
        let answer = send(
            app,
            Request::from_parts(parts, Body::new(common::PanickingBody)),
        )
        .await;
        assert_eq!(calls.load(Ordering::SeqCst), 0);
        answer
    }

    #[tokio::test]
    async fn a_store_that_fails_gets_right_credentials_503_not_through() {
        let answer = right_credentials_with(Broken { hangs: false }, Duration::from_secs(1)).await;
        assert_eq!(
            answer.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{}",
            answer.body
        );
        assert_eq!(answer.rejection, Some(Rejection::AuthUnavailable));
        assert!(answer.challenges.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_store_that_does_not_answer_gets_503_after_its_timeout() {
        let started = tokio::time::Instant::now();
        let answer =
            right_credentials_with(Broken { hangs: true }, Duration::from_millis(300)).await;
        assert_eq!(started.elapsed(), Duration::from_millis(300));
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(answer.rejection, Some(Rejection::AuthUnavailable));
    }
}

/// The same, with a real `redis-server` on loopback that the test starts on
/// a port of its own and stops; without one on the `PATH` the test says it
/// was skipped, and under `CI=true` it fails instead.
#[cfg(feature = "redis")]
mod redis {
    use crate::common::redis::Server;

    #[tokio::test]
    async fn a_digest_count_replayed_to_another_instance_sharing_redis_is_refused() {
        let Some(server) = Server::start("redis: a Digest count across instances").await else {
            return;
        };
        let store = server.store().await;
        super::shared_counts::a_count_is_accepted_once_across(store).await;
    }
}
