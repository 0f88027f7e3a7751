//! `palisade report`: the HTML report of the examples, loaded in real headless Chromium.
//!
//! The page's script marks the root element when it has drawn everything
//! (`data-rendered="true"`), with the number of matrix cells, the heated ones and the layer
//! shown; uncaught errors and `console.error` calls are recorded in `data-errors`. Chromium's
//! `--dump-dom` shows those attributes, `--enable-logging=stderr` every console message, and
//! `--screenshot` the page as a PNG.
//!
//! Chromium is `$PALISADE_CHROMIUM`, else `/usr/bin/chromium`. Without it the browser part
//! is skipped with a notice, unless `PALISADE_REQUIRE_CHROMIUM=1` (CI), which makes it a
//! failure. The screenshot is written to `$PALISADE_ARTIFACTS_DIR` when set.

use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Build the report of the examples (scan + the audit log of the example attack).
fn make_report(dir: &Path) -> PathBuf {
    let out = dir.join("report.html");
    let run = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args([
            "report",
            "examples/",
            "--audit",
            "examples/audit/cryptojacking-attack.jsonl",
            "--title",
            "Shop </script><!-- report",
            "-o",
        ])
        .arg(&out)
        .env("SOURCE_DATE_EPOCH", "1795694400")
        .current_dir(root())
        .output()
        .expect("palisade runs");
    assert_eq!(
        run.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&run.stdout).trim(),
        out.display().to_string(),
        "the path is printed"
    );
    out
}

/// The embedded `palisade.report-data/v1` JSON.
fn embedded_data(html: &str) -> Value {
    let open = "<script type=\"application/json\" id=\"palisade-data\">";
    let start = html.find(open).expect("data element") + open.len();
    let end = start + html[start..].find("</script>").expect("end of data");
    serde_json::from_str(&html[start..end]).expect("embedded data is JSON")
}

/// Cells of the matrix (a technique in two tactics is two cells) whose layer is heated.
fn cells(data: &Value, hot: impl Fn(&Value) -> bool) -> (usize, usize) {
    let mut all = 0;
    let mut heated = 0;
    for tactic in data["tactics"].as_array().unwrap() {
        for id in tactic["techniques"].as_array().unwrap() {
            all += 1;
            if hot(&data["techniques"][id.as_str().unwrap()]) {
                heated += 1;
            }
        }
    }
    (all, heated)
}

#[test]
fn report_of_the_examples_has_the_attack_the_posture_and_escapes_its_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let html = std::fs::read_to_string(make_report(dir.path())).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    // The title from the command line is escaped in the markup and in the data.
    assert!(html.contains("<title>Shop &lt;/script&gt;&lt;!-- report</title>"));
    assert_eq!(
        html.matches("</script>").count(),
        3,
        "only the page's own scripts"
    );
    assert!(!html.contains("<!--"));
    // Nothing is loaded from anywhere.
    for needle in ["src=\"http", "<link", "@import", "url("] {
        assert!(!html.contains(needle), "{needle}");
    }

    let data = embedded_data(&html);
    assert_eq!(data["schema"], "palisade.report-data/v1");
    assert_eq!(data["title"], "Shop </script><!-- report");
    assert_eq!(data["generated"], "2026-11-26T12:00:00Z");
    assert!(data["sources"]["events_parsed"].as_u64().unwrap() > 100);
    assert!(data["sources"]["files"].as_u64().unwrap() >= 10);
    // The attack: one incident holds the chain from the stolen token to the miner, with the
    // posture findings that enabled it.
    let chain = data["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| {
            i["steps"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["technique"] == "T1496.001")
        })
        .expect("an incident with the miner");
    assert!(chain["identities"][0].as_str().unwrap().contains("shop/ci"));
    assert!(chain["finding_count"].as_u64().unwrap() > 0);
    assert!(chain["tactics"].as_array().unwrap().len() >= 5);
    // Escape to Host: enabled by findings, shown by alerts, covered, in the incident.
    let escape = &data["techniques"]["T1611"];
    assert!(escape["findings"]["count"].as_u64().unwrap() > 0);
    assert_eq!(escape["findings"]["worst"], "critical");
    assert!(escape["alerts"]["count"].as_u64().unwrap() > 0);
    assert!(escape["coverage"]["level"].as_u64().unwrap() >= 1);
    assert!(
        escape["incidents"]
            .as_array()
            .unwrap()
            .contains(&chain["id"])
    );
    for i in escape["alert_ids"].as_array().unwrap() {
        let alert = &data["alerts"][i.as_u64().unwrap() as usize];
        assert!(
            alert["techniques"]
                .as_array()
                .unwrap()
                .contains(&Value::from("T1611"))
        );
    }
    // Posture per namespace: the shop namespace and its CronJob miner.
    let shop = data["posture"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == "shop")
        .expect("namespace shop");
    assert!(
        shop["workloads"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["label"] == "CronJob log-rotate")
    );
    assert!(shop["alerts"].as_u64().unwrap() > 0);

    // Golden: what the matrix shows per technique (coverage left out: it grows with every
    // new check and rule).
    let mut lines = Vec::new();
    for (id, t) in data["techniques"].as_object().unwrap() {
        let (f, a) = (&t["findings"], &t["alerts"]);
        if f["count"] == 0 && a["count"] == 0 {
            continue;
        }
        lines.push(format!(
            "{id:<10} {}findings {:>2} {:<13} alerts {:>2} {:<13} incidents {}",
            if t["in_matrix"] == true {
                ""
            } else {
                "(outside) "
            },
            f["count"].as_u64().unwrap(),
            f["worst"].as_str().unwrap_or("-"),
            a["count"].as_u64().unwrap(),
            a["worst"].as_str().unwrap_or("-"),
            t["incidents"].as_array().unwrap().len()
        ));
    }
    insta::assert_snapshot!("examples_heatmap", lines.join("\n"));
}

fn chromium() -> Option<PathBuf> {
    let candidate = std::env::var_os("PALISADE_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    candidate.exists().then_some(candidate)
}

/// Chromium, or `None` after a notice (a failure when PALISADE_REQUIRE_CHROMIUM=1).
fn chromium_or_skip() -> Option<PathBuf> {
    let found = chromium();
    if found.is_none() {
        if std::env::var("PALISADE_REQUIRE_CHROMIUM").as_deref() == Ok("1") {
            panic!(
                "PALISADE_REQUIRE_CHROMIUM=1 but no Chromium at $PALISADE_CHROMIUM or /usr/bin/chromium (apt-get install chromium)"
            );
        }
        eprintln!(
            "NOTICE: skipping the browser test of the HTML report: no Chromium at /usr/bin/chromium (apt-get install chromium, or set PALISADE_CHROMIUM)"
        );
    }
    found
}

/// Run headless Chromium on `url` with `extra` arguments, killing it after two minutes.
fn headless(chromium: &Path, url: &str, extra: &[String]) -> Output {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within two minutes on {url}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    }
}

/// The attributes of the dumped root element, e.g. `data-rendered`.
fn root_attribute(dom: &str, name: &str) -> Option<String> {
    let html_tag = &dom[dom.find("<html")?..];
    let html_tag = &html_tag[..html_tag.find('>')?];
    let key = format!(" {name}=\"");
    let start = html_tag.find(&key)? + key.len();
    let end = start + html_tag[start..].find('"')?;
    Some(html_tag[start..end].to_owned())
}

/// Console messages, uncaught exceptions and refused loads in Chromium's log.
fn console_problems(stderr: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught") || l.contains("Refused to"))
        .map(str::to_owned)
        .collect()
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.canonicalize().unwrap().display())
}

#[test]
fn report_renders_in_headless_chromium_without_errors() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let report = make_report(dir.path());
    let data = embedded_data(&std::fs::read_to_string(&report).unwrap());
    let url = file_url(&report);

    // Default view: the posture layer.
    let run = headless(&chromium, &url, &["--dump-dom".into()]);
    let dom = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(
        root_attribute(&dom, "data-errors").as_deref(),
        Some("0"),
        "errors in the page: {:?}",
        root_attribute(&dom, "data-error-messages")
    );
    assert_eq!(
        console_problems(&run.stderr),
        Vec::<String>::new(),
        "console output"
    );
    assert_eq!(
        root_attribute(&dom, "data-rendered").as_deref(),
        Some("true")
    );
    let (all, with_findings) = cells(&data, |t| t["findings"]["count"].as_u64() > Some(0));
    assert!(all > 40, "the Containers matrix has {all} cells");
    assert_eq!(
        root_attribute(&dom, "data-heatmap-cells"),
        Some(all.to_string())
    );
    assert_eq!(
        dom.matches("role=\"gridcell\"").count(),
        all,
        "cells in the DOM"
    );
    assert_eq!(
        root_attribute(&dom, "data-layer").as_deref(),
        Some("findings")
    );
    assert_eq!(
        root_attribute(&dom, "data-hot-cells"),
        Some(with_findings.to_string())
    );
    assert!(with_findings > 10);
    // Every tactic column, every incident card with its progression and timeline, the
    // posture table.
    for tactic in data["tactics"].as_array().unwrap() {
        assert!(dom.contains(&format!(">{}<", tactic["name"].as_str().unwrap())));
    }
    for incident in data["incidents"].as_array().unwrap() {
        assert!(dom.contains(&format!("id=\"{}\"", incident["id"].as_str().unwrap())));
    }
    assert_eq!(
        dom.matches("class=\"progression\"").count(),
        data["incidents"].as_array().unwrap().len()
    );
    assert!(dom.contains("class=\"tl-mark\""));
    assert!(dom.contains("namespace shop"));
    // Text from the inputs is text, not markup.
    assert!(dom.contains("Shop &lt;/script&gt;&lt;!-- report"));

    // The alerts layer with Escape to Host drilled down, as a link to the view would open it.
    let run = headless(
        &chromium,
        &format!("{url}#layer=alerts&technique=T1611"),
        &["--dump-dom".into()],
    );
    let dom = String::from_utf8_lossy(&run.stdout);
    assert_eq!(root_attribute(&dom, "data-errors").as_deref(), Some("0"));
    assert_eq!(console_problems(&run.stderr), Vec::<String>::new());
    assert_eq!(
        root_attribute(&dom, "data-layer").as_deref(),
        Some("alerts")
    );
    let (_, with_alerts) = cells(&data, |t| t["alerts"]["count"].as_u64() > Some(0));
    assert_eq!(
        root_attribute(&dom, "data-hot-cells"),
        Some(with_alerts.to_string())
    );
    assert_ne!(with_alerts, with_findings, "the layers differ");
    assert_eq!(
        root_attribute(&dom, "data-selected").as_deref(),
        Some("T1611")
    );
    assert!(dom.contains("aria-pressed=\"true\">Alerts"));
    let detail = &dom[dom.find("id=\"detail\"").unwrap()..dom.find("id=\"incidents\"").unwrap()];
    assert!(detail.contains("Escape to Host"));
    let escape = &data["techniques"]["T1611"];
    let first_alert = &data["alerts"][escape["alert_ids"][0].as_u64().unwrap() as usize];
    assert!(detail.contains(first_alert["rule"].as_str().unwrap()));
    let first_finding = &data["findings"][escape["finding_ids"][0].as_u64().unwrap() as usize];
    assert!(detail.contains(first_finding["check"].as_str().unwrap()));

    // Coverage layer.
    let run = headless(
        &chromium,
        &format!("{url}#layer=coverage"),
        &["--dump-dom".into()],
    );
    let dom = String::from_utf8_lossy(&run.stdout);
    assert_eq!(root_attribute(&dom, "data-errors").as_deref(), Some("0"));
    let (_, covered) = cells(&data, |t| t["coverage"]["level"].as_u64() > Some(0));
    assert_eq!(
        root_attribute(&dom, "data-hot-cells"),
        Some(covered.to_string())
    );

    // The screenshot.
    let shots = match std::env::var_os("PALISADE_ARTIFACTS_DIR") {
        Some(d) => PathBuf::from(d),
        None => dir.path().to_path_buf(),
    };
    std::fs::create_dir_all(&shots).unwrap();
    let png = shots.join("palisade-report.png");
    let _ = std::fs::remove_file(&png);
    let run = headless(
        &chromium,
        &url,
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1400,1800".into(),
        ],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(console_problems(&run.stderr), Vec::<String>::new());
    let bytes = std::fs::read(&png).expect("screenshot written");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert_eq!((width, height), (1400, 1800));
    // A blank page of this size compresses to a few KiB; the drawn matrix does not.
    assert!(
        bytes.len() > 100_000,
        "screenshot is only {} bytes",
        bytes.len()
    );
    eprintln!("screenshot: {}", png.display());
}

#[test]
fn report_joins_alert_files_of_any_source_with_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("palisade.db");
    let scan = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args([
            "scan",
            "examples",
            "--format",
            "json",
            "--output",
            "/dev/null",
            "--store",
        ])
        .arg(&db)
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(scan.status.code(), Some(1));
    let jsonl = dir.path().join("alerts.jsonl");
    let detect = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args([
            "detect",
            "examples/audit/cryptojacking-attack.jsonl",
            "--format",
            "jsonl",
            "--no-summary",
            "--output",
        ])
        .arg(&jsonl)
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(detect.status.code(), Some(1));
    let audit_alerts = std::fs::read_to_string(&jsonl).unwrap().lines().count();
    // A runtime sensor's alert on the attacker's pod, in the same contract, and a bad line.
    let runtime = serde_json::json!({
        "schema": "palisade.alert/v1",
        "time": "2026-11-26T10:03:10.000Z",
        "rule": "Namespace Change Via Nsenter",
        "priority": "critical",
        "techniques": ["T1611"],
        "tactics": ["privilege-escalation"],
        "source": "runtime",
        "output": "nsenter into the host's namespaces (proc.cmdline=nsenter -t 1 -m -u -i -n sh)",
        "workload": {"cluster": null, "namespace": "shop", "pod": "kube-proxy-7xk2p",
                     "container": "kube-proxy", "image": null, "service_account": "ci",
                     "node": "worker-1", "container_id": "containerd://3f2a9c1b7d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4"},
        "actor": {"user": "root", "groups": [], "source_ips": []},
        "event_id": "sensor-42",
        "fields": {"proc.cmdline": "nsenter -t 1 -m -u -i -n sh"}
    });
    let mut text = std::fs::read_to_string(&jsonl).unwrap();
    text.push_str(&runtime.to_string());
    text.push_str("\nthis is not an alert\n");
    std::fs::write(&jsonl, text).unwrap();

    let out = dir.path().join("r.html");
    let run = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .arg("report")
        .arg("--alerts")
        .arg(&jsonl)
        .arg("--store")
        .arg(&db)
        .arg("-o")
        .arg(&out)
        .current_dir(root())
        .output()
        .unwrap();
    // The bad line makes the exit code 2, and the report is still written.
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("not a palisade.alert/v1 record"),
        "{stderr}"
    );
    let data = embedded_data(&std::fs::read_to_string(&out).unwrap());
    assert_eq!(
        data["totals"]["alerts_by_source"]["k8s_audit"],
        audit_alerts as u64
    );
    assert_eq!(data["totals"]["alerts_by_source"]["runtime"], 1);
    assert!(
        data["totals"]["findings"].as_u64().unwrap() > 50,
        "findings from the store"
    );
    assert!(data["sources"]["store"].is_string());
    assert_eq!(data["sources"]["problems"].as_array().unwrap().len(), 1);
    // The runtime alert joins the attack through its pod and shows on the matrix.
    let chain = data["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| {
            i["identities"][0]
                .as_str()
                .is_some_and(|s| s.contains("shop/ci"))
        })
        .expect("the attack");
    let lists_it = |i: &Value| {
        i["evidence"].as_array().unwrap().iter().any(|e| {
            e["source"] == "runtime" && e["rule_or_check"] == "Namespace Change Via Nsenter"
        })
    };
    let incidents = data["incidents"].as_array().unwrap();
    // Every alert is in exactly one incident; no other incident has the runtime alert (an
    // incident of its own would list it), and the attack lists it unless its evidence is
    // capped (the first and last 8 alerts of a larger incident, docs/correlation.md).
    let counted: u64 = incidents
        .iter()
        .map(|i| i["alert_count"].as_u64().unwrap())
        .sum();
    assert_eq!(counted, audit_alerts as u64 + 1);
    assert!(
        !incidents
            .iter()
            .any(|i| i["id"] != chain["id"] && lists_it(i))
    );
    assert!(lists_it(chain) || chain["evidence_omitted"].as_u64().unwrap() > 0);
    assert_eq!(data["techniques"]["T1611"]["alerts"]["worst"], "critical");
}
