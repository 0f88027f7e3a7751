//! Which kernel hooks feed which events, in order of preference.
//!
//! At start the sensor walks this table: for each event it attaches the first program the
//! kernel accepts and records why the others were not used. `tp_btf` programs come first
//! (typed, no syscall-tracing slow path); classic tracepoints are the fallback that loads on
//! every kernel with tracefs. fentry/LSM are not in the table: on the kernels we test they
//! are refused, and every event they would serve has a tracepoint here.

/// How a program attaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attach {
    /// `tp_btf/<name>`.
    TpBtf(&'static str),
    /// `tracepoint/<category>/<name>`.
    TracePoint(&'static str, &'static str),
}

impl Attach {
    /// `tp_btf/sched_process_exec`, `tracepoint/syscalls/sys_enter_connect`.
    pub fn describe(&self) -> String {
        match self {
            Attach::TpBtf(name) => format!("tp_btf/{name}"),
            Attach::TracePoint(cat, name) => format!("tracepoint/{cat}/{name}"),
        }
    }
}

/// One way to observe an event: programs that must all attach together.
#[derive(Debug, Clone, Copy)]
pub struct Variant {
    /// (program name in the object, attachment).
    pub programs: &'static [(&'static str, Attach)],
}

/// An event the sensor reports and the ways to observe it.
#[derive(Debug, Clone, Copy)]
pub struct Hook {
    /// What is observed (`exec`, `connect`, …).
    pub event: &'static str,
    /// Alternatives, best first. Several may be wanted (`open`: openat, open and openat2
    /// are separate syscalls): see [`Hook::all`].
    pub variants: &'static [Variant],
    /// Attach every variant that works (separate syscalls), not just the first.
    pub all: bool,
}

use Attach::{TpBtf, TracePoint as Tp};

const fn v(programs: &'static [(&'static str, Attach)]) -> Variant {
    Variant { programs }
}

/// The hook table.
pub static HOOKS: &[Hook] = &[
    Hook {
        event: "exec",
        variants: &[
            v(&[("exec_btf", TpBtf("sched_process_exec"))]),
            v(&[("exec_tp", Tp("sched", "sched_process_exec"))]),
        ],
        all: false,
    },
    Hook {
        event: "fork",
        variants: &[
            v(&[("fork_btf", TpBtf("sched_process_fork"))]),
            v(&[("fork_tp", Tp("sched", "sched_process_fork"))]),
        ],
        all: false,
    },
    Hook {
        event: "exit",
        variants: &[v(&[("exit_tp", Tp("sched", "sched_process_exit"))])],
        all: false,
    },
    Hook {
        event: "connect",
        variants: &[v(&[("connect_enter", Tp("syscalls", "sys_enter_connect"))])],
        all: false,
    },
    Hook {
        event: "listen",
        variants: &[v(&[("listen_enter", Tp("syscalls", "sys_enter_listen"))])],
        all: false,
    },
    Hook {
        event: "accept",
        variants: &[
            v(&[("accept_exit_tp", Tp("syscalls", "sys_exit_accept"))]),
            v(&[("accept4_exit_tp", Tp("syscalls", "sys_exit_accept4"))]),
        ],
        all: true,
    },
    Hook {
        event: "open",
        variants: &[
            v(&[
                ("openat_enter", Tp("syscalls", "sys_enter_openat")),
                ("openat_exit", Tp("syscalls", "sys_exit_openat")),
            ]),
            v(&[
                ("open_enter_tp", Tp("syscalls", "sys_enter_open")),
                ("open_exit_tp", Tp("syscalls", "sys_exit_open")),
            ]),
            v(&[
                ("openat2_enter", Tp("syscalls", "sys_enter_openat2")),
                ("openat2_exit", Tp("syscalls", "sys_exit_openat2")),
            ]),
        ],
        all: true,
    },
    Hook {
        event: "unlink",
        variants: &[
            v(&[
                ("unlinkat_enter", Tp("syscalls", "sys_enter_unlinkat")),
                ("unlinkat_exit", Tp("syscalls", "sys_exit_unlinkat")),
            ]),
            v(&[
                ("unlink_enter", Tp("syscalls", "sys_enter_unlink")),
                ("unlink_exit", Tp("syscalls", "sys_exit_unlink")),
            ]),
        ],
        all: true,
    },
    Hook {
        event: "setns",
        variants: &[v(&[("setns_enter", Tp("syscalls", "sys_enter_setns"))])],
        all: false,
    },
    Hook {
        event: "unshare",
        variants: &[v(&[("unshare_enter", Tp("syscalls", "sys_enter_unshare"))])],
        all: false,
    },
    Hook {
        event: "mount",
        variants: &[v(&[("mount_enter", Tp("syscalls", "sys_enter_mount"))])],
        all: false,
    },
    Hook {
        event: "ptrace",
        variants: &[v(&[("ptrace_enter", Tp("syscalls", "sys_enter_ptrace"))])],
        all: false,
    },
    Hook {
        event: "memfd_create",
        variants: &[v(&[(
            "memfd_create_enter",
            Tp("syscalls", "sys_enter_memfd_create"),
        )])],
        all: false,
    },
    Hook {
        event: "setuid",
        variants: &[
            v(&[("setuid_enter", Tp("syscalls", "sys_enter_setuid"))]),
            v(&[("setreuid_enter", Tp("syscalls", "sys_enter_setreuid"))]),
            v(&[("setresuid_enter", Tp("syscalls", "sys_enter_setresuid"))]),
        ],
        all: true,
    },
    Hook {
        event: "setgid",
        variants: &[
            v(&[("setgid_enter", Tp("syscalls", "sys_enter_setgid"))]),
            v(&[("setregid_enter", Tp("syscalls", "sys_enter_setregid"))]),
            v(&[("setresgid_enter", Tp("syscalls", "sys_enter_setresgid"))]),
        ],
        all: true,
    },
    Hook {
        event: "capset",
        variants: &[v(&[("capset_enter", Tp("syscalls", "sys_enter_capset"))])],
        all: false,
    },
    Hook {
        event: "init_module",
        variants: &[v(&[(
            "init_module_enter",
            Tp("syscalls", "sys_enter_init_module"),
        )])],
        all: false,
    },
    Hook {
        event: "finit_module",
        variants: &[v(&[(
            "finit_module_enter",
            Tp("syscalls", "sys_enter_finit_module"),
        )])],
        all: false,
    },
    Hook {
        event: "bpf",
        variants: &[v(&[("bpf_enter", Tp("syscalls", "sys_enter_bpf"))])],
        all: false,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_program_of_the_object_is_in_the_table_once() {
        let mut names: Vec<&str> = HOOKS
            .iter()
            .flat_map(|h| h.variants.iter())
            .flat_map(|v| v.programs.iter().map(|(n, _)| *n))
            .collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "a program appears twice");
        // every SEC() program in the C source is wired
        let source = include_str!("../bpf/sensor.bpf.c");
        let mut in_source: Vec<&str> = source
            .lines()
            .zip(source.lines().skip(1))
            .filter(|(l, _)| l.starts_with("SEC(\"t"))
            .filter_map(|(_, next)| {
                let after = next.split_once(' ')?.1;
                after.split('(').next()
            })
            .collect();
        in_source.sort_unstable();
        assert_eq!(in_source, names);
    }
}
