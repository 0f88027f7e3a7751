//! From ring-buffer records to runtime events ready for the rules.
//!
//! The first records of a new container arrive before its runtime has been asked for the
//! container's name and image. Instead of evaluating them without that metadata, the stream
//! holds events (in order) while the lookup of their container is in flight, for at most
//! [`EventStream::hold_for`]; the reader thread never waits.

use crate::directory::Directory;
use palisade_runtime::RuntimeEvent;
use palisade_runtime::raw::{DecodeError, decode};
use palisade_runtime::tracker::{ProcInfo, Tracker, TrackerOptions};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Records to events, with container metadata filled in.
pub struct EventStream {
    tracker: Tracker,
    directory: Directory,
    held: VecDeque<(Instant, RuntimeEvent)>,
    /// Longest an event waits for its container's metadata.
    pub hold_for: Duration,
    /// Records that could not be decoded.
    pub decode_errors: u64,
    /// The first decode problems.
    pub problems: Vec<String>,
    records: u64,
}

/// Most events held at once; beyond it the oldest are released without waiting.
pub const MAX_HELD: usize = 100_000;

impl EventStream {
    /// A stream over a tracker seeded with `running` processes.
    pub fn new(
        options: TrackerOptions,
        running: Vec<(u32, ProcInfo)>,
        directory: Directory,
    ) -> Self {
        let mut tracker = Tracker::new(options);
        for (pid, info) in running {
            tracker.seed(pid, info);
        }
        EventStream {
            tracker,
            directory,
            held: VecDeque::new(),
            hold_for: Duration::from_millis(1500),
            decode_errors: 0,
            problems: Vec::new(),
            records: 0,
        }
    }

    /// The metadata directory.
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// Decode and track one record; the event waits in the stream until [`Self::ready`].
    pub fn push_record(&mut self, bytes: &[u8]) -> Result<(), DecodeError> {
        self.records += 1;
        match decode(bytes) {
            Ok(raw) => {
                let event = self.tracker.process(&raw, &mut self.directory);
                self.held.push_back((Instant::now(), event));
                Ok(())
            }
            Err(e) => {
                self.decode_errors += 1;
                if self.problems.len() < 20 {
                    self.problems.push(format!("record {}: {e}", self.records));
                }
                Err(e)
            }
        }
    }

    /// Track a record that is already decoded (the fallback source).
    pub fn push_raw(&mut self, raw: palisade_runtime::raw::RawEvent) {
        self.records += 1;
        let event = self.tracker.process(&raw, &mut self.directory);
        self.held.push_back((Instant::now(), event));
    }

    fn waiting(&self, event: &RuntimeEvent, since: Instant, now: Instant) -> bool {
        let Some(c) = &event.container else {
            return false;
        };
        c.name.is_none()
            && self.directory.is_pending(&c.id)
            && now.duration_since(since) < self.hold_for
    }

    /// Release events in order: every event up to the first one still waiting for its
    /// container's metadata (all of them with `flush`).
    pub fn ready(&mut self, now: Instant, flush: bool, mut f: impl FnMut(RuntimeEvent)) {
        while let Some((since, event)) = self.held.front() {
            if !flush && self.held.len() < MAX_HELD && self.waiting(event, *since, now) {
                break;
            }
            let Some((_, mut event)) = self.held.pop_front() else {
                break;
            };
            self.complete(&mut event);
            f(event);
        }
    }

    /// Fill in container metadata learned since the event was built.
    fn complete(&self, event: &mut RuntimeEvent) {
        let Some(c) = event.container.as_mut() else {
            return;
        };
        if c.name.is_some() {
            return;
        }
        if let Some(meta) = self.directory.known(&c.id) {
            c.apply_metadata(&meta);
        }
    }

    /// Events held now.
    pub fn held(&self) -> usize {
        self.held.len()
    }
}
