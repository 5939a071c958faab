//! The layer in plain hyper, with no axum anywhere: a Tower service over
//! `hyper::body::Incoming`, served by hyper's connection builders through
//! hyper-util's `TowerToHyperService`, over loopback with HTTP/1.1 and h2c.
//!
//! Nothing here needs the crate's `axum` feature: CI also runs this file
//! with `--no-default-features`.

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{Full, Limited};
use hyper::body::Incoming;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tower::{Layer, ServiceBuilder};
use tower_http::limit::RequestBodyLimitLayer;
use tower_twilio::Signer;

use crate::common;

use common::read_response;
use common::stack::*;

#[tokio::test]
async fn plain_hyper_http1_over_incoming_validates() {
    let svc = takes::<Incoming, _>(ServiceBuilder::new().layer(twilio()).service_fn(plain));
    let addr = serve_hyper(svc, false).await;

    let ok = send_h1(genuine(addr, "/voice")).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.seen(), Some(FIELD));
    assert_eq!(&ok.body[..], BODY.as_bytes(), "the body bytes, untouched");

    let refused = send_h1(forged(addr, "/voice")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.seen(), None);
}

#[tokio::test]
async fn plain_hyper_http1_with_body_limit_outside_validates_and_limits() {
    // `RequestBodyLimitLayer` outside: the layer gets `Limited<Incoming>`.
    let inner = takes::<Limited<Incoming>, _>(twilio().layer(tower::service_fn(plain)));
    let svc = RequestBodyLimitLayer::new(4096).layer(inner);
    let addr = serve_hyper(svc, false).await;

    let ok = send_h1(genuine(addr, "/voice")).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.seen(), Some(FIELD));

    let refused = send_h1(forged(addr, "/voice")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // The same stack under a limit the body exceeds, sent chunked: the
    // limit's error, read by the layer, is a 413.
    let small = ServiceBuilder::new()
        .layer(RequestBodyLimitLayer::new(SMALL_LIMIT))
        .layer(twilio())
        .service_fn(plain);
    let addr = serve_hyper(small, false).await;
    let over = raw_post(addr, BODY, true).await;
    assert_layer_413(&over);
}

#[tokio::test]
async fn plain_hyper_body_error_from_incoming_is_a_400() {
    let svc = takes::<Incoming, _>(ServiceBuilder::new().layer(twilio()).service_fn(plain));
    let addr = serve_hyper(svc, false).await;

    // A signed request whose chunked framing breaks after the first chunk:
    // `Incoming` yields an error, which is not a length limit's.
    let signature = signature_for("/voice", BODY);
    let wire = format!(
        "POST /voice HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {FORM}\r\n\
         X-Twilio-Signature: {signature}\r\nTransfer-Encoding: chunked\r\n\r\n\
         4\r\nBody\r\nzz\r\n"
    );
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(wire.as_bytes()).await.unwrap();
    let res = read_response(&mut stream, true).await.expect("a response");
    assert_eq!(res.status, 400, "{}", res.head);
    assert_eq!(res.header(SEEN), None);
}

// ---- 7. h2c ---------------------------------------------------------------

#[cfg(feature = "http2")]
#[tokio::test]
async fn plain_hyper_h2c_validates() {
    let svc = ServiceBuilder::new()
        .layer(RequestBodyLimitLayer::new(4096))
        .layer(twilio())
        .service_fn(plain);
    let addr = serve_hyper(svc, true).await;

    let ok = send(genuine(addr, "/voice"), true).await;
    assert_eq!(ok.version, http::Version::HTTP_2);
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.seen(), Some(FIELD));
    assert_eq!(&ok.body[..], BODY.as_bytes());

    let refused = send(forged(addr, "/voice"), true).await;
    assert_eq!(refused.version, http::Version::HTTP_2);
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

/// A GET webhook (a status callback configured with method GET): Twilio
/// signs the URL with its query, and the query is the webhook's fields.
#[tokio::test]
async fn a_signed_get_webhook_gives_its_query_fields() {
    let svc = takes::<Incoming, _>(ServiceBuilder::new().layer(twilio()).service_fn(plain));
    let addr = serve_hyper(svc, false).await;
    let get = |query: &str| {
        let mut req = Request::get(format!("http://{addr}/status?{query}"))
            .body(Bytes::new())
            .unwrap();
        Signer::new(TOKEN, BASE).sign(&mut req);
        req.map(Full::new)
    };

    let ok = send_h1(get("CallSid=CA1&Body=hello+there")).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.seen(), Some(FIELD));

    // The query changed after signing: another request, refused.
    let mut tampered = get("CallSid=CA1&Body=hello+there");
    *tampered.uri_mut() = format!("http://{addr}/status?CallSid=CA1&Body=goodbye")
        .parse()
        .unwrap();
    let refused = send_h1(tampered).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.seen(), None);
}
