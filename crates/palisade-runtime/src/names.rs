//! Symbolic names of syscall arguments (Linux x86-64 values), as rules and people read them.

fn flag_names(value: u64, table: &[(u64, &str)]) -> String {
    let mut names: Vec<String> = Vec::new();
    let mut rest = value;
    for (bit, name) in table {
        if value & bit == *bit && *bit != 0 {
            names.push((*name).to_owned());
            rest &= !bit;
        }
    }
    if rest != 0 {
        names.push(format!("{rest:#x}"));
    }
    if names.is_empty() {
        "0".to_owned()
    } else {
        names.join("|")
    }
}

/// `O_RDONLY|O_CREAT…` of open flags.
pub fn open_flags(flags: i32) -> String {
    let flags = flags as u32 as u64;
    let access = match flags & 0o3 {
        0 => "O_RDONLY",
        1 => "O_WRONLY",
        2 => "O_RDWR",
        _ => "O_ACCMODE",
    };
    const REST: &[(u64, &str)] = &[
        (0o100, "O_CREAT"),
        (0o200, "O_EXCL"),
        (0o400, "O_NOCTTY"),
        (0o1000, "O_TRUNC"),
        (0o2000, "O_APPEND"),
        (0o4000, "O_NONBLOCK"),
        (0o200000, "O_DIRECTORY"),
        (0o400000, "O_NOFOLLOW"),
        (0o2000000, "O_CLOEXEC"),
        (0o20000000, "O_TMPFILE"),
    ];
    let rest = flags & !0o3;
    if rest == 0 {
        access.to_owned()
    } else {
        format!("{access}|{}", flag_names(rest, REST))
    }
}

/// `CLONE_NEWNS|CLONE_NEWPID…` of namespace flags (setns nstype, unshare flags).
pub fn clone_flags(flags: i64) -> String {
    const TABLE: &[(u64, &str)] = &[
        (0x0000_0080, "CLONE_NEWTIME"),
        (0x0000_0200, "CLONE_FS"),
        (0x0000_0400, "CLONE_FILES"),
        (0x0002_0000, "CLONE_NEWNS"),
        (0x0200_0000, "CLONE_NEWCGROUP"),
        (0x0400_0000, "CLONE_NEWUTS"),
        (0x0800_0000, "CLONE_NEWIPC"),
        (0x1000_0000, "CLONE_NEWUSER"),
        (0x2000_0000, "CLONE_NEWPID"),
        (0x4000_0000, "CLONE_NEWNET"),
        (0x0000_8000, "CLONE_SYSVSEM"),
    ];
    flag_names(flags as u64, TABLE)
}

/// `PTRACE_ATTACH` and friends.
pub fn ptrace_request(request: i64) -> String {
    let name = match request {
        0 => "PTRACE_TRACEME",
        1 => "PTRACE_PEEKTEXT",
        2 => "PTRACE_PEEKDATA",
        3 => "PTRACE_PEEKUSR",
        4 => "PTRACE_POKETEXT",
        5 => "PTRACE_POKEDATA",
        6 => "PTRACE_POKEUSR",
        7 => "PTRACE_CONT",
        8 => "PTRACE_KILL",
        9 => "PTRACE_SINGLESTEP",
        12 => "PTRACE_GETREGS",
        13 => "PTRACE_SETREGS",
        16 => "PTRACE_ATTACH",
        17 => "PTRACE_DETACH",
        24 => "PTRACE_SYSCALL",
        0x4200 => "PTRACE_SETOPTIONS",
        0x4206 => "PTRACE_SEIZE",
        0x4207 => "PTRACE_INTERRUPT",
        _ => return request.to_string(),
    };
    name.to_owned()
}

const CAPS: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// `CAP_SYS_ADMIN|CAP_NET_RAW…` of a capability mask (`0` when empty).
pub fn capabilities(mask: u64) -> String {
    let names: Vec<&str> = CAPS
        .iter()
        .enumerate()
        .filter(|(bit, _)| mask & (1u64 << bit) != 0)
        .map(|(_, n)| *n)
        .collect();
    if names.is_empty() {
        "0".into()
    } else {
        names.join("|")
    }
}

/// bpf(2) command names for the commands the sensor reports.
pub fn bpf_cmd(cmd: i64) -> String {
    match cmd {
        5 => "BPF_PROG_LOAD".into(),
        17 => "BPF_RAW_TRACEPOINT_OPEN".into(),
        28 => "BPF_LINK_CREATE".into(),
        other => other.to_string(),
    }
}

/// `SUCCESS`, or the errno name of a negative return value.
pub fn result_name(res: i64) -> String {
    if res >= 0 {
        return "SUCCESS".into();
    }
    let name = match -res {
        1 => "EPERM",
        2 => "ENOENT",
        3 => "ESRCH",
        4 => "EINTR",
        5 => "EIO",
        9 => "EBADF",
        11 => "EAGAIN",
        12 => "ENOMEM",
        13 => "EACCES",
        14 => "EFAULT",
        16 => "EBUSY",
        17 => "EEXIST",
        20 => "ENOTDIR",
        21 => "EISDIR",
        22 => "EINVAL",
        24 => "EMFILE",
        28 => "ENOSPC",
        30 => "EROFS",
        38 => "ENOSYS",
        95 => "EOPNOTSUPP",
        110 => "ETIMEDOUT",
        111 => "ECONNREFUSED",
        115 => "EINPROGRESS",
        n => return format!("E{n}"),
    };
    name.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(open_flags(0), "O_RDONLY");
        assert_eq!(open_flags(0o2101), "O_WRONLY|O_CREAT|O_APPEND");
        assert_eq!(open_flags(0o2000002), "O_RDWR|O_CLOEXEC");
        assert_eq!(clone_flags(0x4002_0000), "CLONE_NEWNS|CLONE_NEWNET");
        assert_eq!(clone_flags(0), "0");
        assert_eq!(clone_flags(0x1), "0x1");
        assert_eq!(ptrace_request(16), "PTRACE_ATTACH");
        assert_eq!(ptrace_request(99), "99");
        assert_eq!(capabilities(1 << 21 | 1), "CAP_CHOWN|CAP_SYS_ADMIN");
        assert_eq!(capabilities(0), "0");
        assert_eq!(result_name(3), "SUCCESS");
        assert_eq!(result_name(-13), "EACCES");
        assert_eq!(result_name(-200), "E200");
        assert_eq!(bpf_cmd(5), "BPF_PROG_LOAD");
    }
}
