//! One request shape many times, for callgrind (BENCHMARKS.md, "Where the
//! layer's time goes"): `cargo build --release -p tower-twilio-bench
//! --example profile`, then `valgrind --tool=callgrind
//! --toggle-collect='*measured*' target/release/examples/profile MODE`.
//!
//! MODE is `floor` (one HMAC-SHA1 over the signed string, keyed in the
//! loop), `bare` (the inner service alone), `accept` or `reject` (the
//! layer around it, with the right or a wrong signature), each on the
//! 28-field `inbound_call`. Only `measured` is counted: building the
//! request, which a server does with or without the layer, is not.

use std::convert::Infallible;
use std::hint::black_box;

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http::{Request, Response};
use http_body_util::Full;
use sha1::Sha1;
use tower::Service;
use tower_twilio::TwilioValidateLayer;
use tower_twilio_bench::{call_now, Case, AUTH_TOKEN, BASE_URL};

const ROUNDS: usize = 10_000;

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let case = Case::inbound_call();
    match mode.as_str() {
        "floor" => {
            let signed = case.signed_string();
            for _ in 0..ROUNDS {
                black_box(floor(AUTH_TOKEN.as_bytes(), black_box(&signed)));
            }
        }
        "bare" => {
            let mut service = tower::service_fn(answer);
            run(&mut service, &case, &case.signature(), 200);
        }
        "accept" | "reject" => {
            let layer = TwilioValidateLayer::new(AUTH_TOKEN).base_url(BASE_URL);
            let mut service = tower::ServiceBuilder::new()
                .layer(layer)
                .service(tower::service_fn(answer));
            let (signature, status) = if mode == "accept" {
                (case.signature(), 200)
            } else {
                (case.wrong_signature(), 403)
            };
            run(&mut service, &case, &signature, status);
        }
        _ => {
            eprintln!("usage: profile floor|bare|accept|reject");
            std::process::exit(2);
        }
    }
}

/// The inner service: a fixed answer, whatever the body.
async fn answer<B>(_: Request<B>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(b"<Response/>"))))
}

#[inline(never)]
fn floor(secret: &[u8], signed: &[u8]) -> [u8; 20] {
    measured_floor(secret, signed)
}

#[inline(never)]
fn measured_floor(secret: &[u8], signed: &[u8]) -> [u8; 20] {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).unwrap();
    mac.update(signed);
    mac.finalize().into_bytes().into()
}

fn run<S, B>(service: &mut S, case: &Case, signature: &str, status: u16)
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>>,
    S::Error: std::fmt::Debug,
{
    for _ in 0..ROUNDS {
        let req = case.request(signature);
        assert_eq!(measured(service, req), status);
    }
}

/// Calls the service and drives the response future to the end, dropping
/// the response: everything the layer does for one request.
#[inline(never)]
fn measured<S, B>(service: &mut S, req: Request<Full<Bytes>>) -> u16
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>>,
    S::Error: std::fmt::Debug,
{
    call_now(service, req)
}
