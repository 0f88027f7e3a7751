//! Palisade's runtime sensor.
//!
//! * [`sensor`]: loads the eBPF object (C, CO-RE, built by clang and committed; see
//!   `bpf/`), chooses hooks by what the kernel accepts ([`hooks`]), configures the
//!   in-kernel path filter, reads the ring buffer and the per-CPU lost-record counters.
//! * [`host`]: processes already running, pid 1's namespaces, clocks, users.
//! * [`directory`] and [`cri`]: container metadata from podman, the Docker API and CRI,
//!   looked up off the event path and cached.
//! * [`stream`]: records → events (via `palisade-runtime`'s tracker), holding a new
//!   container's first events until its metadata is known.
//! * [`fallback`]: a reduced mode without eBPF (proc connector), for kernels where the
//!   sensor cannot load.

pub mod cri;
pub mod directory;
pub mod fallback;
pub mod hooks;
pub mod host;
pub mod sensor;
pub mod stream;

pub use sensor::{HookReport, PathPrefix, Sensor, SensorError, SensorOptions, default_prefixes};
