//! `Signer`'s ready requests against the layer on loopback: a WebSocket
//! handshake signed over `wss://` passes (and one signed over the `https`
//! URL does not, as the layer checks `wss`), a JSON body is signed with
//! `bodySHA256`.

use crate::common;

use std::net::SocketAddr;

use axum::extract::ws::WebSocketUpgrade;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tower_twilio::{compute_signature, Algorithm, Signer, TwilioValidateLayer};

const TOKEN: &str = "12345";

async fn stream(ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(|_socket| async {})
}

async fn serve() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new()
        .route("/stream", get(stream))
        .route("/json", post(|body: String| async move { body }))
        .layer(TwilioValidateLayer::new(TOKEN).base_url(&format!("https://{addr}")));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// Writes `req` as HTTP/1.1 to `addr`; the response's status.
async fn send(addr: SocketAddr, req: &http::Request<String>) -> u16 {
    let mut head = format!(
        "{} {} HTTP/1.1\r\nhost: {addr}\r\n",
        req.method(),
        req.uri()
    );
    for (name, value) in req.headers() {
        head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    head.push_str(&format!("content-length: {}\r\n\r\n", req.body().len()));
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(req.body().as_bytes()).await.unwrap();
    common::read_response(&mut stream, false)
        .await
        .expect("a response")
        .status
}

#[tokio::test]
async fn a_handshake_signed_by_signer_with_a_wss_base_is_upgraded() {
    let addr = serve().await;
    let signer = Signer::new(TOKEN, format!("wss://{addr}"));
    let req = signer.websocket_request("/stream?tenant=a");
    assert_eq!(send(addr, &req).await, 101);
}

#[tokio::test]
async fn a_handshake_signed_by_signer_with_an_https_base_is_upgraded() {
    let addr = serve().await;
    let req = Signer::new(TOKEN, format!("https://{addr}")).websocket_request("/stream");
    assert_eq!(send(addr, &req).await, 101);
}

#[tokio::test]
async fn a_handshake_signed_over_the_https_url_is_refused() {
    let addr = serve().await;
    let mut req = Signer::new(TOKEN, format!("wss://{addr}")).websocket_request("/stream");
    let over_https = compute_signature(
        TOKEN,
        Algorithm::HmacSha1,
        &format!("https://{addr}/stream"),
        &[] as &[(&str, &str)],
    );
    req.headers_mut()
        .insert("x-twilio-signature", over_https.parse().unwrap());
    assert_eq!(send(addr, &req).await, 403);
}

#[tokio::test]
async fn a_json_body_signed_by_signer_carries_its_body_sha256_and_passes() {
    let addr = serve().await;
    let req = Signer::new(TOKEN, format!("https://{addr}")).json_request("/json", r#"{"a":1}"#);
    assert!(req.uri().query().unwrap().starts_with("bodySHA256="));
    assert_eq!(send(addr, &req).await, 200);

    let mut tampered = req;
    *tampered.body_mut() = r#"{"a":2}"#.to_owned();
    assert_eq!(send(addr, &tampered).await, 403);
}

#[test]
fn the_websocket_url_of_a_base_is_its_wss_url() {
    let signer = Signer::new(TOKEN, "https://hooks.example.com/app");
    assert_eq!(
        signer.websocket_url("/stream"),
        "wss://hooks.example.com/app/stream"
    );
}
