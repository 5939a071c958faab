//! The events a test's own thread writes, read back.
//!
//! One subscriber for the whole process, set the first time a test
//! captures, writes each event to the buffer of the thread that emitted it,
//! if that thread is capturing at the event's level, and drops it
//! otherwise. A subscriber per test (`tracing::subscriber::set_default`)
//! does not do in a binary whose tests run on many threads: `tracing`
//! caches per call site whether any subscriber wants its events, and a
//! thread without one can leave that cache saying "never" for a moment, so
//! that another test's event is lost. This subscriber's filter is decided
//! per event, so once it is set no call site is cached as unwanted.
//!
//! tokio's current-thread runtime runs the layer on the test's own thread.

use std::cell::RefCell;
use std::io;
use std::sync::{Arc, Mutex, Once};

use tracing::subscriber::Interest;
use tracing::Level;
use tracing_subscriber::filter::dynamic_filter_fn;
use tracing_subscriber::prelude::*;

thread_local! {
    static CAPTURE: RefCell<Option<(Level, Buffer)>> = const { RefCell::new(None) };
}

type Buffer = Arc<Mutex<Vec<u8>>>;

/// What this thread logs up to `level`, until the returned value is dropped.
pub fn capture(level: Level) -> Logs {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // Asked at each event; never cached per call site.
        let wanted = dynamic_filter_fn(|meta, _| {
            CAPTURE
                .try_with(|c| matches!(&*c.borrow(), Some((max, _)) if meta.level() <= max))
                .unwrap_or(false)
        })
        .with_callsite_filter(|_| Interest::sometimes());
        let layer = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(|| ThreadWriter);
        tracing_subscriber::registry()
            .with(wanted)
            .with(layer)
            .init();
    });
    // Call sites that other tests reached before the subscriber was set
    // were cached as unwanted; asked again, each answers "sometimes".
    tracing::callsite::rebuild_interest_cache();
    let buffer = Buffer::default();
    CAPTURE.with(|c| *c.borrow_mut() = Some((level, buffer.clone())));
    Logs(buffer)
}

/// The events captured on this thread; dropped, it stops the capture.
pub struct Logs(Buffer);

impl Logs {
    /// What was written so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Drop for Logs {
    fn drop(&mut self) {
        let _ = CAPTURE.try_with(|c| c.borrow_mut().take());
    }
}

/// Appends to the capture of the thread that writes.
struct ThreadWriter;

impl io::Write for ThreadWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let _ = CAPTURE.try_with(|c| {
            if let Some((_, buffer)) = &*c.borrow() {
                buffer.lock().unwrap().extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
