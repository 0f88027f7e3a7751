//! End-to-end tests of the runtime sensor with real containers: `palisade watch` runs the
//! eBPF sensor while podman (with runc) starts containers from a BusyBox image built here
//! (`podman import`, no registry), each performing one behaviour of the built-in runtime
//! pack; the alerts must name the technique and the container (id, name, image).
//!
//! Needs root, kernel BTF, tracefs, podman, runc, a static BusyBox at /bin/busybox and a C
//! compiler. Without them the tests print a notice and pass; with
//! `PALISADE_REQUIRE_SENSOR=1` (set by .ci/run, which installs them) a missing prerequisite
//! fails the run.

use palisade_testkit::{Need, PODMAN_RUN, Rootfs, run};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

const IMAGE: &str = "localhost/palisade-e2e:1";

fn palisade() -> &'static str {
    env!("CARGO_BIN_EXE_palisade")
}

/// What these tests need.
const NEEDS: &[Need] = &[
    Need::Root,
    Need::Btf,
    Need::Binary("podman"),
    Need::Binary("runc"),
    Need::Binary("cc"),
    Need::StaticBusybox,
];

/// `true` when the tests can run (see [`palisade_testkit::ready`]).
fn ready() -> bool {
    palisade_testkit::ready("runtime end-to-end tests", NEEDS)
}

/// Build the test image once: BusyBox with its applets, the paltool helper (also as
/// `xmrig`), BusyBox copies named like the tools attackers bring, a service-account token.
fn image() -> &'static str {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let rootfs = Rootfs::busybox(dir.path(), None);
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/runtime/paltool.c");
        let tool = rootfs.path("usr/local/bin/paltool");
        run(Command::new("cc")
            .args(["-static", "-O2", "-o"])
            .arg(&tool)
            .arg(&source));
        std::fs::copy(&tool, rootfs.path("usr/local/bin/xmrig")).unwrap();
        for name in ["kubectl", "docker", "nmap"] {
            std::fs::copy(
                "/bin/busybox",
                rootfs.path(&format!("usr/local/bin/{name}")),
            )
            .unwrap();
        }
        for d in ["mnt", "var/log"] {
            std::fs::create_dir_all(rootfs.path(d)).unwrap();
        }
        rootfs
            .write(
                "etc/passwd",
                "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n",
            )
            .write("etc/shadow", "root:*:19000:0:99999:7:::\n")
            .write("etc/group", "root:x:0:\nnogroup:x:65534:\n")
            .write("root/.ash_history", "id\n")
            .write("var/log/messages", "boot\n")
            .write(
                "var/run/secrets/kubernetes.io/serviceaccount/token",
                "eyJhbGciOiJSUzI1NiJ9.test\n",
            );
        rootfs.import(IMAGE, r#"["/bin/sh"]"#);
    });
    IMAGE
}

/// One container run: name, podman options, shell script.
struct Scenario {
    name: &'static str,
    options: &'static [&'static str],
    script: &'static str,
    /// Any of these techniques on an alert for this container passes.
    techniques: &'static [&'static str],
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "pal-e2e-miner",
        options: &[],
        script: "/usr/local/bin/xmrig",
        techniques: &["T1496.001", "T1496"],
    },
    Scenario {
        name: "pal-e2e-nsenter",
        options: &["--privileged", "--pid=host"],
        // pid 1 of this sandbox refuses /proc/1/ns access; any host process's
        // namespaces are the host's.
        script: "nsenter -t {HOSTPID} -m -- /bin/true",
        techniques: &["T1611"],
    },
    Scenario {
        name: "pal-e2e-mount-disk",
        options: &["--privileged"],
        script: "mount /dev/vda /mnt; true",
        techniques: &["T1611"],
    },
    Scenario {
        name: "pal-e2e-release-agent",
        options: &["--privileged"],
        script: "mkdir -p /tmp/cg; mount -t cgroup -o memory cgroup /tmp/cg; echo /x > /tmp/cg/release_agent; true",
        techniques: &["T1611"],
    },
    Scenario {
        name: "pal-e2e-runtime-socket",
        options: &[],
        script: "paltool connect-unix /var/run/docker.sock; true",
        techniques: &["T1611", "T1610"],
    },
    Scenario {
        name: "pal-e2e-kubectl",
        options: &[],
        script: "kubectl get secrets -A; true",
        techniques: &["T1609", "T1613", "T1059.013"],
    },
    Scenario {
        name: "pal-e2e-kubelet-probe",
        options: &[],
        script: "wget -q -T 1 -O- http://127.0.0.1:10250/pods; true",
        techniques: &["T1613", "T1046"],
    },
    Scenario {
        name: "pal-e2e-token",
        options: &[],
        script: "cat /var/run/secrets/kubernetes.io/serviceaccount/token >/dev/null",
        techniques: &["T1528", "T1552.001", "T1552.007"],
    },
    Scenario {
        name: "pal-e2e-shadow",
        options: &[],
        script: "cat /etc/shadow >/dev/null",
        techniques: &["T1552.001", "T1003.008", "T1552"],
    },
    Scenario {
        name: "pal-e2e-scanner",
        options: &[],
        script: "nmap -p 10250 10.0.0.0/24; true",
        techniques: &["T1046"],
    },
    Scenario {
        name: "pal-e2e-history",
        options: &[],
        script: "rm -f /root/.ash_history; : > /var/log/messages",
        techniques: &["T1070", "T1070.003", "T1070.002"],
    },
    Scenario {
        name: "pal-e2e-agent-kill",
        options: &[],
        // a path, so BusyBox sh execs it (bare `killall` runs in-process, as a "NOFORK" applet)
        script: "/bin/killall falco; true",
        techniques: &["T1562.001", "T1685", "T1562"],
    },
    Scenario {
        name: "pal-e2e-masquerade",
        options: &[],
        script: "cp /bin/busybox /tmp/sshd; /tmp/sshd; true",
        techniques: &["T1036.005", "T1036"],
    },
    Scenario {
        name: "pal-e2e-image-build",
        options: &[],
        script: "docker build -t miner .; docker run --privileged -d miner; true",
        techniques: &["T1612", "T1610"],
    },
    Scenario {
        name: "pal-e2e-memfd",
        options: &[],
        script: "paltool memfd-exec /bin/busybox true",
        techniques: &["T1620", "T1027", "T1055", "T1204"],
    },
    Scenario {
        name: "pal-e2e-setuid",
        options: &["--user", "65534"],
        script: "paltool setuid 0; true",
        techniques: &["T1068", "T1548", "T1548.001"],
    },
    Scenario {
        name: "pal-e2e-ptrace",
        options: &[],
        script: "paltool ptrace-child; true",
        techniques: &["T1055.008", "T1055"],
    },
];

struct Watch {
    child: Child,
    alerts: PathBuf,
    recording: PathBuf,
    stderr: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Watch {
    // A failed assertion must not leave a sensor running after the test.
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn start_watch(extra: &[&str]) -> Watch {
    let dir = tempfile::tempdir().unwrap();
    let alerts = dir.path().join("alerts.jsonl");
    let recording = dir.path().join("recording.jsonl");
    let stderr = dir.path().join("stderr.txt");
    let child = Command::new(palisade())
        .args([
            "watch",
            "--format",
            "jsonl",
            "--metrics-interval",
            "0s",
            "--output",
        ])
        .arg(&alerts)
        .arg("--record")
        .arg(&recording)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .expect("starting palisade watch");
    // Ready when the hooks are listed.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(&stderr).unwrap_or_default();
        if text.contains("  hook ") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "palisade watch did not start: {text}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Watch {
        child,
        alerts,
        recording,
        stderr,
        _dir: dir,
    }
}

fn stop_watch(mut watch: Watch) -> (Vec<Value>, String, Watch) {
    // Let the last container's events and metadata arrive.
    std::thread::sleep(Duration::from_millis(1500));
    run(Command::new("kill").args(["-INT", &watch.child.id().to_string()]));
    let deadline = Instant::now() + Duration::from_secs(30);
    while watch.child.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "palisade watch did not stop on SIGINT"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let alerts: Vec<Value> = std::fs::read_to_string(&watch.alerts)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("alert line is JSON"))
        .collect();
    let stderr = std::fs::read_to_string(&watch.stderr).unwrap_or_default();
    (alerts, stderr, watch)
}

fn podman_run(name: &str, options: &[&str], script: &str, cidfile: &Path) {
    let _ = Command::new("podman").args(["rm", "-f", name]).output();
    let out = Command::new("podman")
        .args(PODMAN_RUN)
        .args(["--name", name, "--cidfile"])
        .arg(cidfile)
        .args(options)
        .arg(image())
        .args([
            "/bin/sh",
            "-c",
            &script.replace("{HOSTPID}", &std::process::id().to_string()),
        ])
        .output()
        .expect("podman run");
    assert!(
        out.status.success(),
        "podman run {name} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One watch at a time: two sensors would each see the other's tests.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn container_behaviours_raise_alerts_attributed_to_their_container() {
    if !ready() {
        return;
    }
    let _guard = serial();
    image();
    let cids = tempfile::tempdir().unwrap();
    let watch = start_watch(&[]);
    let mut ids = Vec::new();
    for s in SCENARIOS {
        let cidfile = cids.path().join(s.name);
        podman_run(s.name, s.options, s.script, &cidfile);
        ids.push(std::fs::read_to_string(&cidfile).unwrap().trim().to_owned());
    }
    let (alerts, stderr, watch) = stop_watch(watch);
    let mut failures = Vec::new();
    for (s, id) in SCENARIOS.iter().zip(&ids) {
        let mine: Vec<&Value> = alerts
            .iter()
            .filter(|a| a["workload"]["container_id"] == id.as_str())
            .collect();
        let hit = mine.iter().find(|a| {
            a["techniques"].as_array().is_some_and(|t| {
                t.iter()
                    .any(|t| s.techniques.contains(&t.as_str().unwrap_or("")))
            })
        });
        match hit {
            None => failures.push(format!(
                "{}: no alert with {:?}; its alerts: {:?}",
                s.name,
                s.techniques,
                mine.iter()
                    .map(|a| a["rule"].as_str().unwrap_or(""))
                    .collect::<Vec<_>>()
            )),
            Some(a) => {
                let w = &a["workload"];
                if w["container"] != s.name {
                    failures.push(format!("{}: container name {}", s.name, w["container"]));
                }
                if w["image"] != IMAGE {
                    failures.push(format!("{}: image {}", s.name, w["image"]));
                }
                if a["source"] != "runtime" {
                    failures.push(format!("{}: source {}", s.name, a["source"]));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} behaviours not detected as expected:\n{}\n--- watch stderr ---\n{stderr}",
        failures.len(),
        SCENARIOS.len(),
        failures.join("\n")
    );
    assert!(
        stderr.contains("lost: 0"),
        "the sensor dropped events: {stderr}"
    );

    // The recording replays through `detect` to the same alerts.
    let replay = Command::new(palisade())
        .args([
            "detect",
            "--source",
            "runtime",
            "--format",
            "jsonl",
            "--no-summary",
        ])
        .arg(&watch.recording)
        .output()
        .unwrap();
    let replayed: Vec<Value> = String::from_utf8_lossy(&replay.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let key = |a: &Value| {
        (
            a["rule"].as_str().unwrap_or("").to_owned(),
            a["time"].as_str().unwrap_or("").to_owned(),
            a["event_id"].as_str().unwrap_or("").to_owned(),
        )
    };
    let mut live: Vec<_> = alerts
        .iter()
        .filter(|a| a["rule"] != "Palisade sensor: events dropped")
        .map(key)
        .collect();
    let mut again: Vec<_> = replayed.iter().map(key).collect();
    live.sort();
    again.sort();
    assert_eq!(live, again, "replaying the recording gave other alerts");
}

#[test]
fn fallback_mode_sees_container_processes_and_says_what_it_cannot() {
    if !ready() {
        return;
    }
    let _guard = serial();
    image();
    let cids = tempfile::tempdir().unwrap();
    let watch = start_watch(&["--fallback"]);
    let cidfile = cids.path().join("cid");
    podman_run(
        "pal-e2e-fallback",
        &[],
        "sleep 0.3; /usr/local/bin/xmrig; sleep 0.3",
        &cidfile,
    );
    let id = std::fs::read_to_string(&cidfile).unwrap().trim().to_owned();
    let (_alerts, stderr, watch) = stop_watch(watch);
    assert!(
        stderr.contains("unavailable connect, listen, accept"),
        "{stderr}"
    );
    assert!(
        stderr.contains("fallback mode: process events only"),
        "{stderr}"
    );
    let recording = std::fs::read_to_string(&watch.recording).unwrap();
    let header: Value = serde_json::from_str(recording.lines().next().unwrap()).unwrap();
    assert_eq!(header["mode"], "fallback");
    // The sleeps keep the shell alive long enough for /proc to be read.
    let execs: Vec<Value> = recording
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["type"] == "execve" && e["container"]["id"] == id.as_str())
        .collect();
    assert!(
        execs
            .iter()
            .any(|e| e["proc"]["name"] == "sh" || e["proc"]["name"] == "sleep"),
        "no exec attributed to the container in fallback mode: {execs:?}"
    );
}
