#!/usr/bin/env python3
"""Runtime sensor overhead and throughput, side by side in one run.

Conditions, interleaved block by block so machine load affects them alike:
  base          no sensor
  sensor        `palisade watch --no-builtin --format none` (events decoded and tracked, no rules)
  sensor+rules  `palisade watch --format none` (the built-in runtime pack)

Workloads (bench/runtime/*.c, compiled here):
  execloop N    vfork + execve(/bin/true)
  connloop N    TCP connect + accept on loopback
  openloop P N  open/close of a watched path (/etc/shadow): the event-rate test

Reported: CPU and wall time per exec and per connect for each condition (children's
rusage, medians over blocks, and the paired per-block difference to base); in-kernel time
per program invocation from `kernel.bpf_stats_enabled` (bpftool prog show); and, for the
throughput test, events per second the sensor's user space sustained with the rules per
CPU-second of its own process, with the drop count.

Needs root, bpftool, a C compiler. Usage:
  sudo python3 bench/runtime_bench.py [--palisade-bin target/release/palisade]
"""

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def build_tools(tmp):
    tools = {}
    for name in ("execloop", "connloop", "openloop"):
        out = os.path.join(tmp, name)
        sh(["cc", "-O2", "-o", out, os.path.join(ROOT, "bench", "runtime", name + ".c")])
        tools[name] = out
    return tools


def run_measured(argv):
    """Run a loop; return (wall ns per op printed by it, children CPU ns per op)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    out = proc.stdout.read()
    proc.stdout.close()
    if status != 0:
        raise SystemExit(f"{argv} failed")
    n = int(argv[-1])
    cpu = (usage.ru_utime + usage.ru_stime) * 1e9 / n
    return float(out.strip()), cpu, time.perf_counter() - start


class Watch:
    def __init__(self, binary, rules, tmp):
        self.stderr_path = os.path.join(tmp, f"watch-{time.time_ns()}.err")
        args = [binary, "watch", "--format", "none", "--metrics-interval", "0s"]
        if not rules:
            args.append("--no-builtin")
        self.proc = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=open(self.stderr_path, "w")
        )
        deadline = time.time() + 60
        while "  hook " not in self.text():
            if time.time() > deadline or self.proc.poll() is not None:
                raise SystemExit("palisade watch did not start:\n" + self.text())
            time.sleep(0.05)
        time.sleep(0.3)

    def text(self):
        with open(self.stderr_path) as f:
            return f.read()

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        _, _, usage = os.wait4(self.proc.pid, 0)
        text = self.text()
        m = re.search(r"Summary: (\d+) runtime events in ([\d.]+) s", text)
        lost = re.search(r"lost: (\d+)", text)
        return {
            "events": int(m.group(1)) if m else 0,
            "seconds": float(m.group(2)) if m else 0.0,
            "lost": int(lost.group(1)) if lost else -1,
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "stderr": text,
        }


def prog_stats():
    """{program name: (run_time_ns, run_cnt)} of the loaded tracing programs."""
    try:
        progs = json.loads(sh(["bpftool", "prog", "show", "-j"]))
    except (subprocess.CalledProcessError, FileNotFoundError, json.JSONDecodeError):
        return {}
    out = {}
    for p in progs:
        name = p.get("name", "")
        if "run_cnt" in p:
            t, c = out.get(name, (0, 0))
            out[name] = (t + p.get("run_time_ns", 0), c + p["run_cnt"])
    return out


def delta(after, before):
    d = {}
    for name, (t, c) in after.items():
        t0, c0 = before.get(name, (0, 0))
        if c - c0 > 0:
            d[name] = (t - t0, c - c0)
    return d


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--palisade-bin", help="palisade binary (default: build target/release/palisade)")
    ap.add_argument("--blocks", type=int, default=5)
    ap.add_argument("--execs", type=int, default=2000, help="execs per block and condition")
    ap.add_argument("--connects", type=int, default=10000, help="connects per block and condition")
    ap.add_argument("--opens", type=int, default=300000, help="opens per producer in the throughput test")
    ap.add_argument("--producers", type=int, default=2)
    ap.add_argument("--json-out")
    ap.add_argument("--throughput-only", action="store_true", help="skip the exec/connect blocks")
    args = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("needs root (the sensor loads eBPF programs)")
    binary = args.palisade_bin
    if not binary:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "palisade-cli"], cwd=ROOT, check=True)
        binary = os.path.join(ROOT, "target", "release", "palisade")
    version = sh([binary, "--version"]).strip()
    kernel = os.uname().release
    old_stats = open("/proc/sys/kernel/bpf_stats_enabled").read().strip()
    with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
        f.write("1")
    results = {"exec": {}, "connect": {}, "bpf_ns": {}, "throughput": {}}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tools = build_tools(tmp)
            conds = ["base", "sensor", "sensor+rules"]
            samples = {c: {"exec_cpu": [], "exec_wall": [], "conn_cpu": [], "conn_wall": []} for c in conds}
            kernel_totals = {}
            for block in range(0 if args.throughput_only else args.blocks):
                for cond in conds:
                    watch = Watch(binary, cond == "sensor+rules", tmp) if cond != "base" else None
                    before = prog_stats()
                    ew, ec, _ = run_measured([tools["execloop"], str(args.execs)])
                    cw, cc, _ = run_measured([tools["connloop"], str(args.connects)])
                    after = prog_stats()
                    if watch:
                        summary = watch.stop()
                        if summary["lost"] != 0:
                            print(f"block {block} {cond}: lost {summary['lost']}", file=sys.stderr)
                        if cond == "sensor+rules":
                            for name, (t, c) in delta(after, before).items():
                                tt, cc2 = kernel_totals.get(name, (0, 0))
                                kernel_totals[name] = (tt + t, cc2 + c)
                    s = samples[cond]
                    s["exec_cpu"].append(ec)
                    s["exec_wall"].append(ew)
                    s["conn_cpu"].append(cc)
                    s["conn_wall"].append(cw)
                print(f"block {block + 1}/{args.blocks} done", file=sys.stderr)

            def med(xs):
                return statistics.median(xs)

            for what, cpu, wall in (("exec", "exec_cpu", "exec_wall"), ("connect", "conn_cpu", "conn_wall")):
                for cond in conds if not args.throughput_only else []:
                    s = samples[cond]
                    paired = [a - b for a, b in zip(s[cpu], samples["base"][cpu])]
                    results[what][cond] = {
                        "cpu_ns": med(s[cpu]),
                        "wall_ns": med(s[wall]),
                        "cpu_delta_ns": med(paired),
                        "cpu_delta_min": min(paired),
                        "cpu_delta_max": max(paired),
                    }
            for name, (t, c) in sorted(kernel_totals.items()):
                results["bpf_ns"][name] = {"ns_per_run": t / c, "runs": c}

            # Throughput: producers open a watched path as fast as they can.
            watch = Watch(binary, True, tmp)
            before = prog_stats()
            start = time.perf_counter()
            procs = [
                subprocess.Popen([tools["openloop"], "/etc/shadow", str(args.opens)], stdout=subprocess.DEVNULL)
                for _ in range(args.producers)
            ]
            for p in procs:
                p.wait()
            produce_s = time.perf_counter() - start
            time.sleep(0.5)
            after = prog_stats()
            summary = watch.stop()
            opens = delta(after, before)
            results["throughput"] = {
                "opens": args.opens * args.producers,
                "produce_s": produce_s,
                "offered_per_s": args.opens * args.producers / produce_s,
                "events": summary["events"],
                "watch_cpu_s": summary["cpu_s"],
                "events_per_cpu_s": summary["events"] / max(summary["cpu_s"], 1e-9),
                "lost": summary["lost"],
                "open_progs": {k: {"ns_per_run": t / c, "runs": c} for k, (t, c) in opens.items() if k.startswith("open")},
            }
    finally:
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write(old_stats)

    print(f"\npalisade: {version}; kernel {kernel}; {os.cpu_count()} CPUs; {args.blocks} blocks x {args.execs} execs + {args.connects} connects per condition\n")
    print("| workload | condition | CPU ns/op (median) | CPU delta vs base (median, min..max) | wall ns/op (median) |")
    print("|---|---|---:|---:|---:|")
    for what in ("exec", "connect"):
        for cond, r in results[what].items():
            d = "" if cond == "base" else f"{r['cpu_delta_ns']:+.0f} ({r['cpu_delta_min']:+.0f}..{r['cpu_delta_max']:+.0f})"
            print(f"| {what} | {cond} | {r['cpu_ns']:.0f} | {d} | {r['wall_ns']:.0f} |")
    print("\nIn-kernel time per program run (kernel.bpf_stats_enabled, sensor+rules blocks):\n")
    print("| program | runs | ns per run |")
    print("|---|---:|---:|")
    for name, r in results["bpf_ns"].items():
        print(f"| {name} | {r['runs']} | {r['ns_per_run']:.0f} |")
    t = results["throughput"]
    print(
        f"\nThroughput (sensor+rules, {args.producers} producers opening /etc/shadow): "
        f"{t['opens']} opens offered at {t['offered_per_s']:.0f}/s; {t['events']} events processed; "
        f"palisade watch used {t['watch_cpu_s']:.2f} CPU s => {t['events_per_cpu_s']:.0f} events per CPU-second; "
        f"lost {t['lost']}"
    )
    for k, r in t["open_progs"].items():
        print(f"  {k}: {r['runs']} runs, {r['ns_per_run']:.0f} ns per run")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
