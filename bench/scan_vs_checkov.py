#!/usr/bin/env python3
"""Benchmark `palisade scan` against checkov 3.x on the shared corpus.

Runs, in one go:

* Palisade on the corpus' Kubernetes files (the exact file list checkov is given),
* Palisade on the whole corpus directory (Kubernetes, Dockerfiles, Compose), for information,
* checkov 3.x (`--framework kubernetes`) on the same Kubernetes file list,

and reports CPU seconds (user + system, the child and every descendant it reaped), wall
seconds, peak RSS (largest single process of the tree) and findings for each, side by side.

Standard library only (Python 3.11). checkov is installed from PyPI into a virtualenv
(default /tmp/palisade-bench-venv) on first use. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_VENV = Path("/tmp/palisade-bench-venv")
CHECKOV_SPEC = "checkov>=3,<4"

# Targets from the benchmark issue.
TARGET_CPU_RATIO = 50.0
TARGET_RSS_MB = 100.0  # MB = 10^6 bytes

# checkov must never wait on the network: no platform download (guidelines, policy
# metadata, custom policies) and no PyPI "update available" query at import time.
CHECKOV_ENV = {
    "BC_SKIP_MAPPING": "TRUE",  # same effect as --skip-download (main.py)
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE",  # banner.py queries PyPI otherwise
    "LOG_LEVEL": "WARNING",
}

# --- Palisade's file selection, mirrored from crates/palisade-scan/src/lib.rs
# (kind_from_name, is_template_name), crates/palisade-scan/src/compose/mod.rs
# (is_compose_file_name) and crates/palisade-cli/src/walk.rs (SKIP_DIRS, no symlinked dirs).

SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "target", ".terraform"}
TEMPLATE_EXTS = (".template", ".tmpl", ".tpl", ".j2", ".jinja", ".jinja2", ".gotmpl")


def is_template_name(name: str) -> bool:
    return name.lower().endswith(TEMPLATE_EXTS)


def is_compose_file_name(name: str) -> bool:
    lower = name.lower()
    if lower.endswith(".yaml"):
        stem = lower[: -len(".yaml")]
    elif lower.endswith(".yml"):
        stem = lower[: -len(".yml")]
    else:
        return False
    return (
        stem in ("compose", "docker-compose")
        or stem.startswith("docker-compose.")
        or stem.startswith("compose.")
        or stem.endswith(".compose")
    )


def kind_from_name(name: str) -> str | None:
    lower = name.lower()
    if is_template_name(lower):
        return None
    if (
        lower in ("dockerfile", "containerfile")
        or lower.startswith(("dockerfile.", "dockerfile-", "containerfile."))
        or lower.endswith((".dockerfile", ".containerfile"))
    ):
        return "dockerfile"
    if is_compose_file_name(name):
        return "compose"
    if lower.endswith((".yaml", ".yml", ".json")):
        return "kubernetes"
    return None


def classify_corpus(root: Path) -> dict[str, list[str]]:
    """Files Palisade reads when walking `root`, by kind, as paths relative to `root`."""
    kinds: dict[str, list[str]] = {"kubernetes": [], "dockerfile": [], "compose": []}
    stack = [root]
    while stack:
        d = stack.pop()
        with os.scandir(d) as it:
            for entry in it:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in SKIP_DIRS:
                        stack.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False) or entry.is_symlink():
                    kind = kind_from_name(entry.name)
                    if kind:
                        kinds[kind].append(str(Path(entry.path).relative_to(root)))
    for files in kinds.values():
        files.sort()
    return kinds


# --- measurement


@dataclass
class Run:
    cpu_s: float
    user_s: float
    sys_s: float
    wall_s: float
    maxrss_kib: int
    exit_code: int
    loadavg_before: str
    findings: int | None = None
    extra: dict = field(default_factory=dict)


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def measure(cmd: list[str], cwd: Path, stdout_path: Path, stderr_path: Path, env: dict | None = None) -> Run:
    """Run `cmd` as a child process; its rusage comes from os.wait4 (no /usr/bin/time).

    ru_utime/ru_stime of a reaped child include every descendant it reaped itself (checkov's
    forked workers); ru_maxrss is the largest RSS of any single process among them, in KiB.
    """
    before = loadavg()
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env)
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # keep Popen from waiting again
    return Run(
        cpu_s=ru.ru_utime + ru.ru_stime,
        user_s=ru.ru_utime,
        sys_s=ru.ru_stime,
        wall_s=wall,
        maxrss_kib=ru.ru_maxrss,
        exit_code=proc.returncode,
        loadavg_before=before,
    )


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --- the tools


def log(msg: str) -> None:
    print(f"[bench] {msg}", flush=True)


def ensure_checkov(venv: Path) -> Path:
    checkov = venv / "bin" / "checkov"
    python = venv / "bin" / "python"
    if not python.exists():
        log(f"creating virtualenv {venv} ({sys.executable} -m venv)")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    if not checkov.exists():
        log(f"installing '{CHECKOV_SPEC}' from PyPI into {venv} (this takes a few minutes)")
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
        subprocess.run([str(python), "-m", "pip", "install", CHECKOV_SPEC], check=True)
    else:
        log(f"reusing checkov in {venv}")
    version = checkov_version(checkov)
    if not version.startswith("3."):
        sys.exit(f"bench: {checkov} is version {version!r}, expected 3.x; remove {venv} or pass --venv")
    return checkov


def checkov_version(checkov: Path) -> str:
    env = {**os.environ, **CHECKOV_ENV}
    out = subprocess.run([str(checkov), "--version"], capture_output=True, text=True, env=env)
    return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else "?"


def build_palisade() -> Path:
    cmd = ["cargo", "build", "--release", "-p", "palisade-cli"]
    log(f"building Palisade: {' '.join(cmd)} (in {REPO})")
    if subprocess.run(cmd, cwd=REPO).returncode != 0:
        sys.exit("bench: the release build failed (see above); fix it, or pass --palisade-bin PATH")
    meta = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"],
        cwd=REPO, check=True, capture_output=True, text=True,
    )
    target = Path(json.loads(meta.stdout)["target_directory"])
    return target / "release" / "palisade"


def palisade_findings(report: Path) -> tuple[int, dict]:
    data = json.loads(report.read_text())
    s = data["summary"]
    total = s["findings"] + s["suppressed"]
    extra = {
        "active": s["findings"],
        "suppressed": s["suppressed"],
        "files_read": s["files"],
        "objects": s["objects"],
        "errors": s["errors"],
        "skipped": len(data.get("skipped", [])),
        "by_severity": s.get("by_severity", {}),
    }
    return total, extra


def checkov_findings(report: Path) -> tuple[int, dict]:
    data = json.loads(report.read_text())
    reports = data if isinstance(data, list) else [data]
    failed = passed = resources = parse_errors = skipped = 0
    files: set[str] = set()
    for r in reports:
        if "results" not in r:  # an empty run prints a bare summary dict
            continue
        fc = r["results"].get("failed_checks", [])
        failed += len(fc)
        files.update(f.get("file_path", "") for f in fc)
        summ = r.get("summary", {})
        passed += summ.get("passed", 0)
        resources += summ.get("resource_count", 0)
        parse_errors += summ.get("parsing_errors", 0)
        skipped += summ.get("skipped", 0)
    extra = {
        "failed_checks": failed,
        "passed_checks": passed,
        "skipped_checks": skipped,
        "resource_count": resources,
        "parsing_errors": parse_errors,
        "files_with_failures": len(files),
        "check_types": [r.get("check_type") for r in reports],
    }
    return failed, extra


# --- reporting


def git_commit() -> str:
    """Commit of the checkout that was built, with `+dirty` when the work tree has changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                              text=True, check=True).stdout.strip()
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
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    try:
        os_name = platform.freedesktop_os_release().get("PRETTY_NAME", "?")
    except OSError:
        os_name = platform.system()
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip() or str(os.cpu_count())
    return {
        "nproc": nproc,
        "cpu_model": model,
        "memory": mem,
        "kernel": platform.release(),
        "os": os_name,
    }


def mb(kib: float) -> float:
    return kib * 1024 / 1e6


def summarise(runs: list[Run]) -> dict:
    return {
        "runs": len(runs),
        "cpu_s": statistics.median(r.cpu_s for r in runs),
        "wall_s": statistics.median(r.wall_s for r in runs),
        "maxrss_mb": mb(statistics.median(r.maxrss_kib for r in runs)),
        "maxrss_mb_max": mb(max(r.maxrss_kib for r in runs)),
        "cpu_s_min": min(r.cpu_s for r in runs),
        "cpu_s_max": max(r.cpu_s for r in runs),
        "wall_s_min": min(r.wall_s for r in runs),
        "wall_s_max": max(r.wall_s for r in runs),
        "findings": runs[-1].findings,
    }


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    def fmt(r):
        return "| " + " | ".join(
            str(c).ljust(w) if i < 2 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths))
        ) + " |"
    sep = "|" + "|".join("-" * (w + 1) + ":" if i >= 2 else "-" * (w + 2) for i, w in enumerate(widths)) + "|"
    return "\n".join([fmt(header), sep] + [fmt(r) for r in rows])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus",
                    help="corpus directory (default: <repo>/../shared/corpus)")
    ap.add_argument("--venv", type=Path, default=DEFAULT_VENV, help=f"virtualenv for checkov (default: {DEFAULT_VENV})")
    ap.add_argument("--palisade-bin", type=Path, help="use this palisade binary instead of building one")
    ap.add_argument("--runs", type=int, default=5, help="Palisade runs per input; the median is reported (default 5)")
    ap.add_argument("--checkov-runs", type=int, default=1, help="checkov runs; the median is reported (default 1)")
    ap.add_argument("--no-checkov", action="store_true", help="measure Palisade only (no venv, no checkov run)")
    ap.add_argument("--keep", type=Path, help="keep the reports and logs of every run in this directory")
    ap.add_argument("--json-out", type=Path, help="write the raw numbers of every run to this file")
    args = ap.parse_args()

    corpus = args.corpus.resolve()
    if not corpus.is_dir():
        sys.exit(f"bench: corpus directory {corpus} not found; pass --corpus DIR "
                 "(the shared corpus lives at ../shared/corpus next to the repository)")
    if args.runs < 1 or args.checkov_runs < 1:
        sys.exit("bench: --runs and --checkov-runs must be at least 1")

    checkov = None if args.no_checkov else ensure_checkov(args.venv.resolve())
    palisade = args.palisade_bin.resolve() if args.palisade_bin else build_palisade()
    if not palisade.exists():
        sys.exit(f"bench: palisade binary {palisade} not found")

    kinds = classify_corpus(corpus)
    k8s_files = kinds["kubernetes"]
    if not k8s_files:
        sys.exit(f"bench: no Kubernetes YAML/JSON files under {corpus}")
    log(f"corpus {corpus}: {len(k8s_files)} Kubernetes YAML/JSON files, {len(kinds['dockerfile'])} Dockerfiles, "
        f"{len(kinds['compose'])} Compose files (Palisade's own file selection)")

    workdir = Path(args.keep).resolve() if args.keep else Path(tempfile.mkdtemp(prefix="palisade-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    # Both tools run with the corpus as working directory and the same relative file list.
    # A .palisade-ignore.yaml there would be picked up by Palisade; say so if one exists.
    if (corpus / ".palisade-ignore.yaml").exists():
        log("note: corpus has a .palisade-ignore.yaml, which Palisade applies")

    palisade_version = subprocess.run([str(palisade), "--version"], capture_output=True, text=True).stdout.strip()
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip() if shutil.which("rustc") else "?"
    commit = git_commit()
    if args.palisade_bin:  # the binary may come from another checkout or an older build
        commit = f"{commit} (checkout; binary given with --palisade-bin)"

    def palisade_cmd(out: Path, inputs: list[str], extra: tuple[str, ...] = ()) -> list[str]:
        return [str(palisade), "scan", "--format", "json", "--output", str(out), "--no-progress", *extra, *inputs]

    inputs = {
        "k8s": k8s_files,
        "corpus": ["."],
    }
    results: dict[str, dict] = {}

    def run_palisade(label: str, files: list[str], extra: tuple[str, ...] = ()) -> list[Run]:
        runs = []
        # One untimed warm-up run, so every timed run sees the same warm page cache.
        measure(palisade_cmd(workdir / f"palisade-{label}-warmup.json", files, extra), corpus,
                workdir / f"palisade-{label}-warmup.out", workdir / f"palisade-{label}-warmup.err")
        for i in range(args.runs):
            out = workdir / f"palisade-{label}-{i}.json"
            r = measure(palisade_cmd(out, files, extra), corpus, workdir / f"palisade-{label}-{i}.out",
                        workdir / f"palisade-{label}-{i}.err")
            # 0: clean, 1: findings, 2: some input could not be parsed (still scanned and reported).
            if r.exit_code not in (0, 1, 2) or not out.exists():
                print(tail(workdir / f"palisade-{label}-{i}.err"), file=sys.stderr)
                sys.exit(f"bench: palisade failed (exit {r.exit_code}) on {label}")
            r.findings, r.extra = palisade_findings(out)
            log(f"palisade {label} run {i + 1}/{args.runs}: cpu {r.cpu_s:.3f}s wall {r.wall_s:.3f}s "
                f"rss {mb(r.maxrss_kib):.1f}MB findings {r.findings} (load {r.loadavg_before})")
            runs.append(r)
        return runs

    log(f"palisade: {len(k8s_files)} Kubernetes files, {args.runs} runs")
    p_k8s = run_palisade("k8s", inputs["k8s"])
    log(f"palisade: whole corpus directory, {args.runs} runs")
    p_all = run_palisade("corpus", inputs["corpus"])
    # The same Kubernetes list on one worker thread: how much the other cores bring.
    log(f"palisade -j 1: {len(k8s_files)} Kubernetes files, {args.runs} runs")
    p_j1 = run_palisade("k8s-j1", inputs["k8s"], ("-j", "1"))

    c_runs: list[Run] = []
    c_version = None
    if checkov:
        c_version = checkov_version(checkov)
        env = {**os.environ, **CHECKOV_ENV}
        cmd_c = [str(checkov), "--framework", "kubernetes", "--skip-download", "--quiet", "--compact",
                 "-o", "json", "-f", *k8s_files]
        for i in range(args.checkov_runs):
            out = workdir / f"checkov-{i}.json"
            log(f"checkov run {i + 1}/{args.checkov_runs} on {len(k8s_files)} files (about a minute or two)")
            r = measure(cmd_c, corpus, out, workdir / f"checkov-{i}.err", env=env)
            if r.exit_code not in (0, 1):
                print(tail(workdir / f"checkov-{i}.err"), file=sys.stderr)
                sys.exit(f"bench: checkov failed (exit {r.exit_code})")
            r.findings, r.extra = checkov_findings(out)
            log(f"checkov run {i + 1}: cpu {r.cpu_s:.2f}s wall {r.wall_s:.2f}s rss {mb(r.maxrss_kib):.1f}MB "
                f"findings {r.findings} (load {r.loadavg_before})")
            c_runs.append(r)

    sp_k8s, sp_all, sp_j1 = summarise(p_k8s), summarise(p_all), summarise(p_j1)
    files_all = len(k8s_files) + len(kinds["dockerfile"]) + len(kinds["compose"])
    rows = [
        ["palisade", f"Kubernetes files (list of {len(k8s_files)})", len(k8s_files), sp_k8s],
        ["palisade", "whole corpus dir (K8s + Dockerfile + Compose)", files_all, sp_all],
        ["palisade -j 1", "Kubernetes files, one worker thread", len(k8s_files), sp_j1],
    ]
    sc = None
    if c_runs:
        sc = summarise(c_runs)
        rows.append(["checkov", f"same Kubernetes files (--framework kubernetes -f ...)", len(k8s_files), sc])

    header = ["tool", "input", "files", "runs", "CPU s", "wall s", "CPU/wall", "peak RSS MB", "findings"]
    body = [[t, inp, str(n), str(s["runs"]), f"{s['cpu_s']:.3f}" if s["cpu_s"] < 10 else f"{s['cpu_s']:.1f}",
             f"{s['wall_s']:.3f}" if s["wall_s"] < 10 else f"{s['wall_s']:.1f}",
             f"{s['cpu_s'] / s['wall_s']:.2f}", f"{s['maxrss_mb']:.1f}", str(s["findings"])]
            for t, inp, n, s in rows]

    mach = machine_info()
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print()
    print(f"date: {now}")
    print(f"machine: {mach['nproc']} cores ({mach['cpu_model']}), {mach['memory']}, {mach['os']}, kernel {mach['kernel']}")
    print(f"versions: {palisade_version} at {commit} ({rustc}); checkov {c_version or 'not run'}; python {platform.python_version()} (harness)")
    print(f"corpus: {corpus}")
    print(f"load average at the start of the last run: {p_k8s[-1].loadavg_before} / {p_all[-1].loadavg_before}"
          + (f" / {c_runs[-1].loadavg_before}" if c_runs else "") + " (palisade k8s / palisade corpus / checkov)")
    print()
    print(table(body, header))
    print()
    pe = p_k8s[-1].extra
    print(f"palisade (K8s list): {pe['active']} active + {pe['suppressed']} suppressed findings, "
          f"{pe['files_read']} files read, {pe['objects']} objects, {pe['errors']} input errors, {pe['skipped']} skipped")
    pa = p_all[-1].extra
    print(f"palisade (corpus):   {pa['active']} active + {pa['suppressed']} suppressed findings, "
          f"{pa['files_read']} files read, {pa['objects']} objects, {pa['errors']} input errors, {pa['skipped']} skipped")
    verdict = {}
    if sc:
        ce = c_runs[-1].extra
        print(f"checkov:             {ce['failed_checks']} failed checks, {ce['passed_checks']} passed, "
              f"{ce['skipped_checks']} skipped, {ce['resource_count']} resources, {ce['parsing_errors']} parsing errors")
        ratio = sc["cpu_s"] / sp_k8s["cpu_s"]
        wall_ratio = sc["wall_s"] / sp_k8s["wall_s"]
        verdict["cpu_ratio"] = ratio
        verdict["wall_ratio"] = wall_ratio
        verdict["cpu_target_met"] = ratio >= TARGET_CPU_RATIO
        print(f"CPU ratio checkov / palisade (same K8s files): {ratio:.0f}x "
              f"(target >= {TARGET_CPU_RATIO:.0f}x: {'MET' if ratio >= TARGET_CPU_RATIO else 'MISSED'}); "
              f"wall ratio {wall_ratio:.0f}x")
    peak = max(sp_k8s["maxrss_mb_max"], sp_all["maxrss_mb_max"])
    verdict["palisade_peak_rss_mb"] = peak
    verdict["rss_target_met"] = peak < TARGET_RSS_MB
    print(f"Palisade peak RSS, worst run of either input: {peak:.1f} MB "
          f"(target < {TARGET_RSS_MB:.0f} MB: {'MET' if peak < TARGET_RSS_MB else 'MISSED'})")
    speedup = sp_j1["wall_s"] / sp_k8s["wall_s"]
    verdict["palisade_thread_speedup"] = speedup
    print(f"Palisade cores busy (CPU/wall, median runs): K8s list {sp_k8s['cpu_s'] / sp_k8s['wall_s']:.2f}, "
          f"corpus {sp_all['cpu_s'] / sp_all['wall_s']:.2f} of {mach['nproc']}; "
          f"wall speed-up over -j 1: {speedup:.2f}x")
    if args.keep:
        print(f"reports and logs: {workdir}")

    if args.json_out:
        doc = {
            "date": now,
            "machine": mach,
            "versions": {"palisade": palisade_version, "commit": commit, "rustc": rustc, "checkov": c_version,
                         "python_harness": platform.python_version()},
            "corpus": str(corpus),
            "file_counts": {k: len(v) for k, v in kinds.items()},
            "commands": {
                "palisade_k8s": palisade_cmd(Path("OUT.json"), ["<the Kubernetes file list>"]),
                "palisade_corpus": palisade_cmd(Path("OUT.json"), ["."]),
                "palisade_k8s_j1": palisade_cmd(Path("OUT.json"), ["<the Kubernetes file list>"], ("-j", "1")),
                "checkov": None if not checkov else
                [str(checkov), "--framework", "kubernetes", "--skip-download", "--quiet", "--compact",
                 "-o", "json", "-f", "<the Kubernetes file list>"],
                "cwd": str(corpus),
                "checkov_env": CHECKOV_ENV,
            },
            "kubernetes_files": k8s_files,
            "summary": {"palisade_k8s": sp_k8s, "palisade_corpus": sp_all, "palisade_k8s_j1": sp_j1, "checkov": sc},
            "verdict": verdict,
            "runs": {
                "palisade_k8s": [asdict(r) for r in p_k8s],
                "palisade_corpus": [asdict(r) for r in p_all],
                "palisade_k8s_j1": [asdict(r) for r in p_j1],
                "checkov": [asdict(r) for r in c_runs],
            },
        }
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(doc, indent=2) + "\n")
        log(f"raw numbers written to {args.json_out}")
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
