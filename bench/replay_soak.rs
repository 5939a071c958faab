//! The client of `bench/replay_soak.sh`: mixed traffic against two
//! instances of `replay_soak_server` that share one Redis, while it pauses
//! (SIGSTOP), resumes, kills and restarts that Redis; then a report.
//!
//! Environment: `SOAK_SECS` (default 150); `INSTANCES` (two addresses,
//! comma-separated), `INSTANCE_PIDS` (theirs, for RSS), `REDIS_PID`,
//! `REDIS_PORT` and `REDIS_PIDFILE` (where the pid of the Redis it restarts
//! goes, for the script to stop it).
//!
//! Timeline, in fractions of `SOAK_SECS`: Redis up until 0.35, paused until
//! 0.45, up until 0.60, killed until 0.70, then a new, empty Redis.
//!
//! Traffic: three tenants' genuine webhooks (new `MessageSid`s, some with a
//! body that trickles in over a second) to either instance; copies of
//! genuine webhooks answered in the same Redis lifetime, sent to both
//! instances; a fourth tenant flooding its own valid webhooks; forged
//! (wrong signature) and oversized (`Content-Length` over 64 KiB) requests.
//! A copy is never taken across a Redis restart (the new Redis is empty, as
//! SECURITY.md says), so every `MessageSid` handled twice is a duplicate
//! the guard let through.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower_twilio::{compute_signature, Algorithm};

const BASE: &str = "https://hooks.example.com";
const UP: u8 = 0;
const PAUSED: u8 = 1;
const DOWN: u8 = 2;
/// Up again, for the first 5 s after a resume or a restart: the instances'
/// connections reconnect and Redis works off what queued while paused.
const RECOVERING: u8 = 3;
const STATES: [&str; 4] = ["up", "paused", "down", "recovering"];

/// Redis's state and lifetime (a new one after each restart).
#[derive(Default)]
struct Redis {
    state: AtomicU8,
    epoch: AtomicU64,
}

impl Redis {
    fn now(&self) -> (u8, u64) {
        (
            self.state.load(Ordering::SeqCst),
            self.epoch.load(Ordering::SeqCst),
        )
    }
}

#[derive(Default)]
struct Stats {
    /// (class, Redis state while it was sent and answered or "changed") -> status -> count.
    counts: BTreeMap<(&'static str, &'static str), BTreeMap<u16, u64>>,
    /// Genuine webhooks answered 200, with the lifetime they were answered in.
    answered: Vec<(Vec<u8>, u64)>,
}

struct Shared {
    instances: Vec<SocketAddr>,
    redis: Redis,
    stats: Mutex<Stats>,
    next: AtomicU64,
}

fn account(n: usize) -> String {
    format!("AC{n:032}")
}

/// `tenant`'s signed webhook `sid`, as raw HTTP/1.1 (one request a
/// connection); `forged` signs with the wrong token.
fn webhook(tenant: usize, sid: &str, forged: bool) -> (Vec<u8>, Vec<u8>) {
    let account = account(tenant);
    let fields = [
        ("AccountSid", account.as_str()),
        ("MessageSid", sid),
        ("From", "+14155550100"),
        ("Body", "soak"),
    ];
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let token = if forged {
        "not-the-token".to_owned()
    } else {
        format!("soak-token-{tenant}")
    };
    let signature = compute_signature(&token, Algorithm::HmacSha1, &format!("{BASE}/sms"), &fields);
    let head = format!(
        "POST /sms HTTP/1.1\r\nHost: hooks.example.com\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         X-Twilio-Signature: {signature}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    (head.into_bytes(), body.into_bytes())
}

/// Sends `head` then `body` (in three pieces over a second when `slow`),
/// and reads the status (a 503 by its reason: 5031, 5032, 5033); 0 for a
/// connection that failed.
async fn send(addr: SocketAddr, head: &[u8], body: &[u8], slow: bool) -> u16 {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.ok()?;
        stream.write_all(head).await.ok()?;
        if slow {
            for piece in body.chunks(body.len().div_ceil(3)) {
                stream.write_all(piece).await.ok()?;
                tokio::time::sleep(Duration::from_millis(330)).await;
            }
        } else {
            stream.write_all(body).await.ok()?;
        }
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        let line = std::str::from_utf8(answer.get(..12)?).ok()?;
        let status: u16 = line.get(9..12)?.parse().ok()?;
        // The guard's 503s, by reason (SOAK_503 below).
        let text = String::from_utf8_lossy(&answer);
        Some(match status {
            503 if text.contains("account's share") => 5031,
            503 if text.contains("store full") => 5032,
            503 if text.contains("store unavailable") => 5033,
            status => status,
        })
    };
    tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .ok()
        .flatten()
        .unwrap_or(0)
}

impl Shared {
    fn pick(&self, n: u64) -> SocketAddr {
        self.instances[(n % 2) as usize]
    }

    fn record(&self, class: &'static str, before: (u8, u64), status: u16) {
        let after = self.redis.now();
        let state = if before == after {
            STATES[before.0 as usize]
        } else {
            "changed"
        };
        let mut stats = self.stats.lock().unwrap();
        *stats
            .counts
            .entry((class, state))
            .or_default()
            .entry(status)
            .or_default() += 1;
    }
}

#[derive(Clone, Copy)]
enum Worker {
    Genuine { slow: bool },
    Copy,
    Flood,
    Forged,
    Oversized,
}

async fn worker(kind: Worker, shared: Arc<Shared>, deadline: Instant, id: u64) {
    let mut n = id;
    while Instant::now() < deadline {
        n = n
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let seq = shared.next.fetch_add(1, Ordering::Relaxed);
        let before = shared.redis.now();
        match kind {
            Worker::Genuine { slow } => {
                let tenant = (n >> 33) as usize % 3;
                let (head, body) = webhook(tenant, &format!("SMg{seq}"), false);
                let status = send(shared.pick(n >> 40), &head, &body, slow).await;
                let class = if slow { "genuine_slow" } else { "genuine" };
                shared.record(class, before, status);
                if status == 200 {
                    let mut request = head;
                    request.extend_from_slice(&body);
                    let mut stats = shared.stats.lock().unwrap();
                    if stats.answered.len() < 100_000 {
                        stats.answered.push((request, before.1));
                    }
                }
            }
            Worker::Copy => {
                let copy = {
                    let stats = shared.stats.lock().unwrap();
                    let len = stats.answered.len();
                    (len > 0)
                        .then(|| stats.answered[(n >> 33) as usize % len].clone())
                        .filter(|(_, epoch)| *epoch == before.1)
                };
                let Some((request, _)) = copy else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                for addr in shared.instances.clone() {
                    let status = send(addr, &request, &[], false).await;
                    shared.record("copy", before, status);
                }
            }
            Worker::Flood => {
                let (head, body) = webhook(3, &format!("SMf{seq}"), false);
                let status = send(shared.pick(n >> 40), &head, &body, false).await;
                shared.record("flooding_tenant", before, status);
            }
            Worker::Forged => {
                let (head, body) = webhook((n >> 33) as usize % 3, &format!("SMx{seq}"), true);
                let status = send(shared.pick(n >> 40), &head, &body, false).await;
                shared.record("forged", before, status);
            }
            Worker::Oversized => {
                let head = "POST /sms HTTP/1.1\r\nHost: hooks.example.com\r\n\
                    Content-Type: application/x-www-form-urlencoded\r\n\
                    X-Twilio-Signature: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\
                    Content-Length: 1048576\r\nConnection: close\r\n\r\n";
                let status =
                    send(shared.pick(n >> 40), head.as_bytes(), &[b'a'; 4096], false).await;
                shared.record("oversized", before, status);
            }
        }
    }
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn signal(pid: u32, signal: &str) {
    let _ = std::process::Command::new("kill")
        .args([signal, &pid.to_string()])
        .status();
}

async fn handled(addr: SocketAddr) -> Vec<String> {
    let mut stream = TcpStream::connect(addr).await.expect("the instance is up");
    stream
        .write_all(b"GET /handled HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    body.lines()
        .filter(|l| l.starts_with("SM"))
        .map(str::to_owned)
        .collect()
}

#[tokio::main]
async fn main() {
    let env = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name}"));
    let secs: f64 = std::env::var("SOAK_SECS").map_or(150.0, |s| s.parse().unwrap());
    let instances: Vec<SocketAddr> = env("INSTANCES")
        .split(',')
        .map(|a| a.parse().unwrap())
        .collect();
    assert!(instances.iter().all(|a| a.ip().is_loopback()));
    let pids: Vec<u32> = env("INSTANCE_PIDS")
        .split(',')
        .map(|p| p.parse().unwrap())
        .collect();
    let mut redis_pid: u32 = env("REDIS_PID").parse().unwrap();
    let redis_port = env("REDIS_PORT");
    let pidfile = env("REDIS_PIDFILE");

    let shared = Arc::new(Shared {
        instances,
        redis: Redis::default(),
        stats: Mutex::default(),
        next: AtomicU64::new(0),
    });
    let idle_start: Vec<Option<u64>> = pids.iter().map(|&p| rss_kib(p)).collect();
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(secs);
    let mut tasks = Vec::new();
    let workers = [
        (Worker::Genuine { slow: false }, 12),
        (Worker::Genuine { slow: true }, 4),
        (Worker::Copy, 8),
        (Worker::Flood, 8),
        (Worker::Forged, 4),
        (Worker::Oversized, 2),
    ];
    let mut id = 1;
    for (kind, n) in workers {
        for _ in 0..n {
            id += 1;
            tasks.push(tokio::spawn(worker(
                kind,
                shared.clone(),
                deadline,
                id * 7919,
            )));
        }
    }
    let at = |fraction: f64| started + Duration::from_secs_f64(secs * fraction);
    let mut events = vec![
        (at(0.35), "pause"),
        (at(0.45), "resume"),
        (at(0.60), "kill"),
        (at(0.70), "restart"),
    ]
    .into_iter()
    .peekable();
    let mut restarted: Option<std::process::Child> = None;
    let mut recovered: Option<Instant> = None;
    let mut peak: Vec<u64> = vec![0; pids.len()];
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        for (peak, &pid) in peak.iter_mut().zip(&pids) {
            *peak = (*peak).max(rss_kib(pid).unwrap_or(0));
        }
        while events
            .peek()
            .is_some_and(|(when, _)| *when <= Instant::now())
        {
            let (_, event) = events.next().unwrap();
            let t = started.elapsed().as_secs_f64();
            println!("replay soak: {t:5.1} s: Redis {event}");
            let redis = &shared.redis;
            match event {
                "pause" => {
                    redis.state.store(PAUSED, Ordering::SeqCst);
                    signal(redis_pid, "-STOP");
                }
                "resume" => {
                    signal(redis_pid, "-CONT");
                    redis.state.store(RECOVERING, Ordering::SeqCst);
                    recovered = Some(Instant::now() + Duration::from_secs(5));
                }
                "kill" => {
                    redis.state.store(DOWN, Ordering::SeqCst);
                    redis.epoch.fetch_add(1, Ordering::SeqCst);
                    signal(redis_pid, "-KILL");
                }
                _ => {
                    let child = std::process::Command::new("redis-server")
                        .args(["--port", &redis_port, "--bind", "127.0.0.1"])
                        .args(["--save", "", "--appendonly", "no"])
                        .args(["--maxmemory", "256mb", "--maxmemory-policy", "noeviction"])
                        .stdout(std::process::Stdio::null())
                        .spawn()
                        .expect("redis-server");
                    redis_pid = child.id();
                    std::fs::write(&pidfile, redis_pid.to_string()).unwrap();
                    restarted = Some(child);
                    while TcpStream::connect(("127.0.0.1", redis_port.parse::<u16>().unwrap()))
                        .await
                        .is_err()
                    {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    redis.state.store(RECOVERING, Ordering::SeqCst);
                    recovered = Some(Instant::now() + Duration::from_secs(5));
                }
            }
        }
        if recovered.is_some_and(|at| at <= Instant::now()) {
            recovered = None;
            shared.redis.state.store(UP, Ordering::SeqCst);
        }
    }
    for task in tasks {
        task.await.expect("a worker panicked");
    }
    let elapsed = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_end: Vec<Option<u64>> = pids.iter().map(|&p| rss_kib(p)).collect();

    let mut times: HashMap<String, u64> = HashMap::new();
    let mut total = 0;
    for &addr in &shared.instances {
        for sid in handled(addr).await {
            total += 1;
            *times.entry(sid).or_default() += 1;
        }
    }
    let twice = times.values().filter(|&&n| n > 1).count();
    if let Some(mut redis) = restarted {
        let _ = redis.kill();
        let _ = redis.wait();
    }
    let stats = shared.stats.lock().unwrap();
    println!("\nreplay soak: {elapsed:.0} s, two instances, one Redis\n");
    println!("{:<18} {:<10} statuses (5031: 503 account over budget, 5032: 503 store full, 5033: 503 store unavailable)", "class", "Redis");
    for ((class, state), statuses) in &stats.counts {
        let statuses: Vec<String> = statuses.iter().map(|(s, n)| format!("{s}: {n}")).collect();
        println!("{class:<18} {state:<10} {}", statuses.join(", "));
    }
    let count = |class: &str, state: &str, pred: &dyn Fn(u16) -> bool| -> u64 {
        stats
            .counts
            .iter()
            .filter(|((c, s), _)| c.starts_with(class) && *s == state)
            .flat_map(|(_, st)| st.iter())
            .filter(|(s, _)| pred(**s))
            .map(|(_, n)| n)
            .sum()
    };
    let genuine_handled: u64 = STATES
        .iter()
        .chain(&["changed"])
        .map(|state| count("genuine", state, &|s| s == 200))
        .sum();
    let refused_recovering = count("genuine", "recovering", &|s| s != 200);
    let refused_up = count("genuine", "up", &|s| s != 200);
    let unavailable = |s: u16| s / 10 == 503;
    let unavailable_down = count("genuine", "down", &unavailable)
        + count("genuine", "paused", &unavailable)
        + count("copy", "down", &unavailable)
        + count("copy", "paused", &unavailable);
    println!("\ngenuine webhooks handled: {genuine_handled}");
    println!("handler runs recorded by the instances: {total}");
    println!("MessageSids handled more than once: {twice}");
    println!("genuine webhooks refused while Redis was up: {refused_up}");
    println!("genuine webhooks refused in the 5 s after a resume or restart: {refused_recovering}");
    println!("503s (genuine and copies) while Redis was paused or down: {unavailable_down}");
    for (i, pid) in pids.iter().enumerate() {
        println!(
            "instance {i} (pid {pid}): RSS idle at start {} KiB, peak {} KiB, idle at end {} KiB",
            idle_start[i].unwrap_or(0),
            peak[i],
            idle_end[i].unwrap_or(0)
        );
    }
    let ok = twice == 0 && refused_up == 0;
    println!("{}", if ok { "PASS" } else { "FAIL" });
    std::process::exit(if ok { 0 } else { 1 });
}
