//! The layer behind a real server on loopback, driven by real clients.

use std::net::SocketAddr;

use axum::extract::ws::{Message, WebSocketUpgrade};
use axum::routing::{get, post};
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tower_twilio::{compute_signature, Algorithm, Signer, TwilioValidateLayer};

const TOKEN: &str = "12345";

async fn serve() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new()
        .route("/voice", post(|body: String| async move { body }))
        .route(
            "/media-stream",
            get(|ws: WebSocketUpgrade| async move {
                ws.on_upgrade(|mut socket| async move {
                    while let Some(Ok(Message::Text(text))) = socket.recv().await {
                        let reply = format!("echo: {}", text.as_str());
                        if socket.send(Message::Text(reply.into())).await.is_err() {
                            break;
                        }
                    }
                })
            }),
        )
        .layer(TwilioValidateLayer::new(TOKEN).base_url(&format!("https://{addr}")));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

async fn post_form(addr: SocketAddr, body: &str, sign: bool) -> (StatusCode, Bytes) {
    let mut req = Request::post(format!("http://{addr}/voice"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_owned())
        .unwrap();
    if sign {
        Signer::new(TOKEN, format!("https://{addr}")).sign(&mut req);
    }
    let client = Client::builder(TokioExecutor::new()).build_http();
    let res = client
        .request(req.map(|b| Full::new(Bytes::from(b))))
        .await
        .unwrap();
    let status = res.status();
    (status, res.into_body().collect().await.unwrap().to_bytes())
}

#[tokio::test]
async fn a_signed_post_over_tcp_reaches_the_handler_intact() {
    let addr = serve().await;
    let body = "CallSid=CA1&Body=caf%C3%A9+%26+cr%C3%A8me&Body=two";
    let (status, echoed) = post_form(addr, body, true).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(echoed, body.as_bytes());
}

#[tokio::test]
async fn an_unsigned_post_over_tcp_is_refused() {
    let addr = serve().await;
    let (status, text) = post_form(addr, "CallSid=CA1", false).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(String::from_utf8_lossy(&text).contains("missing_signature"));
}

#[tokio::test]
async fn a_signed_websocket_handshake_upgrades_and_carries_frames() {
    let addr = serve().await;
    let url = format!("ws://{addr}/media-stream");
    let signed_url = format!("wss://{addr}/media-stream");
    let sig = compute_signature(
        TOKEN,
        Algorithm::HmacSha1,
        &signed_url,
        &[] as &[(&str, &str)],
    );
    let mut request = url.as_str().into_client_request().unwrap();
    request
        .headers_mut()
        .insert("x-twilio-signature", sig.parse().unwrap());
    let (mut socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    socket
        .send(tokio_tungstenite::tungstenite::Message::text(
            r#"{"event":"connected"}"#,
        ))
        .await
        .unwrap();
    let reply = socket.next().await.unwrap().unwrap();
    assert_eq!(
        reply.into_text().unwrap().as_str(),
        r#"echo: {"event":"connected"}"#
    );
}

#[tokio::test]
async fn an_unsigned_websocket_handshake_is_refused() {
    let addr = serve().await;
    let request = format!("ws://{addr}/media-stream")
        .into_client_request()
        .unwrap();
    let err = tokio_tungstenite::connect_async(request).await.unwrap_err();
    match err {
        tokio_tungstenite::tungstenite::Error::Http(res) => {
            assert_eq!(res.status(), StatusCode::FORBIDDEN)
        }
        other => panic!("expected an HTTP 403, got {other}"),
    }
}
