#!/usr/bin/env python3
"""Benchmark `palisade detect`: replay a large synthetic Kubernetes audit log.

Runs, in one go, on the same file of audit.k8s.io/v1 events (`cargo xtask gen-audit`):

  (a) parse-only      palisade detect --no-builtin --format none FILE
                      (reads and parses every event, evaluates nothing)
  (b) built-in pack   palisade detect --format none FILE
  (c) Falco's rules   palisade detect --no-builtin --rules ../shared/rules/falco/k8s_audit_rules.yaml
                      --format none FILE   (skipped, with a notice, when the file is absent)
  (b) x2              the built-in pack on the file given twice (twice the events), to show
                      that peak RSS does not grow with the number of events

Each child is measured with os.wait4: CPU seconds = ru_utime + ru_stime, ru_maxrss (KiB on
Linux); wall seconds from time.perf_counter. ru_maxrss of a child of this Python process can
never be lower than the harness's own peak RSS (on exec, Linux folds the old address space's
high-water mark into the child's), which is above Palisade's, so the peak RSS column is the
child's own VmHWM, sampled from /proc/PID/status every 5 ms until it exits; ru_maxrss is shown
next to it. MB = 10^6 bytes. Each row runs --runs times (default 3) and the median is reported. Events per second per core = events /
CPU seconds. The cost ratio is (b) CPU seconds / (a) CPU seconds. Alerts come from the summary
line `palisade detect` prints on stderr.

With --baseline-bin OLD, every row also runs with an older binary (runs alternate between the
two, so machine load hits both alike): the report adds a before/after table and checks that the
alerts, the duplicates and the alerts per rule are identical (exit code 1 if they are not).

Standard library only (Python 3.11). Timings never go in pass/fail tests: see bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FALCO_RULES = REPO.parent / "shared" / "rules" / "falco" / "k8s_audit_rules.yaml"
GENERATOR_SOURCE = REPO / "xtask" / "src" / "gen_audit.rs"
DEFAULT_WORKDIR = Path("/tmp/palisade-detect-bench")

# Targets from the benchmark issue.
TARGET_EVENTS_PER_CORE = 400_000
TARGET_COST_RATIO = 2.0
# "Flat" peak RSS: twice the events may cost at most this much more memory.
FLAT_RSS_TOLERANCE = 0.10

BY_RULE_LINE = re.compile(r"^ {4}\s*(?P<n>\d+)  (?P<rule>\S.*)$")

SUMMARY_RE = re.compile(
    r"Summary: (?P<read>\d+) events read, (?P<parsed>\d+) parsed, (?P<skipped>\d+) skipped; "
    r"(?P<rules>\d+) rules run; (?P<alerts>\d+) alerts \((?P<dedup>\d+) duplicates"
)


@dataclass
class Run:
    cpu_s: float
    user_s: float
    sys_s: float
    wall_s: float
    maxrss_kib: int
    vm_hwm_kib: int
    harness_hwm_kib: int
    exit_code: int
    events_read: int
    events_parsed: int
    rules: int
    alerts: int
    deduplicated: int
    loadavg_before: str
    by_rule: dict[str, int] = field(default_factory=dict)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def vm_hwm_kib(pid: int, name: str) -> int | None:
    """VmHWM (peak RSS of the process's current address space) of a running process, once it
    runs `name` (before exec it would still be the harness's copy)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    if fields.get("Name", "").strip() != name[:15] or "VmHWM" not in fields:
        return None
    return int(fields["VmHWM"].split()[0])


def harness_hwm_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def reset_harness_hwm() -> None:
    """Lower this process's high-water mark to its current RSS (clear_refs 5), since a child
    starts with it as its ru_maxrss."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def measure(cmd: list[str], stderr_path: Path, sample_s: float = 0.005) -> Run:
    """Run `cmd` as a child; CPU time and ru_maxrss come from os.wait4 (no /usr/bin/time).

    ru_maxrss of a child spawned from Python is at least the Python process's own peak RSS:
    on exec, Linux folds the high-water mark of the old address space (the parent's, shared
    through vfork) into the child's maxrss. Palisade's own peak is below that floor, so the
    child's VmHWM is also sampled from /proc every few milliseconds until it exits (VmHWM
    only grows, so the last sample is the peak up to the last few milliseconds)."""
    before = loadavg()
    reset_harness_hwm()
    floor = harness_hwm_kib()
    name = Path(cmd[0]).name
    hwm = 0
    with open(stderr_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, cwd=REPO)
        while True:
            pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid != 0:
                break
            sample = vm_hwm_kib(proc.pid, name)
            if sample is not None:
                hwm = max(hwm, sample)
            time.sleep(sample_s)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = stderr_path.read_text(errors="replace")
    # 0: no alert; 1: alerts at or above --fail-on (debug by default). Anything else failed.
    if proc.returncode not in (0, 1):
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{text[-3000:]}")
    m = SUMMARY_RE.search(text)
    if not m:
        raise SystemExit(f"no summary line in the output of {' '.join(cmd)}:\n{text[-3000:]}")
    return Run(
        by_rule=by_rule_counts(text),
        cpu_s=ru.ru_utime + ru.ru_stime,
        user_s=ru.ru_utime,
        sys_s=ru.ru_stime,
        wall_s=wall,
        maxrss_kib=ru.ru_maxrss,
        vm_hwm_kib=hwm,
        harness_hwm_kib=floor,
        exit_code=proc.returncode,
        events_read=int(m["read"]),
        events_parsed=int(m["parsed"]),
        rules=int(m["rules"]),
        alerts=int(m["alerts"]),
        deduplicated=int(m["dedup"]),
        loadavg_before=before,
    )


def by_rule_counts(stderr_text: str) -> dict[str, int]:
    """Alerts per rule from the `by rule:` part of the summary `palisade detect` prints."""
    counts: dict[str, int] = {}
    lines = stderr_text.splitlines()
    try:
        start = lines.index("  by rule:") + 1
    except ValueError:
        return counts
    for line in lines[start:]:
        m = BY_RULE_LINE.match(line)
        if not m:
            break
        counts[m["rule"]] = int(m["n"])
    return counts


def build_palisade() -> Path:
    log("building palisade (cargo build --release -p palisade-cli) ...")
    subprocess.run(["cargo", "build", "--release", "-p", "palisade-cli"], cwd=REPO, check=True)
    # Where cargo put it: CARGO_TARGET_DIR when set (relative to the workspace), else target/.
    target = Path(os.environ.get("CARGO_TARGET_DIR") or "target")
    if not target.is_absolute():
        target = REPO / target
    return target / "release" / "palisade"


def generator_digest() -> str:
    return hashlib.sha256(GENERATOR_SOURCE.read_bytes()).hexdigest()[:16]


def ensure_events(workdir: Path, events: int, seed: int, regenerate: bool) -> tuple[Path, dict]:
    """The audit log for (events, seed), generated once and reused while the generator's
    source is unchanged."""
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"audit-{events}-seed{seed}.jsonl"
    meta_path = path.with_suffix(".meta.json")
    digest = generator_digest()
    if not regenerate and path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("generator") == digest and meta.get("bytes") == path.stat().st_size:
            log(f"reusing {path} ({meta['bytes'] / 1e6:.1f} MB, generator {digest})")
            return path, meta
    cmd = ["cargo", "run", "--quiet", "--release", "-p", "xtask", "--",
           "gen-audit", "--events", str(events), "--seed", str(seed), "--out", str(path)]
    log("generating: " + " ".join(cmd))
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, stderr=subprocess.PIPE, text=True)
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        raise SystemExit("gen-audit failed")
    meta = {
        "events": events,
        "seed": seed,
        "bytes": path.stat().st_size,
        "generator": digest,
        "generator_report": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "",
        "generated_in_s": round(time.perf_counter() - start, 2),
    }
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    return path, meta


def warm_page_cache(path: Path) -> None:
    """Read the file once so that every row starts with it in the page cache (small buffer:
    the harness's own RSS is the floor of the children's ru_maxrss)."""
    buf = bytearray(1 << 20)
    with open(path, "rb", buffering=0) as f:
        while f.readinto(buf):
            pass


def git_commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "?"


def machine_info() -> dict:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip() or str(os.cpu_count())
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return {
        "nproc": nproc,
        "cpu_model": model,
        "memory": mem,
        "kernel": platform.release(),
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def mb(kib: float) -> float:
    return kib * 1024 / 1e6


def summarise(runs: list[Run]) -> dict:
    return {
        "cpu_s": statistics.median(r.cpu_s for r in runs),
        "user_s": statistics.median(r.user_s for r in runs),
        "sys_s": statistics.median(r.sys_s for r in runs),
        "wall_s": statistics.median(r.wall_s for r in runs),
        "maxrss_kib": statistics.median(r.maxrss_kib for r in runs),
        "maxrss_kib_max": max(r.maxrss_kib for r in runs),
        "vm_hwm_kib": statistics.median(r.vm_hwm_kib for r in runs),
        "vm_hwm_kib_max": max(r.vm_hwm_kib for r in runs),
        "harness_hwm_kib": max(r.harness_hwm_kib for r in runs),
        "events": runs[0].events_parsed,
        "rules": runs[0].rules,
        "alerts": runs[0].alerts,
        "deduplicated": runs[0].deduplicated,
        "cpu_s_min": min(r.cpu_s for r in runs),
        "cpu_s_max": max(r.cpu_s for r in runs),
    }


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]

    def fmt(r: list[str]) -> str:
        return "| " + " | ".join(str(x).ljust(w) for x, w in zip(r, widths)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([fmt(header), sep] + [fmt(r) for r in rows])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000, help="events in the generated log (default 1,000,000)")
    ap.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    ap.add_argument("--runs", type=int, default=3, help="timed runs per row; the median is reported (default 3)")
    ap.add_argument("--palisade-bin", type=Path, help="use this palisade binary instead of building one")
    ap.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help=f"where the log is kept (default {DEFAULT_WORKDIR})")
    ap.add_argument("--regenerate", action="store_true", help="generate the log even if a current one exists")
    ap.add_argument("--falco-rules", type=Path, default=FALCO_RULES, help="Falco's k8s_audit_rules.yaml (default ../shared/...)")
    ap.add_argument("--no-double", action="store_true", help="skip the (b) x2 row")
    ap.add_argument("--json-out", type=Path, help="write every run's raw numbers to this file")
    ap.add_argument("--baseline-bin", type=Path,
                    help="also run every row with this (older) palisade binary, alternating runs "
                         "with the new one; report both and check that alerts per rule agree")
    args = ap.parse_args()
    if args.runs < 1:
        ap.error("--runs must be at least 1")

    built = args.palisade_bin.resolve() if args.palisade_bin else build_palisade()
    # A private copy: target/ is shared, and a rebuild in the middle of the rows would
    # otherwise swap the binary between runs.
    bin_dir = Path(tempfile.mkdtemp(prefix="palisade-detect-bench-bin-"))
    palisade = bin_dir / "palisade"
    shutil.copy2(built, palisade)
    baseline = None
    if args.baseline_bin:
        baseline = bin_dir / "palisade-baseline"
        shutil.copy2(args.baseline_bin.resolve(), baseline)
    try:
        return run_bench(args, built, palisade, baseline)
    finally:
        shutil.rmtree(bin_dir, ignore_errors=True)


def run_bench(args: argparse.Namespace, built: Path, palisade: Path, baseline: Path | None) -> int:
    binary_sha = hashlib.sha256(palisade.read_bytes()).hexdigest()[:16]
    version = subprocess.run([str(palisade), "--version"], capture_output=True, text=True).stdout.strip()
    log_path, gen_meta = ensure_events(args.workdir, args.events, args.seed, args.regenerate)
    log("warming the page cache ...")
    warm_page_cache(log_path)

    rows_spec: list[tuple[str, str, list[str], int]] = [
        ("a", "parse-only", ["--no-builtin"], 1),
        ("b", "built-in pack", [], 1),
    ]
    falco_note = None
    if args.falco_rules.is_file():
        rows_spec.append(("c", "Falco k8s_audit_rules.yaml", ["--no-builtin", "--rules", str(args.falco_rules)], 1))
    else:
        falco_note = f"(c) skipped: {args.falco_rules} not found"
        log("NOTICE: " + falco_note)
    if not args.no_double:
        rows_spec.append(("b2", "built-in pack, file twice (2x events)", [], 2))

    results: dict[str, dict] = {}
    base_results: dict[str, dict] = {}
    binaries = [("new", palisade, results)]
    if baseline:
        binaries.append(("baseline", baseline, base_results))
    with tempfile.TemporaryDirectory(prefix="palisade-detect-bench-") as tmp:
        for key, label, extra, copies in rows_spec:
            runs: dict[str, list[Run]] = {tag: [] for tag, _, _ in binaries}
            cmds = {}
            for tag, binary, _ in binaries:
                cmds[tag] = [str(binary), "detect", *extra, "--format", "none", *([str(log_path)] * copies)]
                log(f"[{key}] {label} ({tag}): {' '.join(cmds[tag])}")
            # Alternate the binaries run by run, so that a change in machine load hits both.
            for i in range(args.runs):
                for tag, _, _ in binaries:
                    r = measure(cmds[tag], Path(tmp) / f"{key}-{tag}-{i}.stderr")
                    runs[tag].append(r)
                    log(f"    {tag} run {i + 1}/{args.runs}: cpu {r.cpu_s:.2f}s wall {r.wall_s:.2f}s "
                        f"rss {mb(r.vm_hwm_kib):.1f}MB (ru_maxrss {mb(r.maxrss_kib):.1f}MB) alerts {r.alerts} "
                        f"(load {r.loadavg_before})")
            for tag, _, out_results in binaries:
                out_results[key] = {
                    "label": label,
                    "command": cmds[tag],
                    "copies": copies,
                    "median": summarise(runs[tag]),
                    "by_rule": runs[tag][0].by_rule,
                    "runs": [asdict(r) for r in runs[tag]],
                }

    for res_set in (results, base_results):
        if not res_set:
            continue
        a_set = res_set["a"]["median"]
        for res in res_set.values():
            m = res["median"]
            m["events_per_cpu_s"] = m["events"] / m["cpu_s"] if m["cpu_s"] > 0 else float("inf")
            m["events_per_wall_s"] = m["events"] / m["wall_s"] if m["wall_s"] > 0 else float("inf")
            m["cpu_vs_parse_only"] = m["cpu_s"] / a_set["cpu_s"] if a_set["cpu_s"] > 0 else float("inf")
            m["rule_cpu_us_per_event"] = (m["cpu_s"] / m["events"] - a_set["cpu_s"] / a_set["events"]) * 1e6
    a = results["a"]["median"]
    b = results["b"]["median"]

    header = ["run", "events", "rules", "CPU s", "CPU s min-max", "wall s", "events/s per core",
              "events/s wall", "CPU vs (a)", "peak RSS MB", "ru_maxrss MB", "alerts"]
    rows = []
    for key, res in results.items():
        m = res["median"]
        rows.append([
            f"({key}) {res['label']}" if key != "b2" else f"(b) x2 {res['label'].split(', ', 1)[1]}",
            f"{m['events']:,}",
            str(m["rules"]),
            f"{m['cpu_s']:.2f}",
            f"{m['cpu_s_min']:.2f}-{m['cpu_s_max']:.2f}",
            f"{m['wall_s']:.2f}",
            f"{m['events_per_cpu_s']:,.0f}",
            f"{m['events_per_wall_s']:,.0f}",
            f"{m['cpu_vs_parse_only']:.2f}x",
            f"{mb(m['vm_hwm_kib']):.1f}",
            f"{mb(m['maxrss_kib']):.1f}",
            f"{m['alerts']:,}",
        ])

    machine = machine_info()
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    mean_size = gen_meta["bytes"] / args.events if args.events else 0
    out = []
    out.append(f"date: {now}")
    out.append(f"machine: nproc {machine['nproc']}, {machine['cpu_model']}, {machine['memory']} RAM, "
               f"Linux {machine['kernel']}")
    out.append(f"palisade: {version} (commit {git_commit()}, {built}, sha256 {binary_sha}...)")
    out.append(f"input: {log_path} ({args.events:,} events, {gen_meta['bytes'] / 1e6:.1f} MB, "
               f"mean {mean_size:.0f} bytes/event, seed {args.seed}, generator {gen_meta['generator']})")
    out.append(f"runs per row: {args.runs} (medians shown)")
    if falco_note:
        out.append(falco_note)
    out.append("")
    out.append(table(rows, header))
    out.append("")
    ratio = b["cpu_s"] / a["cpu_s"]
    per_core = b["events_per_cpu_s"]
    out.append("targets:")
    out.append(f"  (b) >= {TARGET_EVENTS_PER_CORE:,} events/s per core: {per_core:,.0f} -> "
               f"{'MET' if per_core >= TARGET_EVENTS_PER_CORE else 'MISSED'} "
               f"({per_core / TARGET_EVENTS_PER_CORE:.2f}x the target)")
    out.append(f"  (b)/(a) CPU <= {TARGET_COST_RATIO:.1f}x: {ratio:.2f}x -> "
               f"{'MET' if ratio <= TARGET_COST_RATIO else 'MISSED'}")
    if "b2" in results:
        b2 = results["b2"]["median"]
        growth = b2["vm_hwm_kib"] / b["vm_hwm_kib"] - 1
        out.append(f"  peak RSS flat in events: {mb(b['vm_hwm_kib']):.1f} MB at {b['events']:,} events, "
                   f"{mb(b2['vm_hwm_kib']):.1f} MB at {b2['events']:,} ({growth:+.1%}) -> "
                   f"{'MET' if growth <= FLAT_RSS_TOLERANCE else 'MISSED'}")
    out.append(f"  rule evaluation cost over parsing: (b) {b['rule_cpu_us_per_event']:.2f} us/event"
               + (f", (c) {results['c']['median']['rule_cpu_us_per_event']:.2f} us/event" if "c" in results else ""))
    alerts_same = None
    if base_results:
        out.append("")
        out.append(f"baseline: {args.baseline_bin} (runs alternate with the new binary)")
        header_cmp = ["run", "CPU s before", "CPU s after", "events/s per core before", "events/s per core after",
                      "vs (a) before", "vs (a) after", "RSS MB before", "RSS MB after", "alerts before", "alerts after"]
        rows_cmp = []
        alerts_same = True
        for key, res in results.items():
            m, o = res["median"], base_results[key]["median"]
            same = (m["alerts"] == o["alerts"] and m["deduplicated"] == o["deduplicated"]
                    and res["by_rule"] == base_results[key]["by_rule"])
            alerts_same = alerts_same and same
            rows_cmp.append([
                f"({key})", f"{o['cpu_s']:.2f}", f"{m['cpu_s']:.2f}",
                f"{o['events_per_cpu_s']:,.0f}", f"{m['events_per_cpu_s']:,.0f}",
                f"{o['cpu_vs_parse_only']:.2f}x", f"{m['cpu_vs_parse_only']:.2f}x",
                f"{mb(o['vm_hwm_kib']):.1f}", f"{mb(m['vm_hwm_kib']):.1f}",
                f"{o['alerts']:,}", f"{m['alerts']:,}" + ("" if same else " DIFFERENT"),
            ])
        out.append(table(rows_cmp, header_cmp))
        out.append("alerts, duplicates and alerts per rule: "
                   + ("identical in every row" if alerts_same else "DIFFERENT (see the rows marked)"))
    floor = max(res["median"]["harness_hwm_kib"] for res in results.values())
    out.append(f"peak RSS = the child's VmHWM sampled from /proc; ru_maxrss (os.wait4) cannot go below "
               f"the harness's own peak, {mb(floor):.1f} MB here")
    loads = [r["loadavg_before"] for res in results.values() for r in res["runs"]]
    out.append(f"load average before the runs: {loads[0]} ... {loads[-1]}")
    print("\n".join(out))

    if args.json_out:
        doc = {
            "date": now,
            "machine": machine,
            "palisade": {"version": version, "commit": git_commit(), "binary": str(built), "sha256_16": binary_sha},
            "input": {"path": str(log_path), **gen_meta},
            "runs_per_row": args.runs,
            "targets": {
                "events_per_cpu_s": TARGET_EVENTS_PER_CORE,
                "cost_ratio": TARGET_COST_RATIO,
                "flat_rss_tolerance": FLAT_RSS_TOLERANCE,
            },
            "cost_ratio_b_over_a": ratio,
            "results": results,
            "baseline": {"binary": str(args.baseline_bin), "results": base_results,
                         "alerts_identical": alerts_same} if base_results else None,
            "notes": [falco_note] if falco_note else [],
        }
        args.json_out.write_text(json.dumps(doc, indent=2) + "\n")
        log(f"raw numbers written to {args.json_out}")
    return 1 if alerts_same is False else 0


if __name__ == "__main__":
    sys.exit(main())
