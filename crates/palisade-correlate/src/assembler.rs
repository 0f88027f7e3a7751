//! Closed incidents assembled on a second thread.
//!
//! Turning a closed incident's aggregate into the [`Incident`] handed out (rendering
//! every evidence alert, naming techniques and tactics, matching findings, writing the
//! explanation) is about a third of the correlator's work and needs nothing the alert
//! path changes. On a machine with more than one CPU it runs on a worker thread while the
//! correlator goes on with the next alerts. The result is the same bytes either way:
//! assembly is a pure function of the aggregate, the findings and the drop reports, and
//! [`crate::Correlator::take_closed`] sorts what it hands out.
//!
//! Memory stays bounded: closed incidents go to the worker [`BATCH`] at a time, at most
//! [`QUEUE`] batches wait (the correlator waits when they do), and every finished one
//! comes back with its aggregate, whose memory the correlator reuses.

use crate::assemble::{Lookup, assemble_closed};
use crate::correlator::Open;
use crate::findings::FindingIndex;
use crate::incident::Incident;
use crate::options::Options;
use palisade_attack::Catalogue;
use std::sync::mpsc::{Receiver, Sender, SyncSender, TryRecvError, channel, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Closed incidents handed to the worker together (one wake-up for all of them).
const BATCH: usize = 32;
/// Batches waiting for the worker at most.
const QUEUE: usize = 8;

/// A closed incident to assemble.
pub(crate) struct Job {
    /// The incident, with the sensor drop reports that may overlap it in `open.drops`.
    pub open: Box<Open>,
    pub findings: Arc<FindingIndex>,
}

/// An assembled incident and the aggregate it came from (its alerts in
/// `open.returned`), for reuse.
pub(crate) struct Done {
    pub incident: Incident,
    pub open: Box<Open>,
}

/// The worker thread and its two queues.
pub(crate) struct Assembler {
    jobs: Option<SyncSender<Vec<Job>>>,
    /// Jobs not sent yet.
    batch: Vec<Job>,
    /// Behind a mutex only so that the correlator stays `Sync`; every access has
    /// `&mut self` and never waits for it.
    done: Mutex<Receiver<Vec<Done>>>,
    /// Incidents received, not taken yet.
    received: Vec<Done>,
    worker: Option<JoinHandle<()>>,
    /// Jobs sent, not received back yet.
    in_flight: usize,
}

impl Assembler {
    /// A worker thread, unless this machine has a single CPU or the thread cannot be
    /// started (then the correlator assembles inline).
    pub(crate) fn start(catalogue: &Catalogue, options: &Options) -> Option<Assembler> {
        if std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
            return None;
        }
        let (jobs, job_rx) = sync_channel::<Vec<Job>>(QUEUE);
        let (done_tx, done) = channel::<Vec<Done>>();
        let catalogue = Arc::new(catalogue.clone());
        let options = options.clone();
        let worker = std::thread::Builder::new()
            .name("palisade-assemble".to_string())
            .spawn(move || run(&catalogue, &options, &job_rx, &done_tx))
            .ok()?;
        Some(Assembler {
            jobs: Some(jobs),
            batch: Vec::with_capacity(BATCH),
            done: Mutex::new(done),
            received: Vec::new(),
            worker: Some(worker),
            in_flight: 0,
        })
    }

    /// Queue `job`; a full batch goes to the worker (waiting while its queue is full).
    pub(crate) fn submit(&mut self, job: Job) {
        self.batch.push(job);
        if self.batch.len() >= BATCH {
            self.send();
        }
    }

    fn send(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        let n = batch.len();
        // The worker stops reading only when it panicked.
        match &self.jobs {
            Some(jobs) if jobs.send(batch).is_ok() => self.in_flight += n,
            _ => self.worker_died(),
        }
    }

    /// An incident assembled, if one is ready.
    pub(crate) fn try_take(&mut self) -> Option<Done> {
        if self.received.is_empty() && self.in_flight > 0 {
            let done = self.done.get_mut().unwrap_or_else(|e| e.into_inner());
            match done.try_recv() {
                Ok(batch) => self.receive(batch),
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => self.worker_died(),
            }
        }
        self.received.pop()
    }

    /// The next incident assembled, waiting for it; `None` once every job submitted has
    /// come back.
    pub(crate) fn take(&mut self) -> Option<Done> {
        self.send();
        if self.received.is_empty() && self.in_flight > 0 {
            let done = self.done.get_mut().unwrap_or_else(|e| e.into_inner());
            match done.recv() {
                Ok(batch) => self.receive(batch),
                Err(_) => self.worker_died(),
            }
        }
        self.received.pop()
    }

    fn receive(&mut self, batch: Vec<Done>) {
        self.in_flight = self.in_flight.saturating_sub(batch.len());
        self.received.extend(batch);
    }

    /// The worker stopped: only a panic does that. Raise it here, as if the assembly had
    /// run on this thread.
    fn worker_died(&mut self) -> ! {
        self.jobs = None;
        match self.worker.take().map(JoinHandle::join) {
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            _ => panic!("the incident assembly thread stopped with incidents in flight"),
        }
    }
}

impl Drop for Assembler {
    fn drop(&mut self) {
        // Closing the job queue ends the worker's loop.
        self.jobs = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

fn run(
    catalogue: &Catalogue,
    options: &Options,
    jobs: &Receiver<Vec<Job>>,
    done: &Sender<Vec<Done>>,
) {
    let mut lookup = Lookup::new(catalogue);
    let mut scratch = String::new();
    for batch in jobs {
        let mut finished = Vec::with_capacity(batch.len());
        for Job { mut open, findings } in batch {
            let Open {
                agg,
                returned,
                drops,
                ..
            } = &mut *open;
            let incident = assemble_closed(
                agg,
                options,
                &mut lookup,
                &findings,
                drops.iter().map(|d| &**d),
                &mut scratch,
                returned,
            );
            finished.push(Done { incident, open });
        }
        if done.send(finished).is_err() {
            break;
        }
    }
}
