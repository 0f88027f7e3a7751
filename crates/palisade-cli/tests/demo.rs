//! `palisade demo` and the data it embeds: the runtime recording of the example attack
//! (examples/runtime) replays cleanly, fires the intended runtime rules, agrees with the
//! audit log (examples/audit) and is what the sensor writes; the demo joins the audit and
//! the runtime alerts into one incident, prints it deterministically and writes the report.

use palisade_runtime::recording::{RecordingLine, event_line, header_line, parse_line};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const RECORDING: &str = "examples/runtime/cryptojacking-runtime.jsonl";
const AUDIT_LOG: &str = "examples/audit/cryptojacking-attack.jsonl";
const CONTAINER_ID: &str = "3f2a9c1b7d4e8a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn palisade_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS")
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .expect("palisade runs")
}

fn palisade(args: &[&str]) -> Output {
    palisade_in(&root(), args)
}

fn success(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

fn assert_fits(text: &str, width: usize) {
    for line in text.lines() {
        let n = line.chars().count();
        assert!(n <= width, "{n} columns, more than {width}: {line}");
    }
}

/// The runtime rules the recording is written to fire, with how many alerts each.
const INTENDED_RUNTIME_RULES: &[(&str, usize)] = &[
    // nsenter -t 1 ... and its setns into the host's ipc, uts and mount namespaces (the pod
    // already shares the host's pid and net namespaces: those two are not "into the host")
    ("Host Namespace Entered From Container", 4),
    // the CI runner pod's fresh token, read from the kubelet's volume directory
    ("Node Or Cluster Credentials Read From Container", 1),
    // the miner, started as kswapd0 with a stratum pool on its command line
    ("Cryptominer Started", 1),
    ("Process Disguised As Kernel Thread", 1),
    // its DNS lookup and its pool connection on port 3333
    ("Mining Pool Connection From Container", 2),
    ("Cron Job Written In Container", 1),
    ("Security Agent Stopped Or Killed", 1),
    // `> /var/log/syslog` and `rm /var/log/auth.log`
    ("Log Files Erased In Container", 2),
    ("Shell History Erased", 1),
];

#[test]
fn the_runtime_recording_replays_cleanly_and_fires_the_intended_rules() {
    let out = palisade(&[
        "detect", "--source", "runtime", RECORDING, "--format", "jsonl",
    ]);
    // Alerts at or above --fail-on (debug): exit 1, not 2 (nothing skipped, no rule error).
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("54 runtime events read, 54 parsed, 0 skipped"),
        "{stderr}"
    );
    let alerts: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("palisade.alert/v1 line"))
        .collect();
    let mut fired: BTreeMap<String, usize> = BTreeMap::new();
    for a in &alerts {
        *fired
            .entry(a["rule"].as_str().unwrap().to_owned())
            .or_default() += 1;
        // Every alert is the attacker's pod on worker-1; the node's ordinary activity
        // (the monitoring agent, runc) stays quiet.
        assert_eq!(a["source"], "runtime");
        assert_eq!(a["workload"]["namespace"], "shop", "{a}");
        assert_eq!(a["workload"]["pod"], "kube-proxy-7xk2p", "{a}");
        assert_eq!(a["workload"]["container"], "kube-proxy", "{a}");
        assert_eq!(a["workload"]["container_id"], CONTAINER_ID, "{a}");
        assert_eq!(a["workload"]["node"], "worker-1", "{a}");
        assert!(
            a["time"].as_str().unwrap().starts_with("2026-11-26T10:0"),
            "{a}"
        );
    }
    let intended: BTreeMap<String, usize> = INTENDED_RUNTIME_RULES
        .iter()
        .map(|(r, n)| ((*r).to_owned(), *n))
        .collect();
    assert_eq!(fired, intended);
}

#[test]
fn the_runtime_recording_is_what_the_sensor_writes() {
    let text = std::fs::read_to_string(root().join(RECORDING)).unwrap();
    let mut lines = text.lines();
    let first = lines.next().unwrap();
    match parse_line(first, 1).unwrap() {
        RecordingLine::Header(h) => {
            assert_eq!(h.schema, "palisade.runtime/v1");
            assert_eq!(h.hostname, "worker-1");
            assert_eq!(h.mode, "ebpf");
            assert_eq!(header_line(&h), first);
        }
        other => panic!("first line is not the header: {other:?}"),
    }
    let mut last_num = 0;
    let mut last_time = 0;
    for (i, line) in lines.enumerate() {
        let RecordingLine::Event(event) = parse_line(line, i + 2).unwrap() else {
            panic!("line {} is not an event", i + 2);
        };
        // Byte for byte what `palisade watch --record` writes for this event.
        assert_eq!(event_line(&event), line, "line {}", i + 2);
        assert_eq!(event.num, last_num + 1, "events are numbered in order");
        assert!(event.time_ns >= last_time, "events are in time order");
        assert_eq!(event.hostname, "worker-1");
        last_num = event.num;
        last_time = event.time_ns;
    }
}

/// The recording and the audit log tell one story: the pod the stolen token created is the
/// pod whose container the sensor saw, and the exec the API server logged is the nsenter
/// the sensor saw, after the pod was created.
#[test]
fn the_runtime_recording_agrees_with_the_audit_log() {
    let audit: Vec<Value> = std::fs::read_to_string(root().join(AUDIT_LOG))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let create = audit
        .iter()
        .find(|e| {
            e["verb"] == "create"
                && e["objectRef"]["resource"] == "pods"
                && e["objectRef"].get("subresource").is_none()
                && e["stage"] == "ResponseComplete"
        })
        .expect("the pod creation");
    let pod = &create["requestObject"];
    let exec = audit
        .iter()
        .find(|e| e["objectRef"]["subresource"] == "exec" && e["stage"] == "ResponseStarted")
        .expect("the exec");
    let uri = exec["requestURI"].as_str().unwrap();
    let command: Vec<&str> = uri
        .split(['?', '&'])
        .filter_map(|p| p.strip_prefix("command="))
        .collect();
    let to_ns = |ts: &str| {
        palisade_correlate::Timestamp::parse_rfc3339(ts)
            .unwrap()
            .as_nanos()
    };
    let created = to_ns(create["stageTimestamp"].as_str().unwrap());
    let exec_started = to_ns(exec["stageTimestamp"].as_str().unwrap());

    let text = std::fs::read_to_string(root().join(RECORDING)).unwrap();
    let mut nsenter = None;
    for (i, line) in text.lines().enumerate().skip(1) {
        let RecordingLine::Event(e) = parse_line(line, i + 1).unwrap() else {
            continue;
        };
        let Some(c) = &e.container else { continue };
        if c.id != CONTAINER_ID {
            continue;
        }
        let p = c.pod.as_ref().expect("pod metadata");
        assert_eq!(p.name, pod["metadata"]["name"].as_str().unwrap());
        assert_eq!(p.namespace, pod["metadata"]["namespace"].as_str().unwrap());
        assert_eq!(
            c.name.as_deref(),
            pod["spec"]["containers"][0]["name"].as_str()
        );
        assert_eq!(
            c.image.as_deref(),
            pod["spec"]["containers"][0]["image"].as_str()
        );
        assert!(
            e.time_ns > created,
            "container activity after the pod's creation"
        );
        // hostPID and hostNetwork: the pod's pid and net namespaces are the node's
        assert_eq!(e.proc.vpid, e.proc.pid);
        if e.evt_type == "execve" && e.proc.name == "nsenter" && nsenter.is_none() {
            nsenter = Some((e.time_ns, e.proc.cmdline()));
        }
    }
    let (time, cmdline) = nsenter.expect("the nsenter exec");
    assert_eq!(cmdline, command.join(" "));
    assert!(time > exec_started && time - exec_started < 2_000_000_000);
}

fn demo(dir: &Path, html: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "demo",
        "-o",
        html.to_str().unwrap(),
        "--color",
        "never",
        "--width",
        "120",
    ];
    args.extend_from_slice(extra);
    success(&palisade_in(dir, &args))
}

#[test]
fn demo_shows_the_whole_attack_as_one_incident_and_writes_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("demo.html");
    let out = demo(dir.path(), &html, &[]);
    assert!(!out.contains('\x1b'), "--color never: no escapes");
    assert_fits(&out, 120);

    // One incident joins the API server's view and the node's view of the attack.
    assert!(
        out.contains(
            "The attack as one incident: 18 audit and 14 runtime alerts, joined through pod shop/kube-proxy-7xk2p"
        ),
        "{out}"
    );
    let incident = out
        .split("Incident inc-")
        .nth(1)
        .and_then(|s| s.split("The doors left open").next())
        .expect("the incident view");
    assert!(
        incident.contains("32 alerts, 17 posture findings"),
        "{incident}"
    );
    assert!(incident.contains("nodes worker-1"));
    // From the audit log: the privileged pod (Deploy Container, Escape to Host), the exec,
    // the CronJob, the binding; from the sensor: nsenter (Escape to Host), the miner, the
    // wiped logs.
    for row in [
        "  10:03:00  audit    Privileged Container Started In Pod                   T1610 T1611",
        "  10:03:30  audit    Exec Or Attach Session Opened In Pod                  T1609",
        "  10:03:30  runtime  Host Namespace Entered From Container (4)             T1611",
        "  10:04:11  runtime  Cryptominer Started                                   T1496.001",
        "  10:04:11  runtime  Mining Pool Connection From Container (2)             T1496.001",
        "  10:04:39  runtime  Log Files Erased In Container (2)                     T1070 T1070.002",
        "  10:05:30  audit    Binding Grants Cluster-Admin Or Powerful Role         T1098.006",
    ] {
        assert!(incident.contains(row), "missing `{row}` in\n{incident}");
    }
    for technique in [
        "T1610",
        "T1611",
        "T1609",
        "T1496.001",
        "T1070.002",
        "T1053.003",
        // the stolen token, used from the attacker's address
        "T1550.001",
    ] {
        assert!(
            incident.contains(&format!(" {technique} ")),
            "{technique} missing from the kill chain"
        );
    }
    assert!(incident.contains("on the ATT&CK v18.1 for Containers matrix"));
    assert!(incident.contains("# T1496.001 Compute Hijacking - "));
    // The doors, and the anonymous requests from the attacker's address kept apart.
    assert!(out.contains("PAL-RBAC-014"));
    assert!(out.contains("PAL-K8S-103"));
    assert!(out.contains("Same address as the attack's API requests (203.0.113.50)"));

    // The report: written, self-contained, with the embedded data of both sources.
    assert!(out.contains(&format!("HTML report written: {}", html.display())));
    let page = std::fs::read_to_string(&html).expect("the report was written");
    assert!(page.contains("Content-Security-Policy"));
    let data = page
        .split(r#"<script type="application/json" id="palisade-data">"#)
        .nth(1)
        .and_then(|s| s.split("</script>").next())
        .expect("embedded report data");
    let data: Value = serde_json::from_str(data).unwrap();
    assert_eq!(data["sources"]["events_read"], 164);
    assert!(
        data["sources"]["alert_files"][0]
            .as_str()
            .unwrap()
            .starts_with(RECORDING)
    );
    assert_eq!(data["alerts"].as_array().unwrap().len(), 35);
    assert_eq!(data["totals"]["alerts_by_source"]["k8s_audit"], 21);
    assert_eq!(data["totals"]["alerts_by_source"]["runtime"], 14);
    let joined = data["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| {
            let sources: Vec<&str> = i["evidence"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["kind"] == "alert")
                .map(|e| e["source"].as_str().unwrap())
                .collect();
            sources.contains(&"k8s_audit") && sources.contains(&"runtime")
        })
        .expect("an incident with audit and runtime alerts");
    assert_eq!(joined["alert_count"], 32);
    assert!(page.contains("Cryptominer Started"));
    assert!(page.contains("nsenter -t 1 -m -u -i -n -p sh"));
}

/// Fixed data and no clock in the text: the same output on every run and machine (the
/// snapshot), with or without the report.
#[test]
fn demo_output_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("demo.html");
    let with_report = demo(dir.path(), &html, &[]);
    let shown = with_report.replace(&html.display().to_string(), "[DIR]/demo.html");
    insta::assert_snapshot!("demo_120", shown);
    let without = demo(dir.path(), &html, &["--no-report"]);
    let before_report = |s: &str| s.split("HTML report").next().unwrap().to_owned();
    assert_eq!(before_report(&with_report), before_report(&without));
    assert_eq!(without, demo(dir.path(), &html, &["--no-report"]));
}

#[test]
fn demo_without_report_writes_nothing_and_fits_narrow_terminals() {
    let dir = tempfile::tempdir().unwrap();
    let out = success(&palisade_in(
        dir.path(),
        &["demo", "--no-report", "--color", "never", "--width", "80"],
    ));
    assert_fits(&out, 80);
    assert!(out.contains("HTML report: not written (--no-report)."));
    assert!(out.contains("T1496.001"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    // The default report name, in the current directory.
    let out = success(&palisade_in(dir.path(), &["demo", "--color", "never"]));
    assert!(out.contains("HTML report written: palisade-demo.html"));
    assert!(dir.path().join("palisade-demo.html").is_file());
    // Colour when asked for.
    let coloured = success(&palisade_in(
        dir.path(),
        &["demo", "--no-report", "--color", "always", "--width", "120"],
    ));
    assert!(coloured.contains("\x1b[1m"));
}

/// The demo scans what `palisade scan examples/` scans, with the same result.
#[test]
fn demo_scan_matches_palisade_scan_of_the_examples() {
    let out = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(["scan", "examples", "--format", "json"])
        .current_dir(root())
        .env_clear()
        .env("PALISADE_TODAY", "2026-11-26")
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &report["summary"];
    let dir = tempfile::tempdir().unwrap();
    let text = success(&palisade_in(
        dir.path(),
        &["demo", "--no-report", "--color", "never", "--width", "200"],
    ));
    let expected = format!(
        "  scan       {} files and {} objects: {} posture findings ({} critical, {} high, {} medium, {} low, {} info), {} suppressed with a reason",
        s["files"],
        s["objects"],
        s["findings"],
        s["by_severity"]["critical"],
        s["by_severity"]["high"],
        s["by_severity"]["medium"],
        s["by_severity"]["low"],
        s["by_severity"]["info"],
        s["suppressed"]
    );
    assert!(text.contains(&expected), "{expected}\n{text}");
}

#[test]
fn demo_help_says_what_it_shows() {
    let help = success(&palisade(&["demo", "--help"]));
    for words in [
        "embedded",
        "audit log",
        "runtime sensor",
        "as one incident",
        "ATT&CK for Containers matrix",
        "HTML report",
        "--no-report",
    ] {
        assert!(help.contains(words), "`{words}` missing from\n{help}");
    }
}
