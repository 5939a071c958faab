//! What the integration tests that talk raw HTTP/1.1 over loopback share.
#![allow(dead_code)] // each test crate uses part of it

pub mod stack;

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
