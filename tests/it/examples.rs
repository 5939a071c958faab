//! Every example, driven the way its user would drive it: the routers through
//! `oneshot` with requests signed as Twilio signs them, the WebSocket example
//! over real loopback TCP, the `sign` tool's output against the `server`
//! example.

#[allow(dead_code)]
#[path = "../../examples/behind_proxy.rs"]
mod behind_proxy;
#[allow(dead_code)]
#[path = "../../examples/media_stream.rs"]
mod media_stream;
#[allow(dead_code)]
#[path = "../../examples/multi_tenant.rs"]
mod multi_tenant;
#[allow(dead_code)]
#[path = "../../examples/quickstart.rs"]
mod quickstart;
#[allow(dead_code)]
#[path = "../../examples/server.rs"]
mod server;
#[allow(dead_code)]
#[path = "../../examples/sign.rs"]
mod sign;
#[allow(dead_code)]
#[path = "../../examples/stack.rs"]
mod stack;

use crate::common;

use axum::body::Body;
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};
use tower::ServiceExt;
use tower_twilio::{
    compute_signature, Algorithm, Rejection, RequestValidator, Signer, TwilioValidateLayer,
};

const FORM: &str = "application/x-www-form-urlencoded";

/// Sends `req` to `app`: the status, the rejection if refused, the body.
async fn send(app: Router, req: Request<Body>) -> (StatusCode, Option<Rejection>, String) {
    let res = app.oneshot(req).await.unwrap();
    let status = res.status();
    let rejection = res.extensions().get::<Rejection>().copied();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, rejection, String::from_utf8(body.to_vec()).unwrap())
}

fn form_post(uri: &str, body: &str) -> Request<String> {
    Request::post(uri)
        .header("content-type", FORM)
        .body(body.to_owned())
        .unwrap()
}

fn signed(token: &str, base_url: &str, mut req: Request<String>) -> Request<Body> {
    Signer::new(token, base_url).sign(&mut req);
    req.map(Body::from)
}

fn args(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

// ---------------------------------------------------------------- sign

/// `U` and `P` of the known-answer vectors (token 12345).
const U: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
const P: [&str; 5] = [
    "CallSid=CA1234567890ABCDE",
    "Caller=+14158675309",
    "Digits=1234",
    "From=+14158675309",
    "To=+18005551212",
];

fn sign_args(prefix: &[&str], url: &str, params: &[&str]) -> Vec<String> {
    let mut words = prefix.to_vec();
    words.push(url);
    words.extend_from_slice(params);
    args(&words)
}

#[test]
fn sign_reproduces_the_form_vector() {
    let options = sign::parse_args(&sign_args(&["--token", "12345"], U, &P), None).unwrap();
    let signed = sign::sign(&options);
    assert_eq!(signed.signature, "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
    assert_eq!(signed.url, U);
    assert_eq!(signed.settings, None);
}

#[test]
fn sign_adds_body_sha256_to_the_url_for_json() {
    let json = r#"{"property": "value", "boolean": true}"#;
    let options = sign::parse_args(
        &sign_args(&["--token", "12345", "--json", json], U, &[]),
        None,
    )
    .unwrap();
    let signed = sign::sign(&options);
    assert_eq!(signed.signature, "a9nBmqA0ju/hNViExpshrM61xv4=");
    assert_eq!(
        signed.url,
        format!("{U}&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620")
    );
}

#[test]
fn sign_with_a_shared_key_uses_hmac_sha256_and_names_the_key() {
    let prefix = ["--shared-key", "webhooks_sharedkey_1:sk_test_shared_secret"];
    let options = sign::parse_args(&sign_args(&prefix, U, &P), None).unwrap();
    let signed = sign::sign(&options);
    assert_eq!(
        signed.signature,
        "5XEMldaT6NGZTJiYStEaqwsi2CGHd2pfREC3/1RiC/Y="
    );
    assert_eq!(
        signed.settings.as_deref(),
        Some("key=webhooks_sharedkey_1,algorithm=HMAC_SHA256")
    );
}

#[test]
fn sign_signs_a_websocket_url_without_a_curl_command() {
    let options = sign::parse_args(
        &args(&["--token", "12345", "wss://mycompany.com/media-stream"]),
        None,
    )
    .unwrap();
    let signed = sign::sign(&options);
    assert_eq!(signed.signature, "N2Y//FHA042H22oVtTOPT1X3yoU=");
    assert_eq!(signed.curl, None);
}

#[test]
fn sign_takes_the_token_from_the_flag_then_the_environment_then_the_demo() {
    let url = "https://example.com/test";
    let flag = sign::parse_args(&args(&["--token", "a", url]), Some("b".into())).unwrap();
    let env = sign::parse_args(&args(&[url]), Some("b".into())).unwrap();
    let demo = sign::parse_args(&args(&[url]), None).unwrap();
    assert_eq!(
        (flag.token.as_str(), env.token.as_str(), demo.token.as_str()),
        ("a", "b", server::DEMO_AUTH_TOKEN)
    );
    let vector = sign::parse_args(&args(&["--token", "qwerty", url, "foo=bar"]), None).unwrap();
    assert_eq!(
        sign::sign(&vector).signature,
        "TR9Skm9jiF4WVRJznU5glK5I83k="
    );
}

#[test]
fn sign_without_arguments_signs_a_demo_call_for_the_server_example() {
    let options = sign::parse_args(&[], None).unwrap();
    assert_eq!(options.url, "http://127.0.0.1:3000/voice");
    assert_eq!(options.token, server::DEMO_AUTH_TOKEN);
    assert_eq!(sign::DEMO_AUTH_TOKEN, server::DEMO_AUTH_TOKEN);
}

#[test]
fn sign_refuses_arguments_it_cannot_sign() {
    for words in [
        &["hooks.example.com/voice"][..],
        &["https://hooks.example.com/voice", "novalue"],
        &["https://hooks.example.com/voice", "=value"],
        &["--json", "{}", "https://hooks.example.com/voice", "a=b"],
        &["--json", "{not json", "https://hooks.example.com/voice"],
        &[
            "--shared-key",
            "no-secret",
            "https://hooks.example.com/voice",
        ],
        &["--token"],
        &["--unknown", "https://hooks.example.com/voice"],
    ] {
        assert!(
            sign::parse_args(&args(words), None).is_err(),
            "{words:?} was accepted"
        );
    }
}

/// Splits a command printed by `sign` as a POSIX shell would: words in
/// single quotes (with `'\''` for a quote), bare words, `\` + newline.
fn shell_words(command: &str) -> Vec<String> {
    let command = command.replace("\\\n", " ");
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    w.push(q);
                }
            }
            '\\' => word
                .get_or_insert_with(String::new)
                .push(chars.next().unwrap()),
            c if c.is_whitespace() => words.extend(word.take()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

/// What curl does with `--data-urlencode name=content`: the content is
/// percent-encoded except for unreserved characters, the name kept.
fn curl_urlencode(arg: &str) -> String {
    let (name, content) = arg.split_once('=').unwrap();
    let mut out = format!("{name}=");
    for b in content.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The request curl would send for a command printed by `sign`.
fn request_from_curl(command: &str) -> Request<Body> {
    let words = shell_words(command);
    assert_eq!(words[0], "curl");
    let mut url = None;
    let mut headers = Vec::new();
    let mut data: Vec<String> = Vec::new();
    let mut words = words[1..].iter();
    while let Some(word) = words.next() {
        match word.as_str() {
            "-i" => {}
            "-H" => {
                let (name, value) = words.next().unwrap().split_once(": ").unwrap();
                headers.push((name.to_owned(), value.to_owned()));
            }
            "--data-urlencode" => data.push(curl_urlencode(words.next().unwrap())),
            "--data-binary" => data.push(words.next().unwrap().clone()),
            other if !other.starts_with('-') => url = Some(other.to_owned()),
            other => panic!("unexpected curl option {other}"),
        }
    }
    let uri: http::Uri = url.unwrap().parse().unwrap();
    let method = if data.is_empty() { "GET" } else { "POST" };
    let mut req = Request::builder()
        .method(method)
        .uri(uri.path_and_query().unwrap().as_str())
        .header("host", uri.authority().unwrap().as_str());
    if !data.is_empty()
        && !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
    {
        req = req.header("content-type", FORM);
    }
    for (name, value) in headers {
        req = req.header(name, value);
    }
    req.body(Body::from(data.join("&"))).unwrap()
}

fn server_app(base_url: &str) -> Router {
    server::app(TwilioValidateLayer::new(server::DEMO_AUTH_TOKEN).base_url(base_url))
}

#[tokio::test]
async fn sign_curl_command_is_accepted_by_the_server_example() {
    let options = sign::parse_args(
        &args(&[
            "http://127.0.0.1:3000/sms",
            "From=+14158675309",
            "Body=It's café & crème, 100% +1",
            "MediaUrl0=https://api.twilio.com/x?a=1&b=2",
        ]),
        None,
    )
    .unwrap();
    let curl = sign::sign(&options).curl.unwrap();
    let (status, _, body) = send(
        server_app("http://127.0.0.1:3000"),
        request_from_curl(&curl),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("<Message>"), "{body}");
}

#[tokio::test]
async fn sign_curl_command_with_a_changed_field_is_refused_by_the_server_example() {
    let options =
        sign::parse_args(&args(&["http://127.0.0.1:3000/sms", "Body=hello"]), None).unwrap();
    let curl = sign::sign(&options).curl.unwrap().replace("hello", "hellO");
    let (status, rejection, _) = send(
        server_app("http://127.0.0.1:3000"),
        request_from_curl(&curl),
    )
    .await;
    assert_eq!(
        (status, rejection),
        (StatusCode::FORBIDDEN, Some(Rejection::BadSignature))
    );
}

#[tokio::test]
async fn sign_json_curl_command_is_accepted_by_the_server_example() {
    let options = sign::parse_args(
        &args(&[
            "--json",
            r#"{"event":"com.twilio.messaging.inbound-message.received","it's":"quoted"}"#,
            "http://127.0.0.1:3000/events",
        ]),
        None,
    )
    .unwrap();
    let curl = sign::sign(&options).curl.unwrap();
    let (status, _, body) = send(
        server_app("http://127.0.0.1:3000"),
        request_from_curl(&curl),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
}

#[tokio::test]
async fn sign_shared_key_curl_command_is_accepted_by_a_layer_with_that_key() {
    let options = sign::parse_args(
        &args(&[
            "--shared-key",
            "webhooks_sharedkey_1:s3cret",
            "http://127.0.0.1:3000/voice",
            "CallSid=CA1",
        ]),
        None,
    )
    .unwrap();
    let curl = sign::sign(&options).curl.unwrap();
    let layer = TwilioValidateLayer::with_validator(
        RequestValidator::new(server::DEMO_AUTH_TOKEN).shared_key("webhooks_sharedkey_1", "s3cret"),
    )
    .base_url("http://127.0.0.1:3000");
    let (status, _, body) = send(server::app(layer), request_from_curl(&curl)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn sign_send_to_reaches_a_local_server_configured_with_the_tunnel_url() {
    let options = sign::parse_args(
        &args(&[
            "--send-to",
            "http://127.0.0.1:3000/",
            "https://abc.ngrok.app/voice?x=1",
            "CallSid=CA1",
        ]),
        None,
    )
    .unwrap();
    let signed = sign::sign(&options);
    assert_eq!(signed.target, "http://127.0.0.1:3000/voice?x=1");
    let req = request_from_curl(&signed.curl.unwrap());
    assert_eq!(req.headers()["host"], "127.0.0.1:3000");
    let (status, _, body) = send(server_app("https://abc.ngrok.app"), req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// The printed command, run by the real curl against the server example on
/// loopback. Skipped (with a note) where curl is not installed.
#[tokio::test]
async fn sign_curl_command_runs_with_real_curl_against_the_server_example() {
    let Ok(version) = std::process::Command::new("curl").arg("--version").output() else {
        eprintln!("curl is not installed: skipping");
        return;
    };
    assert!(version.status.success());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base_url = format!("http://{addr}");
    let app = server_app(&base_url);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let mut codes = Vec::new();
    for words in [
        vec![
            format!("{base_url}/sms"),
            "From=+14158675309".into(),
            "Body=It's café & crème, 100% +1 \"quoted\"".into(),
        ],
        vec![
            "--json".into(),
            r#"{"it's":"json"}"#.into(),
            format!("{base_url}/events"),
        ],
    ] {
        let curl = sign::sign(&sign::parse_args(&words, None).unwrap())
            .curl
            .unwrap();
        // `-q` (first) skips ~/.curlrc; `--noproxy` keeps loopback direct.
        let curl = curl.replacen("curl ", "curl -q --noproxy '*' ", 1);
        let script = format!("{curl} -s -o /dev/null -w '%{{http_code}}'");
        let run = script.clone();
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new("sh").arg("-c").arg(run).output()
        })
        .await
        .unwrap()
        .unwrap();
        assert!(out.status.success(), "{script}: {out:?}");
        codes.push(String::from_utf8(out.stdout).unwrap());
    }
    assert_eq!(codes, ["200", "204"]);
}

// ---------------------------------------------------------------- behind_proxy

const PROXY_TOKEN: &str = behind_proxy::DEMO_AUTH_TOKEN;
const CALL: &str = "CallSid=CA1234567890ABCDE&From=%2B14158675309&To=%2B18005551212";

/// What the proxy forwards: the prefix stripped, the internal host.
fn forwarded_call(signed_for: &str) -> Request<Body> {
    let mut req = form_post("/voice", CALL);
    req.headers_mut()
        .insert("host", "127.0.0.1:3001".parse().unwrap());
    signed(PROXY_TOKEN, signed_for, req)
}

fn with_proxy_headers(mut req: Request<Body>, host: &str) -> Request<Body> {
    let headers = req.headers_mut();
    headers.insert("x-forwarded-proto", "https".parse().unwrap());
    headers.insert("x-forwarded-host", host.parse().unwrap());
    headers.insert("x-forwarded-prefix", "/twilio".parse().unwrap());
    req
}

fn configured_proxy_app() -> Router {
    behind_proxy::app(behind_proxy::configured_layer(
        PROXY_TOKEN,
        behind_proxy::PUBLIC_URL,
    ))
}

#[tokio::test]
async fn behind_proxy_accepts_a_call_signed_for_the_public_url() {
    let (status, _, body) = send(
        configured_proxy_app(),
        forwarded_call(behind_proxy::PUBLIC_URL),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<Say>"), "{body}");
}

#[tokio::test]
async fn behind_proxy_refuses_a_call_signed_for_the_internal_url() {
    let (status, rejection, _) = send(
        configured_proxy_app(),
        forwarded_call("http://127.0.0.1:3001"),
    )
    .await;
    assert_eq!(
        (status, rejection),
        (StatusCode::FORBIDDEN, Some(Rejection::BadSignature))
    );
}

#[tokio::test]
async fn behind_proxy_configured_url_ignores_forwarded_headers() {
    let req = with_proxy_headers(
        forwarded_call("https://evil.example/twilio"),
        "evil.example",
    );
    let (status, rejection, _) = send(configured_proxy_app(), req).await;
    assert_eq!(
        (status, rejection),
        (StatusCode::FORBIDDEN, Some(Rejection::BadSignature))
    );
}

#[tokio::test]
async fn behind_proxy_forwarded_mode_rebuilds_the_url_from_the_proxy_headers() {
    let app = || behind_proxy::app(behind_proxy::forwarded_layer(PROXY_TOKEN));
    let req = with_proxy_headers(
        forwarded_call(behind_proxy::PUBLIC_URL),
        "hooks.example.com",
    );
    let (status, _, _) = send(app(), req).await;
    assert_eq!(status, StatusCode::OK);

    let (status, rejection, _) = send(app(), forwarded_call(behind_proxy::PUBLIC_URL)).await;
    assert_eq!(
        (status, rejection),
        (StatusCode::FORBIDDEN, Some(Rejection::BadSignature))
    );
}

#[tokio::test]
async fn behind_proxy_health_check_is_open_and_twilio_routes_are_not() {
    for layer in [
        behind_proxy::configured_layer(PROXY_TOKEN, behind_proxy::PUBLIC_URL),
        behind_proxy::forwarded_layer(PROXY_TOKEN),
    ] {
        let app = behind_proxy::app(layer);
        let health = Request::get("/health").body(Body::empty()).unwrap();
        let (status, _, body) = send(app.clone(), health).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));

        let unsigned = form_post("/status", CALL).map(Body::from);
        let (status, rejection, _) = send(app.clone(), unsigned).await;
        assert_eq!(
            (status, rejection),
            (StatusCode::FORBIDDEN, Some(Rejection::MissingSignature))
        );

        let unknown = Request::get("/nope").body(Body::empty()).unwrap();
        assert_eq!(send(app, unknown).await.0, StatusCode::NOT_FOUND);
    }
}

// ---------------------------------------------------------------- multi_tenant

const TENANT_BASE: &str = "https://hooks.example.com";

fn sms_from(account: &str, token: &str, body: &str) -> Request<Body> {
    let fields = format!("AccountSid={account}&From=%2B14158675309&Body={body}");
    signed(token, TENANT_BASE, form_post("/sms", &fields))
}

#[tokio::test]
async fn multi_tenant_checks_each_account_with_its_own_token() {
    for (account, token) in multi_tenant::DEMO_ACCOUNTS {
        let app = multi_tenant::app(multi_tenant::Tenants::demo(), TENANT_BASE);
        let (status, _, body) = send(app, sms_from(account, token, "hi")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains(&format!("{account} received: hi")), "{body}");
    }
}

#[tokio::test]
async fn multi_tenant_refuses_another_accounts_token() {
    let [(one, _), (_, two_token)] = multi_tenant::DEMO_ACCOUNTS;
    let app = multi_tenant::app(multi_tenant::Tenants::demo(), TENANT_BASE);
    let (status, rejection, _) = send(app, sms_from(one, two_token, "hi")).await;
    assert_eq!(
        (status, rejection),
        (StatusCode::FORBIDDEN, Some(Rejection::BadSignature))
    );
}

#[tokio::test]
async fn multi_tenant_refuses_an_account_it_does_not_serve() {
    let app = multi_tenant::app(multi_tenant::Tenants::demo(), TENANT_BASE);
    let req = sms_from("AC99999999999999999999999999999999", "any", "hi");
    let (status, rejection, body) = send(app, req).await;
    assert_eq!(
        (status, rejection),
        (StatusCode::FORBIDDEN, Some(Rejection::UnknownAccount))
    );
    assert_eq!(body, "invalid Twilio signature\n");
}

#[tokio::test]
async fn multi_tenant_rotation_accepts_both_tokens_until_the_old_one_is_retired() {
    let sid = "AC00000000000000000000000000000001";
    let tenants = multi_tenant::Tenants::parse(&format!("{sid}=old-token")).unwrap();
    let app = multi_tenant::app(tenants.clone(), TENANT_BASE);
    let status = |token: &'static str| {
        let app = app.clone();
        async move { send(app, sms_from(sid, token, "hi")).await.0 }
    };
    assert_eq!(status("old-token").await, StatusCode::OK);

    tenants.rotate(sid, "new-token", "old-token");
    assert_eq!(status("old-token").await, StatusCode::OK);
    assert_eq!(status("new-token").await, StatusCode::OK);

    tenants.insert(sid, "new-token");
    assert_eq!(status("old-token").await, StatusCode::FORBIDDEN);
    assert_eq!(status("new-token").await, StatusCode::OK);

    tenants.remove(sid);
    let (_, rejection, _) = send(app, sms_from(sid, "new-token", "hi")).await;
    assert_eq!(rejection, Some(Rejection::UnknownAccount));
}

#[tokio::test]
async fn multi_tenant_escapes_the_callers_text_in_twiml() {
    let (sid, token) = multi_tenant::DEMO_ACCOUNTS[0];
    let app = multi_tenant::app(multi_tenant::Tenants::demo(), TENANT_BASE);
    let res = app
        .clone()
        .oneshot(sms_from(sid, token, "hi"))
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "text/xml; charset=utf-8");
    let (status, _, body) = send(app, sms_from(sid, token, "%3C%2FMessage%3E%26")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("received: &lt;/Message&gt;&amp;</Message>"),
        "{body}"
    );
}

#[test]
fn multi_tenant_parses_the_account_list() {
    assert!(multi_tenant::Tenants::parse("AC1=t1, AC2=t2").is_ok());
    assert!(multi_tenant::Tenants::parse("AC1:t1").is_err());
    assert!(multi_tenant::Tenants::parse("XX1=t1").is_err());
}

// ---------------------------------------------------------------- media_stream

const MEDIA_TOKEN: &str = media_stream::DEMO_AUTH_TOKEN;

/// The example on a loopback port, with the public URL `https://<addr>`:
/// its sockets are then signed as `wss://<addr>/...`, as behind TLS.
async fn serve_media_stream() -> (std::net::SocketAddr, Router) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = media_stream::app(MEDIA_TOKEN, &format!("https://{addr}"));
    let served = app.clone();
    tokio::spawn(async move { axum::serve(listener, served).await.unwrap() });
    (addr, app)
}

/// POSTs a signed call to `route` and returns the `url` of the TwiML.
async fn twiml_socket_url(app: Router, addr: std::net::SocketAddr, route: &str) -> String {
    let req = signed(
        MEDIA_TOKEN,
        &format!("https://{addr}"),
        form_post(route, CALL),
    );
    let (status, _, twiml) = send(app, req).await;
    assert_eq!(status, StatusCode::OK, "{twiml}");
    let start = twiml.find(" url=\"").unwrap() + 6;
    let len = twiml[start..].find('"').unwrap();
    twiml[start..start + len].to_owned()
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens the socket at `addr` with the signature Twilio makes over `signed_url`.
async fn connect(
    addr: std::net::SocketAddr,
    path: &str,
    signed_url: Option<&str>,
) -> Result<Socket, tungstenite::Error> {
    let mut request = format!("ws://{addr}{path}").into_client_request().unwrap();
    if let Some(url) = signed_url {
        let signature = compute_signature(
            MEDIA_TOKEN,
            Algorithm::HmacSha1,
            url,
            &[] as &[(&str, &str)],
        );
        request
            .headers_mut()
            .insert("x-twilio-signature", signature.parse().unwrap());
    }
    let (socket, response) = tokio_tungstenite::connect_async(request).await?;
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    Ok(socket)
}

async fn next_json(socket: &mut Socket) -> serde_json::Value {
    let message = socket.next().await.unwrap().unwrap();
    serde_json::from_str(message.into_text().unwrap().as_str()).unwrap()
}

#[tokio::test]
async fn media_stream_voice_answers_connect_stream_with_the_wss_url() {
    let (addr, app) = serve_media_stream().await;
    let url = twiml_socket_url(app, addr, "/voice").await;
    assert_eq!(url, format!("wss://{addr}/media-stream"));
}

#[tokio::test]
async fn media_stream_validated_handshake_upgrades_and_media_frames_are_echoed() {
    let (addr, app) = serve_media_stream().await;
    let url = twiml_socket_url(app, addr, "/voice").await;
    let mut socket = connect(addr, "/media-stream", Some(&url)).await.unwrap();

    let events = [
        r#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#.to_owned(),
        r#"{"event":"start","sequenceNumber":"1","streamSid":"MZ1","start":{"accountSid":"AC1","streamSid":"MZ1","callSid":"CA1","tracks":["inbound"],"customParameters":{"caller":"alice"},"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}}}"#.to_owned(),
    ];
    for event in events {
        socket.send(Message::text(event)).await.unwrap();
    }
    for (chunk, payload) in ["f39/fw==", "AAAAAA==", "//79/A=="].iter().enumerate() {
        let media = format!(
            r#"{{"event":"media","sequenceNumber":"{}","streamSid":"MZ1","media":{{"track":"inbound","chunk":"{}","timestamp":"{}","payload":"{payload}"}}}}"#,
            chunk + 2,
            chunk + 1,
            chunk * 20
        );
        socket.send(Message::text(media)).await.unwrap();
        let echo = next_json(&mut socket).await;
        assert_eq!(
            echo,
            serde_json::json!({"event": "media", "streamSid": "MZ1", "media": {"payload": payload}})
        );
    }
    socket
        .send(Message::text(
            r#"{"event":"stop","sequenceNumber":"5","streamSid":"MZ1","stop":{"accountSid":"AC1","callSid":"CA1"}}"#,
        ))
        .await
        .unwrap();
    match socket.next().await {
        Some(Ok(Message::Close(_))) | None => {}
        other => panic!("expected the server to close after stop, got {other:?}"),
    }
}

#[tokio::test]
async fn media_stream_unsigned_handshake_is_refused_before_the_upgrade() {
    let (addr, _) = serve_media_stream().await;
    match connect(addr, "/media-stream", None).await {
        Err(tungstenite::Error::Http(res)) => assert_eq!(res.status(), StatusCode::FORBIDDEN),
        other => panic!("expected an HTTP 403, got {:?}", other.map(|_| ())),
    }
}

#[tokio::test]
async fn media_stream_handshake_signed_over_https_instead_of_wss_is_refused() {
    let (addr, _) = serve_media_stream().await;
    let https = format!("https://{addr}/media-stream");
    match connect(addr, "/media-stream", Some(&https)).await {
        Err(tungstenite::Error::Http(res)) => assert_eq!(res.status(), StatusCode::FORBIDDEN),
        other => panic!("expected an HTTP 403, got {:?}", other.map(|_| ())),
    }
}

#[tokio::test]
async fn conversation_relay_prompts_are_answered_with_text_tokens() {
    let (addr, app) = serve_media_stream().await;
    let url = twiml_socket_url(app, addr, "/voice-relay").await;
    assert_eq!(url, format!("wss://{addr}/relay"));
    let mut socket = connect(addr, "/relay", Some(&url)).await.unwrap();
    socket
        .send(Message::text(
            r#"{"type":"setup","sessionId":"VX1","callSid":"CA1","from":"+14158675309","to":"+18005551212"}"#,
        ))
        .await
        .unwrap();
    socket
        .send(Message::text(
            r#"{"type":"prompt","voicePrompt":"what time is it","lang":"en-US","last":true}"#,
        ))
        .await
        .unwrap();
    assert_eq!(
        next_json(&mut socket).await,
        serde_json::json!({"type": "text", "token": "You said: what time is it", "last": true})
    );
    socket
        .send(Message::text(r#"{"type":"dtmf","digit":"5"}"#))
        .await
        .unwrap();
    assert_eq!(next_json(&mut socket).await["token"], "You pressed 5.");
}

// ---------------------------------------------------------------- server

#[tokio::test]
async fn server_answers_its_own_signed_call_with_twiml() {
    let req = signed(
        server::DEMO_AUTH_TOKEN,
        "http://127.0.0.1:3000",
        form_post("/voice", CALL),
    );
    let res = server_app("http://127.0.0.1:3000")
        .oneshot(req)
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/xml; charset=utf-8");
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&body).contains("<Say>"));
}

/// `.layer` covers the whole router, its fallback included.
#[tokio::test]
async fn server_refuses_unsigned_requests_even_on_unknown_paths() {
    for uri in ["/voice", "/no-such-route"] {
        let req = form_post(uri, CALL).map(Body::from);
        let (status, rejection, _) = send(server_app("http://127.0.0.1:3000"), req).await;
        assert_eq!(
            (status, rejection),
            (StatusCode::FORBIDDEN, Some(Rejection::MissingSignature)),
            "{uri}"
        );
    }
}

// ----------------------------------------------------------------------- stack

const STACK_BASE: &str = "http://127.0.0.1:3002";

fn stack_app() -> Router {
    stack::app(stack::DEMO_AUTH_TOKEN, STACK_BASE)
}

#[test]
fn the_readme_shows_the_stack_example_as_it_is() {
    common::assert_readme_shows(include_str!("../../examples/stack.rs"));
}

#[tokio::test]
async fn stack_validates_compresses_and_limits() {
    let call = || form_post("/voice", "CallSid=CA1234567890ABCDE&From=%2B14158675309");
    let (status, _, body) = send(
        stack_app(),
        signed(stack::DEMO_AUTH_TOKEN, STACK_BASE, call()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("<Say>"), "{body}");
    let res = stack_app()
        .oneshot(signed(stack::DEMO_AUTH_TOKEN, STACK_BASE, call()))
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "text/xml; charset=utf-8");

    let mut gzip = signed(stack::DEMO_AUTH_TOKEN, STACK_BASE, call());
    gzip.headers_mut()
        .insert("accept-encoding", "gzip".parse().unwrap());
    let res = stack_app().oneshot(gzip).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-encoding"], "gzip");

    let (status, rejection, _) =
        send(stack_app(), signed("another-token", STACK_BASE, call())).await;
    assert_eq!(
        (status, rejection),
        (StatusCode::FORBIDDEN, Some(Rejection::BadSignature))
    );

    // Over the limit, with a Content-Length: tower-http refuses it.
    let big = format!("CallSid=CA1&Body={}", "x".repeat(stack::BODY_LIMIT));
    let mut req = signed(
        stack::DEMO_AUTH_TOKEN,
        STACK_BASE,
        form_post("/voice", &big),
    );
    req.headers_mut()
        .insert("content-length", big.len().to_string().parse().unwrap());
    let (status, rejection, _) = send(stack_app(), req).await;
    assert_eq!((status, rejection), (StatusCode::PAYLOAD_TOO_LARGE, None));

    // Streamed without a length: the layer's own 413, whichever limit hits.
    let mut req = signed(
        stack::DEMO_AUTH_TOKEN,
        STACK_BASE,
        form_post("/voice", &big),
    );
    let bytes = axum::body::Bytes::from(big.clone());
    *req.body_mut() = Body::from_stream(futures_util::stream::once(async move {
        Ok::<_, std::convert::Infallible>(bytes)
    }));
    let (status, rejection, _) = send(stack_app(), req).await;
    assert_eq!(
        (status, rejection),
        (StatusCode::PAYLOAD_TOO_LARGE, Some(Rejection::BodyTooLarge))
    );
}

// ------------------------------------------------------------------ quickstart

const QUICKSTART_BASE: &str = "http://127.0.0.1:3004";

#[test]
fn the_readme_shows_the_quickstart_example_as_it_is() {
    common::assert_readme_shows(include_str!("../../examples/quickstart.rs"));
}

#[tokio::test]
async fn quickstart_answers_its_signed_call_gather_and_mms_with_twiml() {
    const DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;
    for (path, body, says) in [
        (
            "/voice",
            quickstart::CALL,
            r#"<Response><Say>Hello from Rust.</Say><Gather input="dtmf speech" numDigits="1" action="/gather" method="POST"><Say>Press a key or say something.</Say></Gather></Response>"#,
        ),
        (
            "/gather",
            quickstart::GATHER,
            "<Response><Say>You said 7. Goodbye.</Say></Response>",
        ),
        (
            "/sms",
            quickstart::MMS,
            "<Response><Message>You sent &quot;Look!&quot; and 1 picture(s).</Message></Response>",
        ),
    ] {
        let req = signed(
            quickstart::DEMO_AUTH_TOKEN,
            QUICKSTART_BASE,
            form_post(path, body),
        );
        let app = quickstart::app(quickstart::DEMO_AUTH_TOKEN, QUICKSTART_BASE);
        let res = app.oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.headers()["content-type"], "text/xml; charset=utf-8");
        let text = res.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8(text.to_vec()).unwrap();
        assert_eq!(text, format!("{DECLARATION}{says}"), "{path}");
    }
}

#[tokio::test]
async fn quickstart_printed_curl_command_is_accepted() {
    let bind: std::net::SocketAddr = "127.0.0.1:3004".parse().unwrap();
    let curl = quickstart::curl(
        quickstart::DEMO_AUTH_TOKEN,
        QUICKSTART_BASE,
        bind,
        "/voice",
        quickstart::CALL,
    );
    let app = quickstart::app(quickstart::DEMO_AUTH_TOKEN, QUICKSTART_BASE);
    let (status, _, body) = send(app, request_from_curl(&curl)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn quickstart_refuses_a_call_without_its_required_fields_naming_one() {
    let req = signed(
        quickstart::DEMO_AUTH_TOKEN,
        QUICKSTART_BASE,
        form_post("/voice", CALL),
    );
    let app = quickstart::app(quickstart::DEMO_AUTH_TOKEN, QUICKSTART_BASE);
    let (status, _, body) = send(app, req).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("missing field `AccountSid`"), "{body}");
}
