//! Heap allocations per validated request, counted by the binary's global
//! allocator (`common::alloc`). The counts are fixed (they do not grow with the number of form
//! fields) and documented in BENCHMARKS.md; these tests keep them from
//! growing silently. If a change adds one on purpose, update both.

use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use tower::{Service, ServiceExt};
use tower_twilio::validate::ValidatedBody;
use tower_twilio::{RequestValidator, SignedRequest, TwilioValidateLayer};

use crate::common::alloc::{allocations, live_bytes, peak_bytes, reset_peak};
use crate::common::fixtures::{Case, AUTH_TOKEN, BASE_URL, SHARED_KEY, SHARED_KEY_ID};

fn validator() -> RequestValidator {
    RequestValidator::new(AUTH_TOKEN).shared_key(SHARED_KEY_ID, SHARED_KEY)
}

/// Allocations of one `validate` call on a prepared request.
fn validate_allocations(case: &Case, signature: &str) -> (usize, bool) {
    let validator = validator();
    let url = case.url();
    let params = case.params();
    let request = SignedRequest::new(&url, signature)
        .params(&params)
        .body(&case.body)
        .settings(case.settings);
    let (n, verdict) = allocations(|| validator.validate(&request));
    (n, verdict.is_ok())
}

#[test]
fn validate_accepts_with_one_allocation_the_url_it_reports() {
    for case in [Case::tiny(), Case::inbound_call()] {
        let (n, ok) = validate_allocations(&case, &case.signature());
        assert!(ok, "{}", case.name);
        assert_eq!(n, 1, "{}: allocations in validate (accept)", case.name);
    }
}

#[test]
fn validate_with_a_shared_key_also_allocates_the_key_id_it_reports() {
    let case = Case::shared_key_sha256();
    let (n, ok) = validate_allocations(&case, &case.signature());
    assert!(ok);
    assert_eq!(n, 2, "allocations in validate (shared key, accept)");
}

#[test]
fn validate_of_a_json_body_also_allocates_its_body_sha256() {
    let case = Case::json_64k();
    let (n, ok) = validate_allocations(&case, &case.signature());
    assert!(ok);
    assert_eq!(n, 3, "allocations in validate (bodySHA256, accept)");
}

#[test]
fn validate_rejects_a_forged_signature_with_a_fixed_number_of_allocations() {
    for case in [Case::tiny(), Case::inbound_call()] {
        let (n, ok) = validate_allocations(&case, &case.wrong_signature());
        assert!(!ok, "{}", case.name);
        // The URL with its default port, built once for both libraries'
        // rules, and the list of URLs hashed.
        assert_eq!(n, 2, "{}: allocations in validate (reject)", case.name);
    }
}

struct NoopWake;

impl Wake for NoopWake {
    fn wake(self: Arc<Self>) {}
}

/// Drives a future that never waits (everything is in memory).
fn now<F: Future>(future: F, waker: &Waker) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(waker)) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("an in-memory request never waits"),
    }
}

/// Allocations of the layer for one request, from `call` to the response:
/// the URL rebuilt, the body collected, the fields decoded (sorted, as
/// the fixtures' are, they are signed as decoded), the
/// validation, the `ValidatedWebhook` put into the extensions. The request
/// is built and the response dropped outside the count; the inner service
/// allocates nothing.
fn layer_allocations(case: &Case, signature: &str) -> (usize, u16) {
    let layer = TwilioValidateLayer::with_validator(validator()).base_url(BASE_URL);
    let inner = tower::service_fn(|_: Request<ValidatedBody>| async {
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"<Response/>"))))
    });
    let mut service = tower::ServiceBuilder::new().layer(layer).service(inner);
    let request: Request<Full<Bytes>> = case.request(signature);
    let waker = Waker::from(Arc::new(NoopWake));
    now(
        ServiceExt::<Request<Full<Bytes>>>::ready(&mut service),
        &waker,
    )
    .unwrap();
    let (n, response) = allocations(|| now(service.call(request), &waker).unwrap());
    (n, response.status().as_u16())
}

#[test]
fn the_layer_accepts_a_form_webhook_with_a_fixed_number_of_allocations() {
    // The same count for 5 fields and for 28: nothing is allocated per field.
    for case in [Case::tiny(), Case::inbound_call()] {
        let (n, status) = layer_allocations(&case, &case.signature());
        assert_eq!(status, 200, "{}", case.name);
        assert_eq!(n, 8, "{}: allocations in the layer (accept)", case.name);
    }
}

#[test]
fn the_layer_rejects_a_forged_form_webhook_with_a_fixed_number_of_allocations() {
    for case in [Case::tiny(), Case::inbound_call()] {
        let (n, status) = layer_allocations(&case, &case.wrong_signature());
        assert_eq!(status, 403, "{}", case.name);
        assert_eq!(n, 11, "{}: allocations in the layer (reject)", case.name);
    }
}

/// A body that announces 1 MiB and never sends it.
struct Announced;

impl http_body::Body for Announced {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        Poll::Pending
    }

    fn size_hint(&self) -> http_body::SizeHint {
        // A form's most: a longer one is refused before it is read.
        http_body::SizeHint::with_exact(tower_twilio::MAX_FORM_BYTES as u64)
    }
}

#[test]
fn a_length_announced_but_not_sent_reserves_at_most_64_kib() {
    // No read timeout: its timer needs a Tokio runtime.
    let layer = TwilioValidateLayer::with_validator(validator())
        .base_url(BASE_URL)
        .body_read_timeout(None);
    let inner = tower::service_fn(|_: Request<ValidatedBody>| async {
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::new())))
    });
    let mut service = tower::ServiceBuilder::new().layer(layer).service(inner);
    let case = Case::inbound_call();
    let request = case
        .request::<Vec<u8>>(&case.wrong_signature())
        .map(|_| Announced);
    let waker = Waker::from(Arc::new(NoopWake));
    now(
        ServiceExt::<Request<Announced>>::ready(&mut service),
        &waker,
    )
    .unwrap();
    reset_peak();
    let before = live_bytes();
    let (_, future) = allocations(|| {
        let mut future = Box::pin(service.call(request));
        let pending = future.as_mut().poll(&mut Context::from_waker(&waker));
        assert!(pending.is_pending());
        future
    });
    // The most held at any moment: a buffer of the announced length, even
    // if shrunk before the call returned, counts.
    let bytes = peak_bytes() - before;
    drop(future);
    assert!(
        (64 * 1024..80 * 1024).contains(&bytes),
        "{bytes} bytes held for a body not yet sent"
    );
}
