//! What the integration tests that talk raw HTTP/1.1 over loopback share.
#![allow(dead_code)] // each test crate uses part of it

pub mod alloc;
pub mod digest;
pub mod fixtures;
pub mod logs;
#[cfg(feature = "redis")]
pub mod redis;
pub mod stack;

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};

use bytes::Bytes;

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// A response read off the wire.
#[derive(Debug)]
pub struct Wire {
    pub status: u16,
    /// The status line and the headers.
    pub head: String,
    pub body: String,
}

impl Wire {
    /// The first header called `name`, trimmed.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (n, value) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

/// One response with a `Content-Length` body (or, without `with_body`, the
/// head of the answer to a `HEAD`); `None` when the connection ends first.
pub async fn read_response(stream: &mut TcpStream, with_body: bool) -> Option<Wire> {
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut wire = Wire {
        status: head.split(' ').nth(1)?.parse().ok()?,
        head,
        body: String::new(),
    };
    let length: usize = wire
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while with_body && body.len() < length {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    wire.body = String::from_utf8_lossy(&body).into_owned();
    Some(wire)
}

/// A body that must never be polled: for what is refused before the body
/// is read.
pub struct PanickingBody;

impl http_body::Body for PanickingBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        panic!("the body was read")
    }
}

/// A body that never arrives.
pub struct StalledBody;

impl http_body::Body for StalledBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        Poll::Pending
    }
}

/// Sets environment variables (`None` removes one) until the returned
/// guard is dropped, which puts them back as they were; one test at a time.
pub fn set_env(vars: &[(&'static str, Option<&str>)]) -> EnvGuard {
    static ENV: Mutex<()> = Mutex::new(());
    let serial = ENV.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let saved = vars
        .iter()
        .map(|(name, _)| (*name, std::env::var_os(name)))
        .collect();
    for (name, value) in vars {
        match value {
            Some(value) => std::env::set_var(name, value),
            None => std::env::remove_var(name),
        }
    }
    EnvGuard {
        saved,
        _serial: serial,
    }
}

/// See [`set_env`].
pub struct EnvGuard {
    saved: Vec<(&'static str, Option<std::ffi::OsString>)>,
    _serial: std::sync::MutexGuard<'static, ()>,
}

impl Drop for EnvGuard {
    fn drop(&mut self) {
        for (name, value) in &self.saved {
            match value {
                Some(value) => std::env::set_var(name, value),
                None => std::env::remove_var(name),
            }
        }
    }
}

/// Asserts that README.md shows the lines of an example's `source` between
/// its `// README: begin` and `// README: end` markers, as they read once
/// the end marker's indentation is taken off each line.
pub fn assert_readme_shows(source: &str) {
    const BEGIN: &str = "// README: begin\n";
    let begin = source.find(BEGIN).expect("a begin marker") + BEGIN.len();
    let end = source.find("// README: end").expect("an end marker");
    let line_start = source[..end].rfind('\n').map_or(0, |i| i + 1);
    let indent = &source[line_start..end];
    let block: String = source[begin..line_start]
        .lines()
        .map(|line| format!("{}\n", line.strip_prefix(indent).unwrap_or(line)))
        .collect();
    let readme = include_str!("../../README.md");
    assert!(readme.contains(&block), "README.md lacks:\n{block}");
}
