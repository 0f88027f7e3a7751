//! Writes: runs, batches of findings and alerts, incidents, retention.
//!
//! Every write is one `BEGIN IMMEDIATE` transaction: it takes the write lock up front (waiting
//! up to the busy timeout for another writer) so it never fails half-way on a lock upgrade, and
//! the method returns only after `COMMIT`.

use crate::{
    AlertId, FindingId, Incident, IncidentId, NewRun, Result, RetentionCounts, RunId, Store,
    StoreError, now_ns, parse_rfc3339_ns, priority_rank, severity_rank,
};
use palisade_core::{AlertRecord, Finding};
use rusqlite::{Transaction, TransactionBehavior, params};

/// Rows deleted per retention transaction, so a large purge never holds the write lock for
/// long (a concurrent `watch` keeps writing in between).
const RETENTION_CHUNK: i64 = 5_000;

/// Bump a run's activity time; fails with [`StoreError::UnknownRun`] when it does not exist.
fn touch_run(tx: &Transaction<'_>, run: RunId, at_ns: i64) -> Result<()> {
    let n = tx.execute(
        "UPDATE runs SET last_activity_ns = max(last_activity_ns, ?2) WHERE id = ?1",
        params![run.0, at_ns],
    )?;
    if n == 0 {
        return Err(StoreError::UnknownRun(run));
    }
    Ok(())
}

fn json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String> {
    Ok(serde_json::to_string(value)?)
}

impl Store {
    fn write_tx(&mut self) -> Result<Transaction<'_>> {
        Ok(self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?)
    }

    /// Record the start of a run and return its id.
    pub fn begin_run(&mut self, run: &NewRun) -> Result<RunId> {
        let args = json(&run.args)?;
        let tx = self.write_tx()?;
        tx.execute(
            "INSERT INTO runs (kind, started_ns, last_activity_ns, tool_version, attack_version, args)
             VALUES (?1, ?2, ?2, ?3, ?4, ?5)",
            params![
                run.kind.as_str(),
                run.started_ns,
                run.tool_version,
                run.attack_version,
                args
            ],
        )?;
        let id = RunId(tx.last_insert_rowid());
        tx.commit()?;
        Ok(id)
    }

    /// Record the end of a run, now.
    pub fn finish_run(&mut self, run: RunId) -> Result<()> {
        self.finish_run_at(run, now_ns())
    }

    /// Record the end of a run at `finished_ns`.
    pub fn finish_run_at(&mut self, run: RunId, finished_ns: i64) -> Result<()> {
        let tx = self.write_tx()?;
        let n = tx.execute(
            "UPDATE runs SET finished_ns = ?2, last_activity_ns = max(last_activity_ns, ?2)
             WHERE id = ?1",
            params![run.0, finished_ns],
        )?;
        if n == 0 {
            return Err(StoreError::UnknownRun(run));
        }
        tx.commit()?;
        Ok(())
    }

    /// Store a batch of findings of `run`, recorded now. See [`Store::insert_findings_at`].
    pub fn insert_findings(&mut self, run: RunId, findings: &[Finding]) -> Result<Vec<FindingId>> {
        self.insert_findings_at(run, now_ns(), findings)
    }

    /// Store a batch of findings of `run` as recorded at `observed_ns` (what retention ages),
    /// in one transaction. Returns their ids, in order, once committed: all or nothing.
    pub fn insert_findings_at(
        &mut self,
        run: RunId,
        observed_ns: i64,
        findings: &[Finding],
    ) -> Result<Vec<FindingId>> {
        if findings.is_empty() {
            return Ok(Vec::new());
        }
        let rows = findings
            .iter()
            .map(|f| Ok((json(f)?, json(&f.techniques)?, json(&f.tactics)?)))
            .collect::<Result<Vec<_>>>()?;
        let tx = self.write_tx()?;
        touch_run(&tx, run, now_ns())?;
        let mut ids = Vec::with_capacity(findings.len());
        {
            let mut insert = tx.prepare(
                "INSERT INTO findings (run_id, observed_ns, check_id, severity, severity_rank,
                    techniques, tactics, path, line, col, pointer, object_api_version, object_kind,
                    object_namespace, object_name, subject, message, suppressed, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                    ?17, ?18, ?19)",
            )?;
            let mut technique = tx.prepare(
                "INSERT OR IGNORE INTO finding_techniques (technique, finding_id) VALUES (?1, ?2)",
            )?;
            for (f, (body, techniques, tactics)) in findings.iter().zip(&rows) {
                let object = f.object.as_ref();
                insert.execute(params![
                    run.0,
                    observed_ns,
                    f.check,
                    f.severity.as_str(),
                    severity_rank(f.severity),
                    techniques,
                    tactics,
                    f.location.path,
                    f.location.line,
                    f.location.column,
                    f.location.pointer,
                    object.map(|o| &o.api_version),
                    object.map(|o| &o.kind),
                    object.and_then(|o| o.namespace.as_ref()),
                    object.and_then(|o| o.name.as_ref()),
                    f.subject.as_ref().map(|s| s.display_name()),
                    f.message,
                    f.suppressed.is_some(),
                    body,
                ])?;
                let id = tx.last_insert_rowid();
                for t in &f.techniques {
                    technique.execute(params![t.trim().to_ascii_uppercase(), id])?;
                }
                ids.push(FindingId(id));
            }
        }
        tx.commit()?;
        Ok(ids)
    }

    /// Store a batch of alerts of `run` in one transaction. Returns their ids, in order, once
    /// committed (the acknowledgement): all or nothing. An alert whose `time` is not RFC 3339
    /// fails the batch with [`StoreError::InvalidAlert`] before anything is written.
    pub fn insert_alerts(&mut self, run: RunId, alerts: &[AlertRecord]) -> Result<Vec<AlertId>> {
        if alerts.is_empty() {
            return Ok(Vec::new());
        }
        let rows = alerts
            .iter()
            .enumerate()
            .map(|(index, a)| {
                let time_ns =
                    parse_rfc3339_ns(&a.time).ok_or_else(|| StoreError::InvalidAlert {
                        index,
                        reason: format!("time `{}` is not an RFC 3339 timestamp", a.time),
                    })?;
                Ok((
                    time_ns,
                    json(a)?,
                    json(&a.techniques)?,
                    json(&a.tactics)?,
                    json(&a.actor.source_ips)?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        #[cfg(test)]
        let abort_after = self.abort_after_rows;
        #[cfg(not(test))]
        let abort_after: Option<usize> = None;
        let tx = self.write_tx()?;
        touch_run(&tx, run, now_ns())?;
        let mut ids = Vec::with_capacity(alerts.len());
        {
            let mut insert = tx.prepare(
                "INSERT INTO alerts (run_id, time, time_ns, rule, priority, priority_rank, source,
                    techniques, tactics, cluster, namespace, pod, container, image,
                    service_account, node, container_id, actor_user, source_ips, event_id,
                    output, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                    ?17, ?18, ?19, ?20, ?21, ?22)",
            )?;
            let mut technique = tx.prepare(
                "INSERT OR IGNORE INTO alert_techniques (technique, time_ns, alert_id)
                 VALUES (?1, ?2, ?3)",
            )?;
            for (i, (a, (time_ns, body, techniques, tactics, source_ips))) in
                alerts.iter().zip(&rows).enumerate()
            {
                if abort_after == Some(i) {
                    // Fault injection for the crash test: die mid-transaction.
                    std::process::abort();
                }
                let w = &a.workload;
                insert.execute(params![
                    run.0,
                    a.time,
                    time_ns,
                    a.rule,
                    a.priority,
                    priority_rank(&a.priority),
                    a.source,
                    techniques,
                    tactics,
                    w.cluster,
                    w.namespace,
                    w.pod,
                    w.container,
                    w.image,
                    w.service_account,
                    w.node,
                    w.container_id,
                    a.actor.user,
                    source_ips,
                    a.event_id,
                    a.output,
                    body,
                ])?;
                let id = tx.last_insert_rowid();
                for t in &a.techniques {
                    technique.execute(params![t.trim().to_ascii_uppercase(), time_ns, id])?;
                }
                ids.push(AlertId(id));
            }
        }
        tx.commit()?;
        Ok(ids)
    }

    /// Insert or update incidents by [`Incident::key`], in one transaction. On update, the
    /// first/last seen times widen, score and body are replaced, and the evidence links are
    /// added to the existing ones. Every linked alert and finding must exist
    /// ([`StoreError::UnknownEvidence`] otherwise; nothing is written then).
    pub fn upsert_incidents(&mut self, incidents: &[Incident]) -> Result<Vec<IncidentId>> {
        if incidents.is_empty() {
            return Ok(Vec::new());
        }
        let mut bodies = Vec::with_capacity(incidents.len());
        for inc in incidents {
            if !inc.score.is_finite() {
                return Err(StoreError::InvalidIncident {
                    key: inc.key.clone(),
                    reason: format!("score {} is not a finite number", inc.score),
                });
            }
            bodies.push(json(&inc.body)?);
        }
        let now = now_ns();
        let tx = self.write_tx()?;
        let mut ids = Vec::with_capacity(incidents.len());
        {
            let mut upsert = tx.prepare(
                "INSERT INTO incidents (key, first_seen_ns, last_seen_ns, score, updated_ns, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (key) DO UPDATE SET
                    first_seen_ns = min(first_seen_ns, excluded.first_seen_ns),
                    last_seen_ns = max(last_seen_ns, excluded.last_seen_ns),
                    score = excluded.score,
                    updated_ns = excluded.updated_ns,
                    body = excluded.body
                 RETURNING id",
            )?;
            let mut alert_exists = tx.prepare("SELECT 1 FROM alerts WHERE id = ?1")?;
            let mut finding_exists = tx.prepare("SELECT 1 FROM findings WHERE id = ?1")?;
            let mut link_alert = tx.prepare(
                "INSERT OR IGNORE INTO incident_alerts (incident_id, alert_id) VALUES (?1, ?2)",
            )?;
            let mut link_finding = tx.prepare(
                "INSERT OR IGNORE INTO incident_findings (incident_id, finding_id) VALUES (?1, ?2)",
            )?;
            for (inc, body) in incidents.iter().zip(&bodies) {
                let id: i64 = upsert.query_row(
                    params![
                        inc.key,
                        inc.first_seen_ns,
                        inc.last_seen_ns,
                        inc.score,
                        now,
                        body
                    ],
                    |r| r.get(0),
                )?;
                for a in &inc.alerts {
                    if !alert_exists.exists([a.0])? {
                        return Err(StoreError::UnknownEvidence {
                            key: inc.key.clone(),
                            what: "alert",
                            id: a.0,
                        });
                    }
                    link_alert.execute(params![id, a.0])?;
                }
                for f in &inc.findings {
                    if !finding_exists.exists([f.0])? {
                        return Err(StoreError::UnknownEvidence {
                            key: inc.key.clone(),
                            what: "finding",
                            id: f.0,
                        });
                    }
                    link_finding.execute(params![id, f.0])?;
                }
                ids.push(IncidentId(id));
            }
        }
        tx.commit()?;
        Ok(ids)
    }

    /// Delete what is older than `older_than_ns`: alerts whose time is before it, findings
    /// recorded before it, then runs inactive since before it that have no alerts or findings
    /// left, then incidents left without any evidence. Deletes in chunks of a few thousand rows,
    /// one transaction each, so concurrent writers are never held up for long. (The file does not
    /// shrink; freed pages are reused.)
    pub fn apply_retention(&mut self, older_than_ns: i64) -> Result<RetentionCounts> {
        let alerts = self.delete_chunked(
            "DELETE FROM alerts WHERE id IN
                (SELECT id FROM alerts WHERE time_ns < ?1 ORDER BY time_ns LIMIT ?2)",
            older_than_ns,
        )?;
        let findings = self.delete_chunked(
            "DELETE FROM findings WHERE id IN
                (SELECT id FROM findings WHERE observed_ns < ?1 ORDER BY observed_ns LIMIT ?2)",
            older_than_ns,
        )?;
        let tx = self.write_tx()?;
        let runs = tx.execute(
            "DELETE FROM runs WHERE last_activity_ns < ?1
                AND NOT EXISTS (SELECT 1 FROM alerts WHERE alerts.run_id = runs.id)
                AND NOT EXISTS (SELECT 1 FROM findings WHERE findings.run_id = runs.id)",
            [older_than_ns],
        )? as u64;
        let incidents = tx.execute(
            "DELETE FROM incidents
             WHERE NOT EXISTS (SELECT 1 FROM incident_alerts WHERE incident_id = incidents.id)
               AND NOT EXISTS (SELECT 1 FROM incident_findings WHERE incident_id = incidents.id)",
            [],
        )? as u64;
        tx.commit()?;
        Ok(RetentionCounts {
            alerts,
            findings,
            runs,
            incidents,
        })
    }

    fn delete_chunked(&mut self, sql: &str, cutoff: i64) -> Result<u64> {
        let mut total = 0u64;
        loop {
            let tx = self.write_tx()?;
            let n = tx.execute(sql, params![cutoff, RETENTION_CHUNK])?;
            tx.commit()?;
            total += n as u64;
            if (n as i64) < RETENTION_CHUNK {
                return Ok(total);
            }
        }
    }
}
