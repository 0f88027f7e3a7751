//! Palisade's embedded store: runs, posture findings, `palisade.alert/v1` alerts and incidents
//! in one SQLite file (SQLite is compiled in, so no system library is needed).
//!
//! ```no_run
//! use palisade_store::{AlertQuery, NewRun, RunKind, Store};
//! # fn main() -> Result<(), palisade_store::StoreError> {
//! # let alerts: Vec<palisade_core::AlertRecord> = Vec::new();
//! let mut store = Store::open("palisade.db")?;
//! let run = store.begin_run(&NewRun::new(RunKind::Detect))?;
//! store.insert_alerts(run, &alerts)?; // returns after COMMIT: the batch is acknowledged
//! store.finish_run(run)?;
//! let hits = store.query_alerts(&AlertQuery {
//!     since_ns: Some(palisade_store::now_ns() - 3_600_000_000_000),
//!     technique: Some("T1611".into()),
//!     namespace: Some("shop".into()),
//!     ..AlertQuery::default()
//! })?;
//! # let _ = hits;
//! # Ok(()) }
//! ```
//!
//! # Concurrency
//!
//! One [`Store`] is one SQLite connection: use one per thread (or per process), all on the same
//! file. The database runs in WAL mode, so readers never block the writer nor each other, and
//! see only committed batches. Writers are serialised by SQLite: every write is a
//! `BEGIN IMMEDIATE` transaction, and a writer that finds the file locked waits up to
//! [`StoreOptions::busy_timeout`] (5 s by default) instead of failing. Retention deletes in
//! chunks so it never holds the write lock for long.
//!
//! # Durability
//!
//! A write method returns only after its transaction has committed: that is the
//! acknowledgement. With the default [`Synchronous::Normal`] (`PRAGMA synchronous=NORMAL`
//! in WAL mode), a commit is written to the WAL file before it returns, but the WAL is fsync'd
//! only at checkpoints. So:
//! - a crash of the process (panic, abort, `kill -9`, OOM kill) loses nothing acknowledged,
//!   and a batch that was being written when it happened is absent as a whole;
//! - a power loss or kernel crash may roll back the last few acknowledged transactions
//!   (those since the last checkpoint), but never corrupts the file.
//!
//! [`Synchronous::Full`] fsyncs the WAL on every commit and survives power loss too, at the
//! cost of one fsync per batch. Alerts arrive in batches, so NORMAL is the default (as measured
//! in the design notes); choose FULL where the host may lose power and every alert matters.
//!
//! # Schema
//!
//! See [`SCHEMA_VERSION`] and the migrations in the source (`schema.rs`). A file written by a
//! newer Palisade (higher schema version) is refused with [`StoreError::NewerSchema`]; a SQLite
//! file of another program is refused with [`StoreError::NotAPalisadeStore`].

#![deny(missing_docs)]

mod query;
mod schema;
mod time;
mod write;

#[cfg(test)]
mod crash_tests;

use palisade_core::{AlertRecord, Finding, Severity};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use serde::Serialize;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

pub use time::{now_ns, parse_duration_ns, parse_rfc3339_ns, parse_since};

/// The schema version this build creates and understands (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = schema::MIGRATIONS.len() as i64;

/// Everything that can go wrong with the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite could not open the file.
    #[error("cannot open store {}: {source}", path.display())]
    Open {
        /// The store path.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// The file does not exist and [`StoreOptions::create`] is off.
    #[error("store {} does not exist", path.display())]
    NotFound {
        /// The store path.
        path: PathBuf,
    },
    /// The file is not a Palisade store (not SQLite at all, or another program's database).
    #[error("{} is not a Palisade store: {reason}", path.display())]
    NotAPalisadeStore {
        /// The store path.
        path: PathBuf,
        /// Why not.
        reason: String,
    },
    /// The file was written by a newer Palisade whose schema this build does not know.
    #[error(
        "store {} has schema version {found}, but this Palisade ({tool}) knows versions up to \
         {supported}: it was written by a newer Palisade. Upgrade Palisade, or use another store file",
        path.display(),
        tool = env!("CARGO_PKG_VERSION")
    )]
    NewerSchema {
        /// The store path.
        path: PathBuf,
        /// Version found in the file.
        found: i64,
        /// Highest version this build knows ([`SCHEMA_VERSION`]).
        supported: i64,
    },
    /// SQLite refused to switch the file to WAL mode (some network file systems).
    #[error(
        "store {} could not be switched to WAL mode (journal mode stays `{mode}`); \
         put it on a local file system",
        path.display()
    )]
    NoWal {
        /// The store path.
        path: PathBuf,
        /// The journal mode SQLite reported.
        mode: String,
    },
    /// A write named a run that is not in the store (never begun, or removed by retention).
    #[error("run {0} is not in the store (never begun, or removed by retention)")]
    UnknownRun(RunId),
    /// An alert of a batch cannot be stored; nothing of the batch was written.
    #[error("alert {index} of the batch cannot be stored: {reason}")]
    InvalidAlert {
        /// 0-based index in the batch.
        index: usize,
        /// Why.
        reason: String,
    },
    /// An incident names an alert or finding that is not in the store; nothing of the batch
    /// was written.
    #[error("incident `{key}` names {what} {id}, which is not in the store")]
    UnknownEvidence {
        /// The incident key.
        key: String,
        /// `alert` or `finding`.
        what: &'static str,
        /// The missing id.
        id: i64,
    },
    /// An incident cannot be stored; nothing of the batch was written.
    #[error("incident `{key}` cannot be stored: {reason}")]
    InvalidIncident {
        /// The incident key.
        key: String,
        /// Why.
        reason: String,
    },
    /// A query parameter is invalid.
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// A stored JSON body could not be read back.
    #[error("stored {what} {id} has an unreadable body: {source}")]
    CorruptBody {
        /// `alert`, `finding`, `incident` or `run`.
        what: &'static str,
        /// Row id.
        id: i64,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// A record could not be serialised.
    #[error("cannot serialise record: {0}")]
    Serialize(#[from] serde_json::Error),
    /// Any other SQLite error.
    #[error("store: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// Result alias of this crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

macro_rules! id_type {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    /// Row id of a run.
    RunId,
    /// Row id of a stored alert.
    AlertId,
    /// Row id of a stored finding.
    FindingId,
    /// Row id of a stored incident.
    IncidentId,
);

/// Which command produced a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunKind {
    /// `palisade scan`: posture findings.
    Scan,
    /// `palisade detect`: alerts from recorded events.
    Detect,
    /// `palisade watch`: alerts from live events.
    Watch,
}

impl RunKind {
    /// The name stored in the `runs.kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Scan => "scan",
            RunKind::Detect => "detect",
            RunKind::Watch => "watch",
        }
    }
}

impl fmt::Display for RunKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RunKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "scan" => Ok(RunKind::Scan),
            "detect" => Ok(RunKind::Detect),
            "watch" => Ok(RunKind::Watch),
            _ => Err(format!("unknown run kind `{s}`")),
        }
    }
}

/// A run about to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRun {
    /// Which command.
    pub kind: RunKind,
    /// Start time, ns since the epoch.
    pub started_ns: i64,
    /// Palisade version.
    pub tool_version: String,
    /// ATT&CK catalogue version in use (e.g. `18.1`).
    pub attack_version: Option<String>,
    /// Command-line arguments, for the record.
    pub args: Vec<String>,
}

impl NewRun {
    /// A run of `kind` starting now, with this crate's version (the workspace's) as tool version.
    pub fn new(kind: RunKind) -> Self {
        NewRun {
            kind,
            started_ns: now_ns(),
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            attack_version: None,
            args: Vec::new(),
        }
    }
}

/// A run as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunRecord {
    /// Row id.
    pub id: RunId,
    /// Which command.
    pub kind: RunKind,
    /// Start time, ns since the epoch.
    pub started_ns: i64,
    /// End time, once finished.
    pub finished_ns: Option<i64>,
    /// Last begin, insert or finish, ns since the epoch.
    pub last_activity_ns: i64,
    /// Palisade version.
    pub tool_version: String,
    /// ATT&CK catalogue version.
    pub attack_version: Option<String>,
    /// Command-line arguments.
    pub args: Vec<String>,
}

/// An alert as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAlert {
    /// Row id (what incidents link to).
    pub id: AlertId,
    /// The run that inserted it.
    pub run: RunId,
    /// `alert.time` in ns since the epoch.
    pub time_ns: i64,
    /// The alert, exactly as inserted.
    pub alert: AlertRecord,
}

/// A finding as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFinding {
    /// Row id (what incidents link to).
    pub id: FindingId,
    /// The run that inserted it.
    pub run: RunId,
    /// When it was recorded, ns since the epoch.
    pub observed_ns: i64,
    /// The finding, exactly as inserted.
    pub finding: Finding,
}

/// An incident, as the correlator hands it over.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    /// The correlator's stable identity for the incident; upserts match on it.
    pub key: String,
    /// Earliest evidence, ns since the epoch.
    pub first_seen_ns: i64,
    /// Latest evidence, ns since the epoch.
    pub last_seen_ns: i64,
    /// Score (higher = worse).
    pub score: f64,
    /// Alerts that are evidence of it.
    pub alerts: Vec<AlertId>,
    /// Findings that are evidence of it.
    pub findings: Vec<FindingId>,
    /// Everything else the correlator wants to keep (chain, tactics, workload, ...).
    pub body: serde_json::Value,
}

/// An incident as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredIncident {
    /// Row id.
    pub id: IncidentId,
    /// Last upsert, ns since the epoch.
    pub updated_ns: i64,
    /// The incident; `alerts` and `findings` hold every link made so far (sorted) that
    /// retention has not removed.
    pub incident: Incident,
}

/// Filters for [`Store::query_alerts`]. Every filter set must match; `None` matches anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertQuery {
    /// Alerts at or after this instant (ns since the epoch).
    pub since_ns: Option<i64>,
    /// Alerts strictly before this instant.
    pub until_ns: Option<i64>,
    /// Technique id. A parent id (`T1053`) also matches its sub-techniques (`T1053.007`);
    /// a sub-technique id matches only itself. Case-insensitive.
    pub technique: Option<String>,
    /// Tactic shortname (`privilege-escalation`).
    pub tactic: Option<String>,
    /// Workload namespace.
    pub namespace: Option<String>,
    /// Rule name.
    pub rule: Option<String>,
    /// Lowest Falco priority to return (`warning` returns warning and worse).
    pub min_priority: Option<String>,
    /// Event source (`k8s_audit`, `runtime`).
    pub source: Option<String>,
    /// Only alerts of this run.
    pub run: Option<RunId>,
    /// Newest first instead of oldest first (then `limit` keeps the newest).
    pub newest_first: bool,
    /// At most this many.
    pub limit: Option<usize>,
}

/// Filters for [`Store::query_findings`]. Every filter set must match; `None` matches anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FindingQuery {
    /// Technique id, matched like [`AlertQuery::technique`].
    pub technique: Option<String>,
    /// Tactic shortname.
    pub tactic: Option<String>,
    /// Lowest severity to return.
    pub severity_at_least: Option<Severity>,
    /// Namespace of the object.
    pub namespace: Option<String>,
    /// Check id (`PAL-K8S-001`).
    pub check: Option<String>,
    /// SQLite GLOB over the location path (`*`, `?`, `[...]`; case-sensitive), e.g. `k8s/*`.
    pub path_glob: Option<String>,
    /// Only findings of this run (see [`Store::latest_run`]).
    pub run: Option<RunId>,
    /// Findings recorded at or after this instant.
    pub since_ns: Option<i64>,
    /// Include suppressed findings (left out by default).
    pub include_suppressed: bool,
    /// At most this many.
    pub limit: Option<usize>,
}

/// Filters for [`Store::query_incidents`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IncidentQuery {
    /// Incidents whose last evidence is at or after this instant.
    pub since_ns: Option<i64>,
    /// Lowest score.
    pub min_score: Option<f64>,
    /// At most this many.
    pub limit: Option<usize>,
}

/// What [`Store::apply_retention`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RetentionCounts {
    /// Alerts whose time is before the cutoff.
    pub alerts: u64,
    /// Findings recorded before the cutoff.
    pub findings: u64,
    /// Runs inactive since before the cutoff and left without alerts or findings.
    pub runs: u64,
    /// Incidents left without any evidence.
    pub incidents: u64,
}

/// Sizes of the store, for `palisade store stats` and the like.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StoreStats {
    /// Schema version of the file.
    pub schema_version: i64,
    /// Number of runs.
    pub runs: u64,
    /// Number of findings.
    pub findings: u64,
    /// Number of alerts.
    pub alerts: u64,
    /// Number of incidents.
    pub incidents: u64,
    /// Time of the oldest alert, ns since the epoch.
    pub oldest_alert_ns: Option<i64>,
    /// Time of the newest alert.
    pub newest_alert_ns: Option<i64>,
    /// Size of the database file in bytes (pages in use and free; the WAL not counted).
    pub size_bytes: u64,
}

/// `PRAGMA synchronous` in WAL mode; see the crate docs on durability.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Synchronous {
    /// fsync at checkpoints only: survives process crashes; a power loss may roll back the last
    /// few commits.
    #[default]
    Normal,
    /// fsync the WAL on every commit: survives power loss too.
    Full,
}

/// How to open a store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// How long a writer waits for another writer's lock before failing with "database is
    /// locked".
    pub busy_timeout: Duration,
    /// Durability level.
    pub synchronous: Synchronous,
    /// Create the file when it does not exist (off for read-only commands such as
    /// `palisade alerts`, so that a mistyped path is an error rather than an empty store).
    pub create: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            busy_timeout: Duration::from_secs(5),
            synchronous: Synchronous::Normal,
            create: true,
        }
    }
}

/// Rank of a Falco priority: `debug` 0 … `emergency` 7 (`info` is taken as `informational`).
/// `None` for anything else. Case-insensitive.
pub fn priority_rank(priority: &str) -> Option<i64> {
    const ORDER: [&str; 8] = [
        "debug",
        "informational",
        "notice",
        "warning",
        "error",
        "critical",
        "alert",
        "emergency",
    ];
    let p = priority.to_ascii_lowercase();
    let p = if p == "info" { "informational" } else { &p };
    ORDER.iter().position(|o| *o == p).map(|i| i as i64)
}

/// Rank of a severity: `info` 0 … `critical` 4.
pub(crate) fn severity_rank(sev: Severity) -> i64 {
    Severity::ALL.iter().position(|s| *s == sev).unwrap_or(0) as i64
}

/// A connection to a store file. See the crate docs for concurrency and durability.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// Set once the file is known to be ours and migrated: only then may `Drop` write to it.
    ready: bool,
    /// Test-only fault injection: abort the process after this many rows of an alert batch.
    #[cfg(test)]
    abort_after_rows: Option<usize>,
}

impl Drop for Store {
    /// `PRAGMA optimize` before closing, as SQLite recommends: it refreshes the planner's
    /// statistics where they are missing or stale (with a bounded, approximate ANALYZE).
    fn drop(&mut self) {
        if self.ready {
            let _ = self.conn.execute_batch("PRAGMA optimize");
        }
    }
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Open (creating if needed) the store at `path` with default options, and bring its schema
    /// up to date.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        Store::open_with(path, &StoreOptions::default())
    }

    /// Open the store at `path` with `options`, and bring its schema up to date.
    pub fn open_with(path: impl AsRef<Path>, options: &StoreOptions) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        if !options.create && !path.exists() {
            return Err(StoreError::NotFound { path });
        }
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if options.create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let conn = match Connection::open_with_flags(&path, flags) {
            Ok(c) => c,
            Err(source) => return Err(StoreError::Open { path, source }),
        };
        Store::init(conn, path, options, false)
    }

    /// A private in-memory store (for tests of other crates). Not shared between connections.
    pub fn open_in_memory() -> Result<Store> {
        let conn = Connection::open_in_memory()?;
        Store::init(
            conn,
            PathBuf::from(":memory:"),
            &StoreOptions::default(),
            true,
        )
    }

    fn init(
        conn: Connection,
        path: PathBuf,
        options: &StoreOptions,
        memory: bool,
    ) -> Result<Store> {
        let not_db = |e: rusqlite::Error, path: &Path| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase) => StoreError::NotAPalisadeStore {
                path: path.to_path_buf(),
                reason: "the file is not a SQLite database".into(),
            },
            _ => StoreError::Sqlite(e),
        };
        conn.busy_timeout(options.busy_timeout)?;
        let mut store = Store {
            conn,
            path,
            ready: false,
            #[cfg(test)]
            abort_after_rows: None,
        };
        // Look before writing anything: a foreign or newer file must stay untouched.
        store.check_identity().map_err(|e| match e {
            StoreError::Sqlite(e) => not_db(e, &store.path),
            e => e,
        })?;
        let mode = store.enable_wal(options.busy_timeout)?;
        let usable =
            mode.eq_ignore_ascii_case("wal") || (memory && mode.eq_ignore_ascii_case("memory"));
        if !usable {
            return Err(StoreError::NoWal {
                path: store.path.clone(),
                mode,
            });
        }
        let sync = match options.synchronous {
            Synchronous::Normal => "NORMAL",
            Synchronous::Full => "FULL",
        };
        store.conn.pragma_update(None, "synchronous", sync)?;
        store.conn.pragma_update(None, "foreign_keys", true)?;
        store.migrate()?;
        store.ready = true;
        Ok(store)
    }

    /// Switch to WAL (persistent in the file, so a no-op after the first open). The switch needs
    /// an exclusive lock and SQLite does not run the busy handler for it, so when several
    /// connections open a new file at once, retry here for up to `timeout`.
    fn enable_wal(&self, timeout: Duration) -> Result<String> {
        let deadline = Instant::now() + timeout;
        let mut pause = Duration::from_millis(1);
        loop {
            match self
                .conn
                .query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))
            {
                Err(e)
                    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                        && Instant::now() < deadline =>
                {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                result => return Ok(result?),
            }
        }
    }

    /// Refuse a file of another program or of a newer Palisade (one consistent read).
    fn check_identity(&mut self) -> Result<()> {
        let tx = self.conn.transaction()?;
        let app_id: i32 = tx.pragma_query_value(None, "application_id", |r| r.get(0))?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let tables: i64 = tx.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
        drop(tx);
        if app_id != schema::APPLICATION_ID && (app_id != 0 || version != 0 || tables != 0) {
            return Err(StoreError::NotAPalisadeStore {
                path: self.path.clone(),
                reason: format!(
                    "it is a SQLite database of another program (application_id {app_id:#x}, \
                     user_version {version}, {tables} schema objects)"
                ),
            });
        }
        if version > SCHEMA_VERSION {
            return Err(self.newer(version));
        }
        Ok(())
    }

    fn newer(&self, found: i64) -> StoreError {
        StoreError::NewerSchema {
            path: self.path.clone(),
            found,
            supported: SCHEMA_VERSION,
        }
    }

    /// Apply the pending migrations, each in its own IMMEDIATE transaction together with the
    /// `user_version` bump.
    fn migrate(&mut self) -> Result<()> {
        let path = self.path.clone();
        for (i, sql) in schema::MIGRATIONS.iter().enumerate() {
            let target = i as i64 + 1;
            let current: i64 = self
                .conn
                .pragma_query_value(None, "user_version", |r| r.get(0))?;
            if current >= target {
                continue;
            }
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            // Another connection may have migrated while we waited for the lock.
            let current: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
            if current > SCHEMA_VERSION {
                return Err(StoreError::NewerSchema {
                    path,
                    found: current,
                    supported: SCHEMA_VERSION,
                });
            }
            if current >= target {
                continue;
            }
            tx.execute_batch(sql)?;
            if i == 0 {
                tx.pragma_update(None, "application_id", schema::APPLICATION_ID)?;
            }
            tx.pragma_update(None, "user_version", target)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// The path the store was opened at.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Schema version of the open file.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pragma(store: &Store, name: &str) -> String {
        store
            .conn
            .query_row(&format!("PRAGMA {name}"), [], |r| {
                r.get::<_, rusqlite::types::Value>(0)
            })
            .map(|v| match v {
                rusqlite::types::Value::Integer(i) => i.to_string(),
                rusqlite::types::Value::Text(s) => s,
                other => format!("{other:?}"),
            })
            .unwrap()
    }

    #[test]
    fn connection_settings() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("s.db")).unwrap();
        assert_eq!(pragma(&store, "journal_mode"), "wal");
        assert_eq!(pragma(&store, "synchronous"), "1"); // NORMAL
        assert_eq!(pragma(&store, "foreign_keys"), "1");
        assert_eq!(pragma(&store, "busy_timeout"), "5000");
        assert_eq!(pragma(&store, "user_version"), SCHEMA_VERSION.to_string());
        assert_eq!(
            pragma(&store, "application_id"),
            schema::APPLICATION_ID.to_string()
        );
        let full = Store::open_with(
            dir.path().join("s.db"),
            &StoreOptions {
                synchronous: Synchronous::Full,
                busy_timeout: Duration::from_millis(250),
                ..StoreOptions::default()
            },
        )
        .unwrap();
        assert_eq!(pragma(&full, "synchronous"), "2"); // FULL
        assert_eq!(pragma(&full, "busy_timeout"), "250");
    }

    #[test]
    fn store_can_move_to_another_thread() {
        fn assert_send<T: Send>() {}
        assert_send::<Store>();
        assert_send::<StoreError>();
    }

    #[test]
    fn in_memory_store_works() {
        let mut store = Store::open_in_memory().unwrap();
        let run = store.begin_run(&NewRun::new(RunKind::Scan)).unwrap();
        store.finish_run(run).unwrap();
        assert_eq!(store.stats().unwrap().runs, 1);
    }

    #[test]
    fn priority_and_severity_ranks() {
        assert_eq!(priority_rank("debug"), Some(0));
        assert_eq!(priority_rank("INFO"), Some(1));
        assert_eq!(priority_rank("informational"), Some(1));
        assert_eq!(priority_rank("Warning"), Some(3));
        assert_eq!(priority_rank("emergency"), Some(7));
        assert_eq!(priority_rank("severe"), None);
        assert_eq!(severity_rank(Severity::Info), 0);
        assert_eq!(severity_rank(Severity::Critical), 4);
    }

    #[test]
    fn migrations_are_numbered_by_position() {
        assert_eq!(SCHEMA_VERSION, schema::MIGRATIONS.len() as i64);
        const { assert!(SCHEMA_VERSION >= 1) };
    }
}
