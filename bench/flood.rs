//! The client of `bench/memory.sh`: holds CONNECTIONS requests open at once
//! against a `load_server`, each with a body of BODY_BYTES, all but its last
//! byte sent, reads the server's memory while they are all held, then sends
//! the last bytes and reads every status. Loopback only.
//!
//! ```text
//! flood PORT SERVER_PID CONNECTIONS BODY_BYTES (signed|unsigned|oversized|chunked)
//! ```
//!
//! - `signed`: a well-formed (wrong) `X-Twilio-Signature` and a
//!   `Content-Length` at the limit: the layer must buffer each body.
//! - `unsigned`: no signature header: refused before any body is buffered.
//! - `oversized`: a signature and a `Content-Length` one byte over the limit:
//!   refused before any body is buffered.
//! - `chunked`: a signature and the body chunked, one chunk of BODY_BYTES
//!   with no `Content-Length`: the layer reads it until its limit.
//!
//! Prints one line: `FLOOD mode=.. connections=.. body_bytes=..
//! rss_before_kib=.. rss_held_kib=.. hwm_kib=.. rss_after_kib=..
//! statuses=..`, where `rss_after_kib` is the server's RSS once every
//! connection has its answer.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::time::timeout;

use tower_twilio_bench as fixtures;

fn usage() -> ! {
    eprintln!(
        "usage: flood PORT SERVER_PID CONNECTIONS BODY_BYTES (signed|unsigned|oversized|chunked)"
    );
    std::process::exit(2)
}

/// `VmRSS` and `VmHWM` of a process, in KiB.
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the server runs");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 5 {
        usage();
    }
    let port: u16 = args[0].parse().unwrap_or_else(|_| usage());
    let pid: u32 = args[1].parse().unwrap_or_else(|_| usage());
    let connections: usize = args[2].parse().unwrap_or_else(|_| usage());
    let body_bytes: usize = args[3].parse().unwrap_or_else(|_| usage());
    let mode = args[4].clone();
    let (declared, signature) = match mode.as_str() {
        "signed" => (body_bytes, true),
        "unsigned" => (body_bytes, false),
        "oversized" => (body_bytes + 1, true),
        "chunked" => (body_bytes, true),
        _ => usage(),
    };
    let chunked = mode == "chunked";
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async move {
        let case = fixtures::Case::inbound_call();
        let framing = if chunked {
            "Transfer-Encoding: chunked".to_owned()
        } else {
            format!("Content-Length: {declared}")
        };
        let mut head = format!(
            "POST {} HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/x-www-form-urlencoded\r\n{framing}\r\n",
            case.path_and_query
        );
        if signature {
            head.push_str(&format!("X-Twilio-Signature: {}\r\n", case.wrong_signature()));
        }
        head.push_str("\r\n");
        let body = if chunked {
            let mut body = format!("{declared:x}\r\n").into_bytes();
            body.resize(body.len() + declared, b'a');
            body.extend_from_slice(b"\r\n0\r\n\r\n");
            body
        } else {
            vec![b'a'; declared]
        };

        let (rss_before, _) = memory_kib(pid);
        let (sent_tx, mut sent_rx) = mpsc::channel::<()>(connections);
        let (go_tx, go_rx) = watch::channel(false);
        let mut tasks = Vec::with_capacity(connections);
        for _ in 0..connections {
            let (head, body, sent_tx, mut go_rx) = (head.clone(), body.clone(), sent_tx.clone(), go_rx.clone());
            tasks.push(tokio::spawn(async move {
                let mut stream = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
                let all_but_last = &body[..body.len() - 1];
                // A refused request may be answered and closed mid-body:
                // write errors and stalls are expected then.
                let _ = timeout(Duration::from_secs(20), async {
                    stream.write_all(head.as_bytes()).await?;
                    stream.write_all(all_but_last).await
                })
                .await;
                let _ = sent_tx.send(()).await;
                let _ = go_rx.wait_for(|go| *go).await;
                let _ = stream.write_all(&body[body.len() - 1..]).await;
                let mut response = Vec::new();
                let mut chunk = [0u8; 1024];
                while !response.windows(4).any(|w| w == b"\r\n\r\n") {
                    match timeout(Duration::from_secs(20), stream.read(&mut chunk)).await {
                        Ok(Ok(n)) if n > 0 => response.extend_from_slice(&chunk[..n]),
                        _ => break,
                    }
                }
                let status = String::from_utf8_lossy(&response)
                    .split_whitespace()
                    .nth(1)
                    .map(str::to_owned);
                status
            }));
        }
        drop(sent_tx);
        for _ in 0..connections {
            if sent_rx.recv().await.is_none() {
                break;
            }
        }
        // Let the server read what is in flight; keep the largest RSS seen.
        let mut rss_held = 0;
        for _ in 0..20 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            rss_held = rss_held.max(memory_kib(pid).0);
        }
        let _ = go_tx.send(true);
        let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
        for task in tasks {
            let status = task.await.ok().flatten().unwrap_or_else(|| "none".into());
            *statuses.entry(status).or_default() += 1;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (rss_after, hwm) = memory_kib(pid);
        let statuses: Vec<String> = statuses.iter().map(|(s, n)| format!("{s}:{n}")).collect();
        println!(
            "FLOOD mode={mode} connections={connections} body_bytes={declared} rss_before_kib={rss_before} rss_held_kib={rss_held} hwm_kib={hwm} rss_after_kib={rss_after} statuses={}",
            statuses.join(",")
        );
    });
}
