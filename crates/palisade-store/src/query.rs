//! Reads: alert, finding and incident queries, runs, stats.

use crate::{
    AlertId, AlertQuery, FindingId, FindingQuery, Incident, IncidentId, IncidentQuery, Result,
    RunId, RunKind, RunRecord, Store, StoreError, StoreStats, StoredAlert, StoredFinding,
    StoredIncident, priority_rank, severity_rank,
};
use palisade_core::{AlertRecord, Finding};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Row, params, params_from_iter};

/// A WHERE clause under construction, with its positional parameters.
struct Filter {
    sql: String,
    params: Vec<Value>,
}

impl Filter {
    fn new(select: &str) -> Self {
        Filter {
            sql: format!("{select} WHERE 1 = 1"),
            params: Vec::new(),
        }
    }

    fn and(&mut self, clause: &str, params: impl IntoIterator<Item = Value>) {
        self.sql.push_str(" AND ");
        self.sql.push_str(clause);
        self.params.extend(params);
    }

    fn text(s: &str) -> Value {
        Value::Text(s.to_owned())
    }

    /// `id_col IN (SELECT owner FROM link WHERE technique matches)`; a parent id also matches
    /// its sub-techniques through an index range (`T1053.` <= t < `T1053/`, `/` being the byte
    /// after `.`).
    /// `extra` is more conditions on the link table (with their parameters), e.g. the time
    /// window on `alert_techniques.time_ns`.
    fn technique(
        &mut self,
        id_col: &str,
        link: &str,
        owner: &str,
        technique: &str,
        extra: (&str, Vec<Value>),
    ) -> Result<()> {
        let t = technique.trim().to_ascii_uppercase();
        if t.is_empty() {
            return Err(StoreError::InvalidQuery("empty technique id".into()));
        }
        let (extra_sql, extra_params) = extra;
        if t.contains('.') {
            self.and(
                &format!("{id_col} IN (SELECT {owner} FROM {link} WHERE technique = ?{extra_sql})"),
                std::iter::once(Value::Text(t)).chain(extra_params),
            );
        } else {
            self.and(
                &format!(
                    "{id_col} IN (SELECT {owner} FROM {link}
                      WHERE (technique = ? OR (technique >= ? AND technique < ?)){extra_sql})"
                ),
                [
                    Value::Text(t.clone()),
                    Value::Text(format!("{t}.")),
                    Value::Text(format!("{t}/")),
                ]
                .into_iter()
                .chain(extra_params),
            );
        }
        Ok(())
    }

    fn tactic(&mut self, json_col: &str, tactic: &str) {
        self.and(
            &format!("EXISTS (SELECT 1 FROM json_each({json_col}) WHERE json_each.value = ?)"),
            [Filter::text(tactic.trim())],
        );
    }

    fn finish(&mut self, order: &str, limit: Option<usize>) {
        self.sql.push_str(" ORDER BY ");
        self.sql.push_str(order);
        if let Some(limit) = limit {
            self.sql.push_str(" LIMIT ?");
            self.params
                .push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
        }
    }
}

fn id_run_time_body(row: &Row<'_>) -> rusqlite::Result<(i64, i64, i64, String)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

fn parse_alert((id, run, time_ns, body): (i64, i64, i64, String)) -> Result<StoredAlert> {
    let alert: AlertRecord =
        serde_json::from_str(&body).map_err(|source| StoreError::CorruptBody {
            what: "alert",
            id,
            source,
        })?;
    Ok(StoredAlert {
        id: AlertId(id),
        run: RunId(run),
        time_ns,
        alert,
    })
}

fn parse_finding((id, run, observed_ns, body): (i64, i64, i64, String)) -> Result<StoredFinding> {
    let finding: Finding =
        serde_json::from_str(&body).map_err(|source| StoreError::CorruptBody {
            what: "finding",
            id,
            source,
        })?;
    Ok(StoredFinding {
        id: FindingId(id),
        run: RunId(run),
        observed_ns,
        finding,
    })
}

const ALERT_COLUMNS: &str = "SELECT a.id, a.run_id, a.time_ns, a.body FROM alerts a";
const FINDING_COLUMNS: &str = "SELECT f.id, f.run_id, f.observed_ns, f.body FROM findings f";
const RUN_COLUMNS: &str = "SELECT id, kind, started_ns, finished_ns, last_activity_ns, \
                           tool_version, attack_version, args FROM runs";

impl Store {
    /// Alerts matching `query`, oldest first (or newest first), as stored.
    pub fn query_alerts(&self, query: &AlertQuery) -> Result<Vec<AlertRecord>> {
        Ok(self
            .query_alerts_with_ids(query)?
            .into_iter()
            .map(|s| s.alert)
            .collect())
    }

    /// Alerts matching `query`, with their ids, run and parsed time.
    pub fn query_alerts_with_ids(&self, query: &AlertQuery) -> Result<Vec<StoredAlert>> {
        let mut f = Filter::new(ALERT_COLUMNS);
        if let Some(since) = query.since_ns {
            f.and("a.time_ns >= ?", [Value::Integer(since)]);
        }
        if let Some(until) = query.until_ns {
            f.and("a.time_ns < ?", [Value::Integer(until)]);
        }
        if let Some(t) = &query.technique {
            // The time window again, on the link table: one index range per technique.
            let mut sql = String::new();
            let mut params = Vec::new();
            if let Some(since) = query.since_ns {
                sql.push_str(" AND time_ns >= ?");
                params.push(Value::Integer(since));
            }
            if let Some(until) = query.until_ns {
                sql.push_str(" AND time_ns < ?");
                params.push(Value::Integer(until));
            }
            f.technique("a.id", "alert_techniques", "alert_id", t, (&sql, params))?;
        }
        if let Some(t) = &query.tactic {
            f.tactic("a.tactics", t);
        }
        if let Some(ns) = &query.namespace {
            f.and("a.namespace = ?", [Filter::text(ns)]);
        }
        if let Some(rule) = &query.rule {
            f.and("a.rule = ?", [Filter::text(rule)]);
        }
        if let Some(p) = &query.min_priority {
            let rank = priority_rank(p).ok_or_else(|| {
                StoreError::InvalidQuery(format!(
                    "unknown priority `{p}` (expected debug, informational, notice, warning, \
                     error, critical, alert or emergency)"
                ))
            })?;
            f.and("a.priority_rank >= ?", [Value::Integer(rank)]);
        }
        if let Some(source) = &query.source {
            f.and("a.source = ?", [Filter::text(source)]);
        }
        if let Some(run) = query.run {
            f.and("a.run_id = ?", [Value::Integer(run.0)]);
        }
        f.finish(
            if query.newest_first {
                "a.time_ns DESC, a.id DESC"
            } else {
                "a.time_ns, a.id"
            },
            query.limit,
        );
        let mut stmt = self.conn.prepare(&f.sql)?;
        let rows = stmt
            .query_map(params_from_iter(&f.params), id_run_time_body)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(parse_alert).collect()
    }

    /// The alerts with these ids, in the order given; ids not in the store are left out.
    pub fn get_alerts(&self, ids: &[AlertId]) -> Result<Vec<StoredAlert>> {
        let mut stmt = self
            .conn
            .prepare(&format!("{ALERT_COLUMNS} WHERE a.id = ?1"))?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(row) = stmt.query_row([id.0], id_run_time_body).optional()? {
                out.push(parse_alert(row)?);
            }
        }
        Ok(out)
    }

    /// Findings matching `query`, in insertion order.
    pub fn query_findings(&self, query: &FindingQuery) -> Result<Vec<Finding>> {
        Ok(self
            .query_findings_with_ids(query)?
            .into_iter()
            .map(|s| s.finding)
            .collect())
    }

    /// Findings matching `query`, with their ids, run and recording time.
    pub fn query_findings_with_ids(&self, query: &FindingQuery) -> Result<Vec<StoredFinding>> {
        let mut f = Filter::new(FINDING_COLUMNS);
        if let Some(t) = &query.technique {
            f.technique(
                "f.id",
                "finding_techniques",
                "finding_id",
                t,
                ("", Vec::new()),
            )?;
        }
        if let Some(t) = &query.tactic {
            f.tactic("f.tactics", t);
        }
        if let Some(sev) = query.severity_at_least {
            f.and("f.severity_rank >= ?", [Value::Integer(severity_rank(sev))]);
        }
        if let Some(ns) = &query.namespace {
            f.and("f.object_namespace = ?", [Filter::text(ns)]);
        }
        if let Some(check) = &query.check {
            f.and("f.check_id = ?", [Filter::text(check)]);
        }
        if let Some(glob) = &query.path_glob {
            f.and("f.path GLOB ?", [Filter::text(glob)]);
        }
        if let Some(run) = query.run {
            f.and("f.run_id = ?", [Value::Integer(run.0)]);
        }
        if let Some(since) = query.since_ns {
            f.and("f.observed_ns >= ?", [Value::Integer(since)]);
        }
        if !query.include_suppressed {
            f.and("f.suppressed = 0", []);
        }
        f.finish("f.id", query.limit);
        let mut stmt = self.conn.prepare(&f.sql)?;
        let rows = stmt
            .query_map(params_from_iter(&f.params), id_run_time_body)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(parse_finding).collect()
    }

    /// The findings with these ids, in the order given; ids not in the store are left out.
    pub fn get_findings(&self, ids: &[FindingId]) -> Result<Vec<StoredFinding>> {
        let mut stmt = self
            .conn
            .prepare(&format!("{FINDING_COLUMNS} WHERE f.id = ?1"))?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(row) = stmt.query_row([id.0], id_run_time_body).optional()? {
                out.push(parse_finding(row)?);
            }
        }
        Ok(out)
    }

    /// Incidents matching `query`, most recent evidence first, with their evidence links.
    pub fn query_incidents(&self, query: &IncidentQuery) -> Result<Vec<StoredIncident>> {
        let tx = self.conn.unchecked_transaction()?; // one snapshot for rows and links
        let mut f = Filter::new(
            "SELECT id, key, first_seen_ns, last_seen_ns, score, updated_ns, body FROM incidents",
        );
        if let Some(since) = query.since_ns {
            f.and("last_seen_ns >= ?", [Value::Integer(since)]);
        }
        if let Some(min) = query.min_score {
            f.and("score >= ?", [Value::Real(min)]);
        }
        f.finish("last_seen_ns DESC, id DESC", query.limit);
        let rows = {
            let mut stmt = tx.prepare(&f.sql)?;
            stmt.query_map(params_from_iter(&f.params), |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, f64>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, String>(6)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?
        };
        let mut alerts = tx.prepare(
            "SELECT alert_id FROM incident_alerts WHERE incident_id = ?1 ORDER BY alert_id",
        )?;
        let mut findings = tx.prepare(
            "SELECT finding_id FROM incident_findings WHERE incident_id = ?1 ORDER BY finding_id",
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, key, first_seen_ns, last_seen_ns, score, updated_ns, body) in rows {
            let body = serde_json::from_str(&body).map_err(|source| StoreError::CorruptBody {
                what: "incident",
                id,
                source,
            })?;
            let alert_ids = alerts
                .query_map([id], |r| r.get(0).map(AlertId))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let finding_ids = findings
                .query_map([id], |r| r.get(0).map(FindingId))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            out.push(StoredIncident {
                id: IncidentId(id),
                updated_ns,
                incident: Incident {
                    key,
                    first_seen_ns,
                    last_seen_ns,
                    score,
                    alerts: alert_ids,
                    findings: finding_ids,
                    body,
                },
            });
        }
        Ok(out)
    }

    /// One run.
    pub fn get_run(&self, id: RunId) -> Result<Option<RunRecord>> {
        let row = self
            .conn
            .query_row(&format!("{RUN_COLUMNS} WHERE id = ?1"), [id.0], run_row)
            .optional()?;
        row.map(parse_run).transpose()
    }

    /// The most recently started run (of `kind`, when given): e.g. the last `scan`, whose
    /// findings are the current posture.
    pub fn latest_run(&self, kind: Option<RunKind>) -> Result<Option<RunRecord>> {
        let row = self
            .conn
            .query_row(
                &format!(
                    "{RUN_COLUMNS} WHERE ?1 IS NULL OR kind = ?1 ORDER BY started_ns DESC, id DESC \
                     LIMIT 1"
                ),
                params![kind.map(RunKind::as_str)],
                run_row,
            )
            .optional()?;
        row.map(parse_run).transpose()
    }

    /// Row counts, alert time range and file size, from one snapshot.
    pub fn stats(&self) -> Result<StoreStats> {
        let tx = self.conn.unchecked_transaction()?;
        let count = |table: &str| -> Result<u64> {
            let n: i64 =
                tx.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
            Ok(n as u64)
        };
        let (oldest_alert_ns, newest_alert_ns) =
            tx.query_row("SELECT min(time_ns), max(time_ns) FROM alerts", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        let pages: i64 = tx.pragma_query_value(None, "page_count", |r| r.get(0))?;
        let page_size: i64 = tx.pragma_query_value(None, "page_size", |r| r.get(0))?;
        Ok(StoreStats {
            schema_version: tx.pragma_query_value(None, "user_version", |r| r.get(0))?,
            runs: count("runs")?,
            findings: count("findings")?,
            alerts: count("alerts")?,
            incidents: count("incidents")?,
            oldest_alert_ns,
            newest_alert_ns,
            size_bytes: (pages * page_size) as u64,
        })
    }
}

type RunRow = (
    i64,
    String,
    i64,
    Option<i64>,
    i64,
    String,
    Option<String>,
    String,
);

fn run_row(r: &Row<'_>) -> rusqlite::Result<RunRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

fn parse_run(
    (id, kind, started_ns, finished_ns, last_activity_ns, tool_version, attack_version, args): RunRow,
) -> Result<RunRecord> {
    let kind = kind.parse().map_err(|e: String| StoreError::CorruptBody {
        what: "run",
        id,
        source: serde::de::Error::custom(e),
    })?;
    let args = serde_json::from_str(&args).map_err(|source| StoreError::CorruptBody {
        what: "run",
        id,
        source,
    })?;
    Ok(RunRecord {
        id: RunId(id),
        kind,
        started_ns,
        finished_ns,
        last_activity_ns,
        tool_version,
        attack_version,
        args,
    })
}
