//! The schema, as an ordered list of migrations.
//!
//! `PRAGMA user_version` holds the number of migrations applied. Each migration runs in its own
//! `BEGIN IMMEDIATE` transaction together with the `user_version` bump, so a crash mid-migration
//! leaves the previous version intact, and two processes opening a new file at once do not both
//! apply it. Migrations are append-only: never edit one that has shipped, add a new one.

/// `PRAGMA application_id` of a Palisade store (`PALS` in ASCII), so that a SQLite file of some
/// other program is refused instead of being written into.
pub const APPLICATION_ID: i32 = 0x5041_4C53;

/// The migrations, in order. Migration `i` (0-based) brings the schema to version `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: runs, findings, alerts, incidents.
    r#"
CREATE TABLE runs (
    id               INTEGER PRIMARY KEY,
    kind             TEXT    NOT NULL CHECK (kind IN ('scan', 'detect', 'watch')),
    started_ns       INTEGER NOT NULL,
    finished_ns      INTEGER,
    last_activity_ns INTEGER NOT NULL,  -- begin, every insert, finish; used by retention
    tool_version     TEXT    NOT NULL,
    attack_version   TEXT,
    args             TEXT    NOT NULL   -- JSON array of strings
);
CREATE INDEX runs_kind_started ON runs (kind, started_ns);
CREATE INDEX runs_last_activity ON runs (last_activity_ns);

CREATE TABLE findings (
    id                 INTEGER PRIMARY KEY,
    run_id             INTEGER NOT NULL REFERENCES runs (id),
    observed_ns        INTEGER NOT NULL,
    check_id           TEXT    NOT NULL,
    severity           TEXT    NOT NULL,  -- info|low|medium|high|critical
    severity_rank      INTEGER NOT NULL,  -- 0 (info) .. 4 (critical)
    techniques         TEXT    NOT NULL,  -- JSON array
    tactics            TEXT    NOT NULL,  -- JSON array
    path               TEXT    NOT NULL,
    line               INTEGER NOT NULL,
    col                INTEGER NOT NULL,
    pointer            TEXT    NOT NULL,
    object_api_version TEXT,
    object_kind        TEXT,
    object_namespace   TEXT,
    object_name        TEXT,
    subject            TEXT,              -- `ServiceAccount shop/ci`
    message            TEXT    NOT NULL,
    suppressed         INTEGER NOT NULL,  -- 0 or 1
    body               TEXT    NOT NULL   -- the Finding as JSON: what queries return
);
CREATE INDEX findings_run ON findings (run_id);
CREATE INDEX findings_observed ON findings (observed_ns);
CREATE INDEX findings_check ON findings (check_id);
CREATE INDEX findings_namespace ON findings (object_namespace);

CREATE TABLE finding_techniques (
    technique  TEXT    NOT NULL,          -- upper case
    finding_id INTEGER NOT NULL REFERENCES findings (id) ON DELETE CASCADE,
    PRIMARY KEY (technique, finding_id)
) WITHOUT ROWID;
CREATE INDEX finding_techniques_finding ON finding_techniques (finding_id);

CREATE TABLE alerts (
    id              INTEGER PRIMARY KEY,
    run_id          INTEGER NOT NULL REFERENCES runs (id),
    time            TEXT    NOT NULL,     -- as received (RFC 3339)
    time_ns         INTEGER NOT NULL,     -- the same, nanoseconds since the epoch
    rule            TEXT    NOT NULL,
    priority        TEXT    NOT NULL,
    priority_rank   INTEGER,              -- 0 (debug) .. 7 (emergency); NULL if unknown
    source          TEXT    NOT NULL,
    techniques      TEXT    NOT NULL,     -- JSON array
    tactics         TEXT    NOT NULL,     -- JSON array
    cluster         TEXT,
    namespace       TEXT,
    pod             TEXT,
    container       TEXT,
    image           TEXT,
    service_account TEXT,
    node            TEXT,
    container_id    TEXT,
    actor_user      TEXT,
    source_ips      TEXT    NOT NULL,     -- JSON array
    event_id        TEXT,
    output          TEXT    NOT NULL,
    body            TEXT    NOT NULL      -- the palisade.alert/v1 record: what queries return
);
CREATE INDEX alerts_time ON alerts (time_ns);
CREATE INDEX alerts_namespace_time ON alerts (namespace, time_ns);
CREATE INDEX alerts_rule_time ON alerts (rule, time_ns);
CREATE INDEX alerts_run ON alerts (run_id);

-- time_ns is copied from the alert so that "technique X since T" is one index range.
CREATE TABLE alert_techniques (
    technique TEXT    NOT NULL,           -- upper case
    time_ns   INTEGER NOT NULL,
    alert_id  INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    PRIMARY KEY (technique, time_ns, alert_id)
) WITHOUT ROWID;
CREATE INDEX alert_techniques_alert ON alert_techniques (alert_id);

CREATE TABLE incidents (
    id            INTEGER PRIMARY KEY,
    key           TEXT    NOT NULL UNIQUE,  -- the correlator's stable identity
    first_seen_ns INTEGER NOT NULL,
    last_seen_ns  INTEGER NOT NULL,
    score         REAL    NOT NULL,
    updated_ns    INTEGER NOT NULL,
    body          TEXT    NOT NULL          -- JSON
);
CREATE INDEX incidents_last_seen ON incidents (last_seen_ns);

CREATE TABLE incident_alerts (
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    alert_id    INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    PRIMARY KEY (incident_id, alert_id)
) WITHOUT ROWID;
CREATE INDEX incident_alerts_alert ON incident_alerts (alert_id);

CREATE TABLE incident_findings (
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    finding_id  INTEGER NOT NULL REFERENCES findings (id) ON DELETE CASCADE,
    PRIMARY KEY (incident_id, finding_id)
) WITHOUT ROWID;
CREATE INDEX incident_findings_finding ON incident_findings (finding_id);
"#,
];
