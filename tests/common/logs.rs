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

use std::cell::{Cell, RefCell};
use std::io;
use std::sync::{Arc, Mutex, Once};

use tracing::subscriber::Interest;
use tracing::Level;
use tracing_subscriber::filter::dynamic_filter_fn;
use tracing_subscriber::prelude::*;

thread_local! {
    static CAPTURE: RefCell<Option<(Level, Buffer)>> = const { RefCell::new(None) };
    /// The events and spans this thread's capture was asked about.
    static ASKED: Cell<usize> = const { Cell::new(0) };
}

type Buffer = Arc<Mutex<Vec<u8>>>;

/// What this thread logs up to `level`, until the returned value is dropped
/// (a capture within another one holds until it is dropped, and the outer
/// one then goes on).
#[must_use = "the capture ends when the value is dropped"]
pub fn capture(level: Level) -> Logs {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // Asked at each event; never cached per call site.
        let wanted = dynamic_filter_fn(|meta, _| {
            CAPTURE
                .try_with(|c| match &*c.borrow() {
                    Some((max, _)) => {
                        ASKED.with(|n| n.set(n.get() + 1));
                        meta.level() <= max
                    }
                    None => false,
                })
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
    let outer = CAPTURE.with(|c| c.replace(Some((level, buffer.clone()))));
    ASKED.with(|n| n.set(0));
    Logs { buffer, outer }
}

/// The events captured on this thread; dropped, it ends the capture.
pub struct Logs {
    buffer: Buffer,
    /// The capture this one is within, if any.
    outer: Option<(Level, Buffer)>,
}

impl Logs {
    /// What was written so far, as text. Panics if no event or span on
    /// this thread was asked about since the capture began: the work ran
    /// on another thread, where nothing is captured, and an empty log
    /// would say nothing.
    pub fn text(&self) -> String {
        assert!(
            ASKED.with(Cell::get) > 0,
            "no event on this thread while capturing"
        );
        String::from_utf8_lossy(&self.buffer.lock().unwrap()).into_owned()
    }
}

impl Drop for Logs {
    fn drop(&mut self) {
        let outer = self.outer.take();
        let _ = CAPTURE.try_with(|c| c.replace(outer));
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
