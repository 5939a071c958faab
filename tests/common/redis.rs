//! A real `redis-server` on loopback, which each test starts on a port of
//! its own and stops. Without one on the `PATH` a test says it was skipped;
//! under `CI=true` it fails instead.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tower_twilio::replay::RedisStore;

pub struct Server {
    child: Child,
    url: String,
}

impl Server {
    /// A fresh server, or `None` (skipped) when there is none to run.
    pub async fn start(test: &str) -> Option<Self> {
        Self::start_with(test, &[]).await
    }

    /// A fresh server with these extra settings.
    pub async fn start_with(test: &str, settings: &[&str]) -> Option<Self> {
        let port = {
            let (listener, addr) = super::stack::listener().await;
            drop(listener);
            addr.port()
        };
        let spawned = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .args(settings)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(e) if std::env::var_os("CI").is_some() => {
                panic!("{test}: CI must run the Redis tests, but redis-server: {e}")
            }
            Err(e) => {
                eprintln!("{test}: skipped, no redis-server to run ({e})");
                return None;
            }
        };
        let url = format!("redis://127.0.0.1:{port}");
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Some(Self { child, url });
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("redis-server did not start on port {port}");
    }

    pub async fn store(&self) -> RedisStore {
        RedisStore::connect(&self.url).await.unwrap()
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}
