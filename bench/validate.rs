//! Cost of checking one signature, next to the cost of the HMAC it cannot
//! avoid. Run with `cargo bench --bench validate`; BENCHMARKS.md explains
//! every figure. The ratios are printed at the end of the run, from the
//! medians criterion recorded in this same run.
//!
//! For each request in `fixtures` (group = request):
//! - `floor`: one bare HMAC over the exact signed string, keyed in the loop
//!   (plus the SHA-256 of the body for `bodySHA256`): what any validator pays.
//! - `compute_signature`: what Twilio's side computes (the public function).
//! - `validate_accept` / `validate_reject`: `RequestValidator::validate` on a
//!   prepared `SignedRequest` (URL, signature, params already sorted).
//!   Reject uses a well-formed wrong signature, so every candidate is tried.
//! - `parse_and_validate_*`: from the raw body bytes through the public API:
//!   form parsing, sorting, then `validate`.
//! - `layer_*`: the Tower service on an in-memory request: precheck, URL
//!   rebuilt from config, body collected, form parsed, validated, extension
//!   inserted, inner service called (or the 403 built).

use std::borrow::Cow;
use std::convert::Infallible;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use criterion::{BatchSize, Criterion};
use hmac::{Hmac, Mac};
use http::{Request, Response};
use http_body_util::Full;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use tower::Service;
use tower_twilio::validate::ValidatedBody;
use tower_twilio::{
    compute_signature, Algorithm, RequestValidator, SignedRequest, TwilioValidateLayer,
};

use fixtures::{call_now as call, poll_now, Case, AUTH_TOKEN, BASE_URL, SHARED_KEY, SHARED_KEY_ID};
use tower_twilio_bench as fixtures;

const BENCHES: [&str; 8] = [
    "floor",
    "compute_signature",
    "validate_accept",
    "validate_reject",
    "parse_and_validate_accept",
    "parse_and_validate_reject",
    "layer_accept",
    "layer_reject",
];

fn validator() -> RequestValidator {
    RequestValidator::new(AUTH_TOKEN).shared_key(SHARED_KEY_ID, SHARED_KEY)
}

/// One bare HMAC over `signed`, keyed here, as the floor: nothing else, not
/// even an allocation for the result.
fn bare_hmac(algorithm: Algorithm, secret: &[u8], signed: &[u8]) -> [u8; 32] {
    let mut out = [0; 32];
    match algorithm {
        Algorithm::HmacSha1 => {
            let mut mac = Hmac::<Sha1>::new_from_slice(secret).unwrap();
            mac.update(signed);
            out[..20].copy_from_slice(&mac.finalize().into_bytes());
        }
        Algorithm::HmacSha256 => {
            let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
            mac.update(signed);
            out.copy_from_slice(&mac.finalize().into_bytes());
        }
        other => panic!("the floor is HMAC-SHA1 or HMAC-SHA256, not {other:?}"),
    }
    out
}

fn bench_case(c: &mut Criterion, case: &Case) {
    let validator = validator();
    let url = case.url();
    let signature = case.signature();
    let wrong = case.wrong_signature();
    let params = case.params();
    let signed = case.signed_string();
    let body_sha256 = !case.is_form();

    let accept = signed_request(case, &url, &signature, &params);
    let reject = signed_request(case, &url, &wrong, &params);
    assert!(validator.validate(&accept).is_ok(), "{}", case.name);
    assert!(validator.validate(&reject).is_err(), "{}", case.name);

    let mut g = c.benchmark_group(case.name);
    g.bench_function("floor", |b| {
        b.iter(|| {
            let mac = bare_hmac(case.algorithm, case.secret.as_bytes(), black_box(&signed));
            if body_sha256 {
                black_box(Sha256::digest(black_box(&case.body)));
            }
            mac
        })
    });
    g.bench_function("compute_signature", |b| {
        b.iter(|| compute_signature(case.secret, case.algorithm, black_box(&url), &params))
    });
    g.bench_function("validate_accept", |b| {
        b.iter(|| validator.validate(black_box(&accept)))
    });
    g.bench_function("validate_reject", |b| {
        b.iter(|| validator.validate(black_box(&reject)))
    });
    for (name, sig) in [
        ("parse_and_validate_accept", &signature),
        ("parse_and_validate_reject", &wrong),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let body = black_box(case.body.as_slice());
                let fields: Vec<(Cow<'_, str>, Cow<'_, str>)> = if case.is_form() {
                    form_urlencoded::parse(body).collect()
                } else {
                    Vec::new()
                };
                let request = SignedRequest::new(&url, sig)
                    .params(&fields)
                    .body(body)
                    .settings(case.settings);
                validator.validate(&request).is_ok()
            })
        });
    }

    let layer = TwilioValidateLayer::with_validator(validator.clone()).base_url(BASE_URL);
    let inner = tower::service_fn(|_: Request<ValidatedBody>| async {
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"<Response/>"))))
    });
    let mut service = tower::ServiceBuilder::new().layer(layer).service(inner);
    for (name, sig, status) in [
        ("layer_accept", &signature, 200),
        ("layer_reject", &wrong, 403),
    ] {
        assert_eq!(
            call(&mut service, case.request::<Full<Bytes>>(sig)),
            status,
            "{}",
            case.name
        );
        g.bench_function(name, |b| {
            b.iter_batched(
                || case.request::<Full<Bytes>>(sig),
                |req| call(&mut service, req),
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

/// A prepared request: the params are sorted once, here.
fn signed_request<'a>(
    case: &'a Case,
    url: &'a str,
    signature: &'a str,
    params: &[(String, String)],
) -> SignedRequest<'a> {
    SignedRequest::new(url, signature)
        .params(params)
        .body(&case.body)
        .settings(case.settings)
}

/// Times `floor` and `other` in alternating batches and returns the median
/// of the per-round ratios `other / floor`: a change in the machine's load
/// during the run hits both sides of each ratio alike.
fn paired_ratio(mut floor: impl FnMut(), mut other: impl FnMut()) -> f64 {
    median(batches([&mut floor, &mut other]).map(|[f, o]| o / f))
}

/// 101 rounds of `fs` timed in turn, each `fs[0]` (the floor) for about
/// 200 µs and the others as many times, after one warm-up of the last.
fn batches<const N: usize>(mut fs: [&mut dyn FnMut(); N]) -> impl Iterator<Item = [f64; N]> {
    let time = |f: &mut dyn FnMut(), n: u32| {
        let start = Instant::now();
        for _ in 0..n {
            f();
        }
        start.elapsed().as_secs_f64()
    };
    let per_call = time(fs[0], 100) / 100.0;
    let n = ((200e-6 / per_call) as u32).clamp(1, 100_000);
    time(fs[N - 1], n);
    let rounds: Vec<[f64; N]> = (0..101)
        .map(|_| std::array::from_fn(|i| time(fs[i], n)))
        .collect();
    rounds.into_iter()
}

fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The floor of `case` once: one bare HMAC of the signed string (and the
/// SHA-256 of a body signed through `bodySHA256`).
fn floor_once(case: &Case, signed: &[u8]) {
    black_box(bare_hmac(
        case.algorithm,
        case.secret.as_bytes(),
        black_box(signed),
    ));
    if !case.is_form() {
        black_box(Sha256::digest(black_box(&case.body)));
    }
}

/// What the layer adds to a request, as a multiple of the floor: floor,
/// the inner service alone and the layer around it timed in alternating
/// batches (each request built in the loop for both services), the median
/// of the per-batch `(layer - inner alone) / floor`; for the right
/// signature and for a wrong one.
fn paired_layer_ratios(case: &Case) -> (f64, f64) {
    let signed = case.signed_string();
    let floor = || floor_once(case, &signed);
    let answer = |_: Request<ValidatedBody>| async {
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"<Response/>"))))
    };
    let mut bare = tower::service_fn(|_: Request<Full<Bytes>>| async {
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"<Response/>"))))
    });
    let layer = TwilioValidateLayer::with_validator(validator()).base_url(BASE_URL);
    let mut layered = tower::ServiceBuilder::new()
        .layer(layer)
        .service(tower::service_fn(answer));
    let mut ratio = |signature: &str, status: u16| {
        let run_bare = || {
            let res = poll_now(bare.call(case.request(signature))).unwrap();
            black_box(res);
        };
        let run_layer = || {
            assert_eq!(
                call(&mut layered, case.request::<Full<Bytes>>(signature)),
                status
            )
        };
        let (mut floor, mut run_bare, mut run_layer) = (floor, run_bare, run_layer);
        median(batches([&mut floor, &mut run_bare, &mut run_layer]).map(|[f, b, l]| (l - b) / f))
    };
    (
        ratio(&case.signature(), 200),
        ratio(&case.wrong_signature(), 403),
    )
}

/// The paired ratios of `validate` accept and reject to the floor.
fn paired_ratios(case: &Case) -> (f64, f64) {
    let validator = validator();
    let url = case.url();
    let (signature, wrong) = (case.signature(), case.wrong_signature());
    let params = case.params();
    let signed = case.signed_string();
    let accept = signed_request(case, &url, &signature, &params);
    let reject = signed_request(case, &url, &wrong, &params);
    let floor = || floor_once(case, &signed);
    let accept_ratio = paired_ratio(floor, || {
        black_box(validator.validate(black_box(&accept)).is_ok());
    });
    let reject_ratio = paired_ratio(floor, || {
        black_box(validator.validate(black_box(&reject)).is_err());
    });
    (accept_ratio, reject_ratio)
}

fn main() {
    let started = SystemTime::now();
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
        .configure_from_args();
    let cases = Case::all();
    for case in &cases {
        bench_case(&mut c, case);
    }
    c.final_summary();
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--test" || a == "--list") {
        print_ratios(&cases, started);
    }
}

/// Where criterion wrote its estimates (it follows the same rule).
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return home.into();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        // The workspace's target directory, one up from this package.
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("criterion")
}

/// The median of one benchmark of this run (not an earlier one), in
/// nanoseconds.
fn median_ns(group: &str, bench: &str, started: SystemTime) -> Option<f64> {
    let path = criterion_dir()
        .join(group)
        .join(bench)
        .join("new")
        .join("estimates.json");
    let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
    if modified < started {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["median"]["point_estimate"].as_f64()
}

fn print_ratios(cases: &[Case], started: SystemTime) {
    println!();
    println!("Medians of this run, and each as a multiple of `floor` (one bare HMAC");
    println!("over the signed string, plus SHA-256 of the body for json_64k):");
    println!();
    print!("{:<20}", "request");
    for bench in BENCHES {
        print!(" {:>27}", bench);
    }
    println!();
    for case in cases {
        let Some(floor) = median_ns(case.name, "floor", started) else {
            continue;
        };
        print!("{:<20}", case.name);
        for bench in BENCHES {
            match median_ns(case.name, bench, started) {
                Some(ns) => print!(" {:>27}", format!("{} ({:.2}x)", human(ns), ns / floor)),
                None => print!(" {:>27}", "-"),
            }
        }
        println!();
    }
    println!();
    println!("Targets: validate_accept <= 1.5x floor; validate_reject <= 4x floor.");
    println!("`medians`: criterion's medians above; `paired`: floor and validate timed in");
    println!("alternating batches right now, median of 101 per-batch ratios (robust to load).");
    let verdict = |ratio: f64, target: f64| if ratio <= target { "met" } else { "NOT MET" };
    for case in cases {
        let (Some(floor), Some(accept), Some(reject)) = (
            median_ns(case.name, "floor", started),
            median_ns(case.name, "validate_accept", started),
            median_ns(case.name, "validate_reject", started),
        ) else {
            continue;
        };
        let (paired_accept, paired_reject) = paired_ratios(case);
        println!(
            "{:<20} accept: medians {:.2}x, paired {:.2}x ({});  reject: medians {:.2}x, paired {:.2}x ({})",
            case.name,
            accept / floor,
            paired_accept,
            verdict(paired_accept, 1.5),
            reject / floor,
            paired_reject,
            verdict(paired_reject, 4.0),
        );
    }
    println!();
    println!("What the layer adds (layer minus the inner service alone, each request built");
    println!("in the loop for both), paired with the floor as above. Targets: accept <= 2x,");
    println!("reject <= 3x.");
    for case in cases {
        if median_ns(case.name, "floor", started).is_none() {
            continue;
        }
        let (accept, reject) = paired_layer_ratios(case);
        println!(
            "{:<20} layer accept: paired {:.2}x ({});  layer reject: paired {:.2}x ({})",
            case.name,
            accept,
            verdict(accept, 2.0),
            reject,
            verdict(reject, 3.0),
        );
    }
}

fn human(ns: f64) -> String {
    if ns >= 1000.0 {
        format!("{:.2} µs", ns / 1000.0)
    } else {
        format!("{ns:.0} ns")
    }
}
