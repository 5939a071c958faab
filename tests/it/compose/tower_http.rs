// The stacks with tower-http's layers, written once and included by
// `tests/compose.rs` into one module per tower-http release, where
// `tower_http_under_test` names that release.

use super::*;
use tower_http_under_test::compression::CompressionLayer;
use tower_http_under_test::limit::RequestBodyLimitLayer;
use tower_http_under_test::timeout::TimeoutLayer;
use tower_http_under_test::trace::TraceLayer;

// ---- 1. tower-http outside, one ServiceBuilder ----------------------------

/// The usual production stack: tower-http's layers outside the Twilio layer
/// in one `ServiceBuilder`, given to `Router::layer`.
fn outside_stack(limit: usize, timeout: Duration) -> Router {
    voice_router().layer(
        ServiceBuilder::new()
            .layer(TraceLayer::new_for_http())
            .layer(CompressionLayer::new())
            .layer(RequestBodyLimitLayer::new(limit))
            .layer(TimeoutLayer::with_status_code(TIMEOUT_STATUS, timeout))
            .layer(twilio()),
    )
}

#[tokio::test]
async fn tower_http_layers_outside_in_one_service_builder_compose() {
    let addr = serve_axum(outside_stack(4096, Duration::from_secs(30))).await;
    assert_validates(addr, "/voice").await;
    assert_gzipped(addr).await;
}

// ---- 2. tower-http inside, one ServiceBuilder -----------------------------

#[tokio::test]
async fn tower_http_layers_inside_in_one_service_builder_compose() {
    let app = voice_router().layer(
        ServiceBuilder::new()
            .layer(twilio())
            .layer(TraceLayer::new_for_http())
            .layer(CompressionLayer::new())
            .layer(RequestBodyLimitLayer::new(4096))
            .layer(TimeoutLayer::with_status_code(
                TIMEOUT_STATUS,
                Duration::from_secs(30),
            )),
    );
    let addr = serve_axum(app).await;
    assert_validates(addr, "/voice").await;
    assert_gzipped(addr).await;
}

// ---- 3. separate Router::layer calls --------------------------------------

#[tokio::test]
async fn tower_http_layers_outside_as_separate_router_layers_compose() {
    // Each `.layer` wraps the ones before: the Twilio layer is innermost.
    let app = voice_router()
        .layer(twilio())
        .layer(TimeoutLayer::with_status_code(
            TIMEOUT_STATUS,
            Duration::from_secs(30),
        ))
        .layer(RequestBodyLimitLayer::new(4096))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http());
    let addr = serve_axum(app).await;
    assert_validates(addr, "/voice").await;
    assert_gzipped(addr).await;
}

#[tokio::test]
async fn tower_http_layers_inside_as_separate_router_layers_compose() {
    // The Twilio layer last: outermost.
    let app = voice_router()
        .layer(TimeoutLayer::with_status_code(
            TIMEOUT_STATUS,
            Duration::from_secs(30),
        ))
        .layer(RequestBodyLimitLayer::new(4096))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .layer(twilio());
    let addr = serve_axum(app).await;
    assert_validates(addr, "/voice").await;
    assert_gzipped(addr).await;
}

// ---- 6. h2c ---------------------------------------------------------------

#[cfg(feature = "http2")]
#[tokio::test]
async fn axum_with_tower_http_layers_outside_over_h2c_validates() {
    let addr = serve_axum(outside_stack(4096, Duration::from_secs(30))).await;

    let ok = send(genuine(addr, "/voice"), true).await;
    assert_eq!(ok.version, http::Version::HTTP_2);
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.seen(), Some(FIELD));

    let refused = send(forged(addr, "/voice"), true).await;
    assert_eq!(refused.version, http::Version::HTTP_2);
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

// ---- 7. body limit outside ------------------------------------------------

#[tokio::test]
async fn body_limit_outside_refuses_an_oversized_chunked_body_with_413() {
    let addr = serve_axum(outside_stack(SMALL_LIMIT, Duration::from_secs(30))).await;

    // No Content-Length: tower-http cannot refuse up front; the body's
    // length-limit error reaches the layer, which answers 413.
    let over = raw_post(addr, BODY, true).await;
    assert_layer_413(&over);
    assert!(over.header("content-length").is_some(), "{}", over.head);

    // Under the limit, chunked, the same stack lets it through.
    let small = "Body=hello+there";
    assert!(small.len() <= SMALL_LIMIT);
    let ok = raw_post(addr, small, true).await;
    assert_eq!(ok.status, 200, "{}", ok.head);
    assert_eq!(ok.header(SEEN), Some(FIELD));
}

#[tokio::test]
async fn body_limit_outside_refuses_an_oversized_content_length_itself() {
    let addr = serve_axum(outside_stack(SMALL_LIMIT, Duration::from_secs(30))).await;

    // tower-http refuses from the Content-Length, before the layer runs.
    let over = raw_post(addr, BODY, false).await;
    assert_eq!(over.status, 413);
    assert_eq!(over.body, "length limit exceeded");
}

// ---- 8. timeout outside ---------------------------------------------------

#[tokio::test]
async fn timeout_outside_answers_for_a_slow_handler_with_an_empty_body() {
    let addr = serve_axum(outside_stack(4096, Duration::from_millis(50))).await;

    let started = Instant::now();
    let res = send_h1(genuine(addr, "/slow")).await;
    // tower-http's `Timeout` built this response: its body is the layer's
    // `ResponseBody::default()`.
    assert_eq!(res.status, TIMEOUT_STATUS);
    assert!(res.body.is_empty());
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "answered before the handler finished"
    );
}

// ---- 11. a body limit in its own outer Router::layer ----------------------

#[tokio::test]
async fn body_limit_as_an_outer_router_layer_refuses_an_oversized_chunked_body_with_413() {
    // axum wraps the limit's error in its own between the two layers.
    let app = voice_router()
        .layer(twilio())
        .layer(RequestBodyLimitLayer::new(SMALL_LIMIT));
    let addr = serve_axum(app).await;
    assert_layer_413(&raw_post(addr, BODY, true).await);
    let ok = raw_post(addr, "Body=hello+there", true).await;
    assert_eq!(ok.status, 200, "{}", ok.head);
}

// ---- 9. a body timeout outside ----------------------------------------------

/// tower-http's body timeout ends a stalled body with its own error; the
/// layer reading it answers what its own read timeout answers: `408`.
#[tokio::test]
async fn a_body_timeout_outside_gets_the_layers_408() {
    use tower_http_under_test::timeout::RequestBodyTimeoutLayer;
    let app = voice_router().layer(
        ServiceBuilder::new()
            .layer(RequestBodyTimeoutLayer::new(Duration::from_millis(100)))
            .layer(twilio()),
    );
    let addr = serve_axum(app).await;
    assert_layer_408(&stalled_post(addr).await);
    assert_validates(addr, "/voice").await;
}
