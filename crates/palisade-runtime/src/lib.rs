//! Palisade's runtime events, without I/O.
//!
//! * [`raw`] decodes the records the eBPF sensor writes (layouts of
//!   `crates/palisade-sensor/bpf/sensor.h`).
//! * [`tracker`] turns records into [`RuntimeEvent`]s: process tree from fork/exec/exit,
//!   container from the cgroup ([`cgroup`]), metadata from a cache the caller fills.
//! * [`fields`] is the `syscall` field table, so Falco-style syscall rules run on these
//!   events through `palisade-engine`.
//! * [`recording`] reads and writes `palisade watch --record` files.

pub mod cgroup;
pub mod event;
pub mod fields;
pub mod names;
pub mod raw;
pub mod recording;
pub mod tracker;

pub use event::{
    Ancestor, Container, Fd, Pod, Process, RECORDING_SCHEMA, RecordingHeader, RuntimeEvent,
};
pub use fields::{RuntimeFields, SOURCE};
pub use tracker::{
    ContainerDirectory, HostNamespaces, NoDirectory, ProcInfo, Tracker, TrackerOptions,
};
