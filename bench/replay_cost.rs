//! What the replay guard adds to a request, in process, as ratios to the
//! layer without it, in one run:
//! `cargo run --release -p tower-twilio-bench --features redis --example replay_cost`.
//!
//! Each configuration serves the typical inbound-call webhook (28 fields)
//! through an axum router with `oneshot`: the validate layer alone, with the
//! guard over a `MemoryStore`, and with the guard over a `RedisStore` on a
//! `redis-server` this program starts on loopback (skipped if there is
//! none). First arrivals carry a distinct `CallSid` each (the guard claims,
//! calls the handler and records); copies are the same request again (the
//! guard answers from the store). Rounds alternate between configurations
//! and the median of 5 is reported. The figures are in BENCHMARKS.md.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::routing::post;
use axum::Router;
use tower::ServiceExt;
use tower_twilio::replay::{RedisStore, ReplayGuardLayer};
use tower_twilio::twiml::Twiml;
use tower_twilio::{Signer, TwilioValidateLayer};
use tower_twilio_bench::{AUTH_TOKEN, BASE_URL, INBOUND_CALL, VOICE_PATH};

const PER_ROUND: usize = 5_000;
const ROUNDS: usize = 5;

fn router(guard: Option<ReplayGuardLayer>) -> Router {
    let routes = Router::new().route(
        VOICE_PATH,
        post(|| async { Twiml::new("<Response><Say>Hello</Say></Response>") }),
    );
    let routes = match guard {
        Some(guard) => routes.layer(guard),
        None => routes,
    };
    routes.layer(TwilioValidateLayer::new(AUTH_TOKEN).base_url(BASE_URL))
}

/// The inbound call with call number `n`, signed.
fn request(n: usize) -> http::Request<Body> {
    let body = INBOUND_CALL.replace(
        "CallSid=CA9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b",
        &format!("CallSid=CA{n:032}"),
    );
    let mut req = http::Request::post(VOICE_PATH)
        .header("host", "example.com")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.into_bytes())
        .unwrap();
    Signer::new(AUTH_TOKEN, BASE_URL).sign(&mut req);
    req.map(Body::from)
}

/// Microseconds per request to answer `requests` (all must get a 200).
async fn time(app: &Router, requests: Vec<http::Request<Body>>) -> f64 {
    let n = requests.len();
    let start = Instant::now();
    for req in requests {
        let res = app.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), 200);
    }
    start.elapsed().as_secs_f64() * 1e6 / n as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn start_redis() -> Option<(std::process::Child, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .spawn()
        .ok()?;
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some((child, format!("redis://127.0.0.1:{port}")));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let redis = start_redis();
    let mut configs = vec![
        ("layer alone", router(None)),
        ("guard, memory", router(Some(ReplayGuardLayer::in_memory()))),
    ];
    if let Some((_, url)) = &redis {
        let store = RedisStore::connect(url).await.unwrap();
        configs.push(("guard, redis", router(Some(ReplayGuardLayer::new(store)))));
    } else {
        println!("no redis-server to start: the Redis figures are skipped");
    }
    let mut first = vec![Vec::new(); configs.len()];
    let mut copies = vec![Vec::new(); configs.len()];
    let mut next = 0;
    for _ in 0..ROUNDS {
        for (i, (_, app)) in configs.iter().enumerate() {
            let batch: Vec<_> = (next..next + PER_ROUND).map(request).collect();
            next += PER_ROUND;
            first[i].push(time(app, batch).await);
            // The same request again and again: answered by the guard.
            let seen = next - 1;
            let batch: Vec<_> = (0..PER_ROUND).map(|_| request(seen)).collect();
            copies[i].push(time(app, batch).await);
        }
    }
    let base = median(first[0].clone());
    println!("{PER_ROUND} requests a round, median of {ROUNDS} alternating rounds");
    for (i, (name, _)) in configs.iter().enumerate() {
        let (f, c) = (median(first[i].clone()), median(copies[i].clone()));
        println!(
            "{name:>14}: first arrival {f:6.2} us ({:.2}x the layer alone), copy {c:6.2} us ({:.2}x)",
            f / base,
            c / base
        );
    }
    if let Some((mut child, _)) = redis {
        let _ = child.kill();
        let _ = child.wait();
    }
}
