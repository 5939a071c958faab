//! The client of `bench/soak.sh`: mixed traffic against the example server
//! (`examples/server.rs`) on 127.0.0.1, many connections at once, for a
//! bounded time; then a report and a verdict.
//!
//! ```text
//! cargo run --release --example soak -- 127.0.0.1:3000 <server pid>
//! ```
//!
//! Environment: `SOAK_SECS` (default 60) of traffic after `SOAK_WARMUP_SECS`
//! (default 15) of the same traffic; `TWILIO_AUTH_TOKEN`, `TWILIO_BASE_URL`,
//! `TWILIO_WEBHOOK_USER` and `TWILIO_WEBHOOK_PASSWORD` as the server has them
//! (Basic authentication).
//!
//! Traffic classes and what each must get:
//! - `valid`: a signed form POST with credentials, on kept-alive
//!   connections: 200.
//! - `forged`: a wrong signature, a changed field, or a signature for another
//!   URL, with credentials, on kept-alive connections: 403 (401 or 413 would
//!   also be a refusal).
//! - `unauthenticated`: no credentials or a wrong password: 401.
//! - `oversized`: a `Content-Length` over the 1 MiB limit, sent with
//!   `Expect: 100-continue` as curl does, or a chunked body that passes the
//!   limit while the client watches for the answer: 413.
//! - `slow`: a valid request whose body trickles in over about a second: 200.
//! - `stalled`: a client that sends half its body and stops: 408 after the
//!   body read timeout.
//!
//! A connection reset, or an end of stream before a complete response, is
//! counted against the class it happened in. The RSS of the server is read
//! from `/proc/<pid>/status` before any traffic, after the warm-up and at
//! the end.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower_twilio::Signer;

const CLASSES: [&str; 6] = [
    "valid",
    "forged",
    "unauthenticated",
    "oversized",
    "slow",
    "stalled",
];
const LIMIT: usize = 1024 * 1024;

/// Connections at once, per kind of worker.
const FAST_WORKERS: usize = 64;
const OVERSIZED_WORKERS: usize = 4;
const SLOW_WORKERS: usize = 8;
const STALLED_WORKERS: usize = 8;

struct Config {
    addr: SocketAddr,
    signer: Signer,
    other_signer: Signer,
    basic: String,
    wrong_basic: String,
}

#[derive(Default)]
struct ClassStats {
    requests: u64,
    statuses: BTreeMap<u16, u64>,
    errors: BTreeMap<String, u64>,
    /// Time from the last byte sent to the response, in milliseconds.
    slowest_ms: u64,
}

#[derive(Default)]
struct Stats {
    classes: BTreeMap<&'static str, ClassStats>,
}

type Shared = Arc<Mutex<Stats>>;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let addr: SocketAddr = args
        .next()
        .unwrap_or_else(|| "127.0.0.1:3000".into())
        .parse()
        .expect("the first argument is the server's address, such as 127.0.0.1:3000");
    assert!(
        addr.ip().is_loopback(),
        "the soak test only ever targets a loopback address"
    );
    let pid: Option<u32> = args.next().map(|p| p.parse().expect("a pid"));
    let env = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    let secs: u64 = env("SOAK_SECS", "60").parse().expect("SOAK_SECS");
    let warmup: u64 = env("SOAK_WARMUP_SECS", "15")
        .parse()
        .expect("SOAK_WARMUP_SECS");
    let token = env("TWILIO_AUTH_TOKEN", "soak-auth-token");
    let base = env("TWILIO_BASE_URL", &format!("http://{addr}"));
    let user = env("TWILIO_WEBHOOK_USER", "twilio");
    let password = env("TWILIO_WEBHOOK_PASSWORD", "soak-password");
    let basic = |user: &str, password: &str| {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        format!("Basic {encoded}")
    };
    let config = Arc::new(Config {
        addr,
        signer: Signer::new(token.as_str(), base.as_str()),
        other_signer: Signer::new(token.as_str(), "https://elsewhere.example"),
        basic: basic(&user, &password),
        wrong_basic: basic(&user, "not-the-password"),
    });

    let rss_start = pid.and_then(rss_kib);
    println!(
        "soak: {warmup} s of warm-up, then {secs} s of traffic against {addr}, \
         {} connections at once",
        FAST_WORKERS + OVERSIZED_WORKERS + SLOW_WORKERS + STALLED_WORKERS
    );
    // RSS is read when the server is idle: after the warm-up's requests have
    // all been answered, and after the main run's.
    let (warm_stats, _, warm_elapsed) = phase(&config, warmup, None).await;
    let rss_warm = idle_rss(pid).await;
    let (stats, samples, elapsed) = phase(&config, secs, pid).await;
    let rss_end = idle_rss(pid).await;

    println!("\nwarm-up ({:.1} s):", warm_elapsed.as_secs_f64());
    let warm_ok = report(&warm_stats, warm_elapsed);
    println!("\nmain run ({:.1} s):", elapsed.as_secs_f64());
    let run_ok = report(&stats, elapsed);
    let rss_ok = report_rss(rss_start, rss_warm, rss_end, &samples);
    let ok = warm_ok && run_ok && rss_ok;
    if ok {
        println!(
            "PASS: no 5xx, no reset or early end of stream, every valid request 200, \
             every refused one as expected, RSS within 10%"
        );
    }
    std::process::exit(if ok { 0 } else { 1 });
}

/// Runs every worker until `secs` have passed and every request started has
/// been answered; samples the server's RSS every 5 s.
async fn phase(config: &Arc<Config>, secs: u64, pid: Option<u32>) -> (Stats, Vec<u64>, Duration) {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    let stats: Shared = Arc::default();
    let seed = AtomicU64::new(0x5eed ^ secs);
    let mut tasks = Vec::new();
    let mut spawn = |kind: Worker, n: usize| {
        for _ in 0..n {
            let (config, stats) = (config.clone(), stats.clone());
            let rng = Rng(seed.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed) | 1);
            tasks.push(tokio::spawn(worker(kind, config, stats, deadline, rng)));
        }
    };
    spawn(Worker::Fast, FAST_WORKERS);
    spawn(Worker::Oversized, OVERSIZED_WORKERS);
    spawn(Worker::Slow, SLOW_WORKERS);
    spawn(Worker::Stalled, STALLED_WORKERS);
    let mut samples = Vec::new();
    if let Some(pid) = pid {
        while Instant::now() + Duration::from_secs(5) <= deadline {
            tokio::time::sleep(Duration::from_secs(5)).await;
            samples.push(rss_kib(pid).unwrap_or(0));
        }
    }
    for task in tasks {
        task.await.expect("a worker panicked");
    }
    let elapsed = started.elapsed();
    let stats = std::mem::take(&mut *stats.lock().unwrap());
    (stats, samples, elapsed)
}

/// The server's RSS once it has had a second with no request.
async fn idle_rss(pid: Option<u32>) -> Option<u64> {
    tokio::time::sleep(Duration::from_secs(1)).await;
    pid.and_then(rss_kib)
}

#[derive(Clone, Copy)]
enum Worker {
    Fast,
    Oversized,
    Slow,
    Stalled,
}

async fn worker(kind: Worker, config: Arc<Config>, stats: Shared, deadline: Instant, mut rng: Rng) {
    let mut kept: Option<TcpStream> = None;
    // A request started before the deadline is seen through, so a phase
    // ends up to one body read timeout after it, when the last stalled
    // client has been answered.
    while Instant::now() < deadline {
        let (class, outcome) = match kind {
            Worker::Fast => match rng.below(100) {
                0..=59 => ("valid", valid(&config, &mut kept, &mut rng).await),
                60..=84 => ("forged", forged(&config, &mut kept, &mut rng).await),
                _ => ("unauthenticated", unauthenticated(&config, &mut rng).await),
            },
            Worker::Oversized => ("oversized", oversized(&config, &mut rng).await),
            Worker::Slow => ("slow", slow(&config, &mut rng).await),
            Worker::Stalled => ("stalled", stalled(&config, &mut rng).await),
        };
        let mut stats = stats.lock().unwrap();
        let class = stats.classes.entry(class).or_default();
        class.requests += 1;
        match outcome {
            Ok((status, waited)) => {
                *class.statuses.entry(status).or_default() += 1;
                class.slowest_ms = class.slowest_ms.max(waited.as_millis() as u64);
            }
            Err(error) => *class.errors.entry(error).or_default() += 1,
        }
    }
}

type Outcome = Result<(u16, Duration), String>;

/// A form body like Twilio's, different each time.
fn form_body(rng: &mut Rng) -> String {
    format!(
        "CallSid=CA{:032x}&AccountSid=AC{:032x}&From=%2B1415555{:04}&To=%2B18005551212\
         &CallStatus=ringing&Digits={}&Body=Hello+%26+caf%C3%A9+%F0%9F%93%9E",
        rng.next() as u128 * 31,
        rng.next() as u128 * 17,
        rng.below(10_000),
        rng.below(1_000_000)
    )
}

fn path(rng: &mut Rng) -> &'static str {
    if rng.below(2) == 0 {
        "/voice"
    } else {
        "/sms"
    }
}

/// A signed request's head and body, with `extra` headers.
fn signed(
    config: &Config,
    signer: &Signer,
    path: &str,
    body: String,
    extra: &[(&str, &str)],
) -> (String, String) {
    let mut req = http::Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .unwrap();
    signer.sign(&mut req);
    let signature = req.headers()["x-twilio-signature"]
        .to_str()
        .unwrap()
        .to_owned();
    let body = req.into_body();
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nhost: {}\r\ncontent-type: application/x-www-form-urlencoded\r\n\
         x-twilio-signature: {signature}\r\n",
        config.addr
    );
    for (name, value) in extra {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    (head, body)
}

fn with_length(head: &str, length: usize) -> String {
    format!("{head}content-length: {length}\r\n\r\n")
}

async fn valid(config: &Config, kept: &mut Option<TcpStream>, rng: &mut Rng) -> Outcome {
    let (head, body) = signed(
        config,
        &config.signer,
        path(rng),
        form_body(rng),
        &[("authorization", &config.basic)],
    );
    let request = with_length(&head, body.len()) + &body;
    on_kept_alive(config, kept, request.as_bytes()).await
}

async fn forged(config: &Config, kept: &mut Option<TcpStream>, rng: &mut Rng) -> Outcome {
    let auth = [("authorization", config.basic.as_str())];
    let (head, body) = match rng.below(3) {
        // Someone else's signature: Twilio's, for another URL.
        0 => signed(
            config,
            &config.other_signer,
            path(rng),
            form_body(rng),
            &auth,
        ),
        // A field changed after signing.
        1 => {
            let (head, body) = signed(config, &config.signer, path(rng), form_body(rng), &auth);
            (head, body.replace("Digits=", "Digits=9"))
        }
        // A made-up signature.
        _ => {
            let (head, body) = signed(config, &config.signer, path(rng), form_body(rng), &auth);
            let forged = base64::engine::general_purpose::STANDARD
                .encode(&rng.next().to_be_bytes().repeat(3)[..20]);
            let start = head.find("x-twilio-signature: ").unwrap() + 20;
            let end = start + head[start..].find('\r').unwrap();
            (format!("{}{forged}{}", &head[..start], &head[end..]), body)
        }
    };
    let request = with_length(&head, body.len()) + &body;
    on_kept_alive(config, kept, request.as_bytes()).await
}

async fn unauthenticated(config: &Config, rng: &mut Rng) -> Outcome {
    let mut extra = vec![("connection", "close")];
    if rng.below(2) == 0 {
        extra.push(("authorization", config.wrong_basic.as_str()));
    }
    let (head, body) = signed(config, &config.signer, path(rng), form_body(rng), &extra);
    let request = with_length(&head, body.len()) + &body;
    let mut stream = connect(config).await?;
    write(&mut stream, request.as_bytes()).await?;
    timed(read_response(&mut stream)).await
}

async fn oversized(config: &Config, rng: &mut Rng) -> Outcome {
    let auth = ("authorization", config.basic.as_str());
    let mut stream = connect(config).await?;
    if rng.below(2) == 0 {
        // As curl sends a large body: announce it and wait to be asked.
        let (head, _) = signed(
            config,
            &config.signer,
            "/voice",
            form_body(rng),
            &[auth, ("expect", "100-continue")],
        );
        let length = LIMIT + 1 + rng.below(4 * LIMIT as u64) as usize;
        write(&mut stream, with_length(&head, length).as_bytes()).await?;
        return timed(read_response(&mut stream)).await;
    }
    // A chunked body that passes the limit, sent until the server answers.
    let (head, _) = signed(
        config,
        &config.signer,
        "/voice",
        form_body(rng),
        &[auth, ("transfer-encoding", "chunked")],
    );
    write(&mut stream, format!("{head}\r\n").as_bytes()).await?;
    let (mut reader, mut writer) = stream.into_split();
    let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "a".repeat(64 * 1024));
    let sender = async move {
        for _ in 0..(2 * LIMIT / (64 * 1024)) {
            if writer.write_all(chunk.as_bytes()).await.is_err() {
                return;
            }
        }
        let _ = writer.write_all(b"0\r\n\r\n").await;
    };
    let sender = tokio::spawn(sender);
    let outcome = timed(read_response(&mut reader)).await;
    sender.abort();
    outcome
}

async fn slow(config: &Config, rng: &mut Rng) -> Outcome {
    let (head, body) = signed(
        config,
        &config.signer,
        path(rng),
        form_body(rng),
        &[("authorization", &config.basic), ("connection", "close")],
    );
    let mut stream = connect(config).await?;
    write(&mut stream, with_length(&head, body.len()).as_bytes()).await?;
    let pieces = 5;
    let step = body.len().div_ceil(pieces);
    for piece in body.as_bytes().chunks(step) {
        tokio::time::sleep(Duration::from_millis(150 + rng.below(100))).await;
        write(&mut stream, piece).await?;
    }
    timed(read_response(&mut stream)).await
}

async fn stalled(config: &Config, rng: &mut Rng) -> Outcome {
    let (head, body) = signed(
        config,
        &config.signer,
        path(rng),
        form_body(rng),
        &[("authorization", &config.basic)],
    );
    let mut stream = connect(config).await?;
    write(&mut stream, with_length(&head, body.len()).as_bytes()).await?;
    write(&mut stream, &body.as_bytes()[..body.len() / 2]).await?;
    // Keeps the connection open and silent until the server answers.
    timed(read_response(&mut stream)).await
}

async fn connect(config: &Config) -> Result<TcpStream, String> {
    let stream = TcpStream::connect(config.addr)
        .await
        .map_err(|e| format!("connect: {}", kind(&e)))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    Ok(stream)
}

async fn write(stream: &mut TcpStream, bytes: &[u8]) -> Result<(), String> {
    stream
        .write_all(bytes)
        .await
        .map_err(|e| format!("write: {}", kind(&e)))
}

/// Sends on the kept-alive connection, opening one when there is none and
/// dropping it when the server says it closes.
async fn on_kept_alive(config: &Config, kept: &mut Option<TcpStream>, request: &[u8]) -> Outcome {
    let mut stream = match kept.take() {
        Some(stream) => stream,
        None => connect(config).await?,
    };
    write(&mut stream, request).await?;
    let started = Instant::now();
    let (status, close) = read_response(&mut stream).await?;
    if !close {
        *kept = Some(stream);
    }
    Ok((status, started.elapsed()))
}

async fn timed(
    response: impl std::future::Future<Output = Result<(u16, bool), String>>,
) -> Outcome {
    let started = Instant::now();
    let (status, _) = response.await?;
    Ok((status, started.elapsed()))
}

/// Reads one final response (skipping `100 Continue`): its status, and
/// whether the server closes the connection after it.
async fn read_response<R: AsyncReadExt + Unpin>(stream: &mut R) -> Result<(u16, bool), String> {
    let mut buf = Vec::with_capacity(1024);
    loop {
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 4096];
            let n = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut chunk))
                .await
                .map_err(|_| "read: no response within 30 s".to_owned())?
                .map_err(|e| format!("read: {}", kind(&e)))?;
            if n == 0 {
                return Err("read: end of stream before a response".into());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
        let status: u16 = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("read: not a response: {head:?}"))?;
        let header = |name: &str| {
            head.lines()
                .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(':')))
                .map(str::trim)
        };
        let length: usize = header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let close = header("connection") == Some("close");
        buf.drain(..head_end);
        if status == 100 {
            continue;
        }
        while buf.len() < length {
            let mut chunk = [0u8; 4096];
            let n = stream
                .read(&mut chunk)
                .await
                .map_err(|e| format!("read body: {}", kind(&e)))?;
            if n == 0 {
                return Err("read body: end of stream in the body".into());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        return Ok((status, close));
    }
}

fn kind(error: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match error.kind() {
        ConnectionReset => "connection reset".into(),
        BrokenPipe => "broken pipe".into(),
        ConnectionRefused => "connection refused".into(),
        UnexpectedEof => "unexpected end of stream".into(),
        other => format!("{other:?}"),
    }
}

/// The resident set size of a process, in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Prints the table of one phase; false when something was not as expected.
fn report(stats: &Stats, elapsed: Duration) -> bool {
    let expected: BTreeMap<&str, &[u16]> = [
        ("valid", &[200][..]),
        ("forged", &[401, 403, 413][..]),
        ("unauthenticated", &[401][..]),
        ("oversized", &[413][..]),
        ("slow", &[200][..]),
        ("stalled", &[408][..]),
    ]
    .into();
    let mut failures = Vec::new();
    let mut total = 0;
    println!(
        "{:<16} {:>9}  {:<28} {:>10}  errors",
        "class", "requests", "statuses", "slowest"
    );
    for class in CLASSES {
        let Some(s) = stats.classes.get(class) else {
            println!("{class:<16} {:>9}", 0);
            continue;
        };
        total += s.requests;
        let statuses: Vec<String> = s.statuses.iter().map(|(k, v)| format!("{k}:{v}")).collect();
        let errors: Vec<String> = s.errors.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        println!(
            "{class:<16} {:>9}  {:<28} {:>8}ms  {}",
            s.requests,
            statuses.join(" "),
            s.slowest_ms,
            if errors.is_empty() {
                "none".into()
            } else {
                errors.join(", ")
            }
        );
        for (&status, &n) in &s.statuses {
            if status >= 500 {
                failures.push(format!("{n} {class} requests got {status}"));
            } else if !expected[class].contains(&status) {
                failures.push(format!(
                    "{n} {class} requests got {status}, expected {:?}",
                    expected[class]
                ));
            }
        }
        if !s.errors.is_empty() {
            failures.push(format!("{class}: {}", errors.join(", ")));
        }
    }
    let secs = elapsed.as_secs_f64();
    println!(
        "total: {total} requests in {secs:.1} s ({:.0}/s)",
        total as f64 / secs
    );
    let mut all: BTreeMap<u16, u64> = BTreeMap::new();
    for s in stats.classes.values() {
        for (status, n) in &s.statuses {
            *all.entry(*status).or_default() += n;
        }
    }
    println!("every status seen: {all:?}");
    for failure in &failures {
        println!("FAIL: {failure}");
    }
    failures.is_empty()
}

/// Prints the server's RSS; false when it grew or shrank more than 10%
/// between the idle moments after the warm-up and after the main run.
fn report_rss(start: Option<u64>, warm: Option<u64>, end: Option<u64>, samples: &[u64]) -> bool {
    let (Some(start), Some(warm), Some(end)) = (start, warm, end) else {
        println!("server RSS: not measured (no pid given)");
        return true;
    };
    let change = (end as f64 - warm as f64) / warm as f64 * 100.0;
    println!(
        "server RSS: {start} KiB at start, {warm} KiB idle after warm-up, {end} KiB idle at the end \
         ({change:+.1}%); under load, every 5 s: {samples:?} KiB"
    );
    if change.abs() > 10.0 {
        println!("FAIL: RSS changed {change:+.1}% since warm-up (limit 10%)");
        return false;
    }
    true
}

/// xorshift64: reproducible traffic without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
