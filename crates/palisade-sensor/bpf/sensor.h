/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * Records the kernel side writes into the ring buffer. User space decodes them by offset
 * (crates/palisade-runtime/src/raw.rs mirrors these layouts and its tests check the
 * offsets); every field is naturally aligned and little-endian, no implicit padding.
 */
#ifndef PALISADE_SENSOR_H
#define PALISADE_SENSOR_H

#define PAL_COMM_LEN 16
#define PAL_CGROUP_NAME_LEN 96
#define PAL_PATH_LEN 256
#define PAL_ARGS_LEN 1024
#define PAL_STR_LEN 128
#define PAL_UNIX_PATH_LEN 108
#define PAL_PREFIX_LEN 60
#define PAL_MAX_PREFIXES 32
#define PAL_MAX_KINDS 32

enum pal_kind {
	PAL_EXEC = 1,
	PAL_FORK = 2,
	PAL_EXIT = 3,
	PAL_CONNECT = 4,
	PAL_LISTEN = 5,
	PAL_ACCEPT = 6,
	PAL_OPEN = 7,
	PAL_SETNS = 8,
	PAL_UNSHARE = 9,
	PAL_MOUNT = 10,
	PAL_PTRACE = 11,
	PAL_MEMFD_CREATE = 12,
	PAL_SETUID = 13,
	PAL_SETGID = 14,
	PAL_CAPSET = 15,
	PAL_INIT_MODULE = 16,
	PAL_FINIT_MODULE = 17,
	PAL_BPF = 18,
	PAL_UNLINK = 19,
};

/* 296 bytes, at the start of every record. */
struct pal_header {
	u64 ts_boot_ns;      /* 0: bpf_ktime_get_boot_ns */
	u64 cgroup_v2_id;    /* 8: bpf_get_current_cgroup_id */
	u64 cgroup_v1_id;    /* 16: kernfs id of the memory controller's cgroup (v1 / hybrid) */
	u32 kind;            /* 24 */
	u32 pid;             /* 28: thread group id */
	u32 tid;             /* 32 */
	u32 ppid;            /* 36 */
	u32 uid;             /* 40 */
	u32 gid;             /* 44 */
	u32 euid;            /* 48 */
	u32 loginuid;        /* 52 */
	u32 ns_pid;          /* 56: pid inside the task's own pid namespace */
	u32 pid_ns;          /* 60: namespace inode numbers */
	u32 mnt_ns;          /* 64 */
	u32 net_ns;          /* 68 */
	char comm[PAL_COMM_LEN];                 /* 72 */
	char cgroup_leaf[PAL_CGROUP_NAME_LEN];   /* 88 */
	char cgroup_parent[PAL_CGROUP_NAME_LEN]; /* 184 */
	u32 tty_nr;          /* 280: controlling terminal, as /proc/<pid>/stat's tty_nr (0: none) */
	u32 pad;             /* 284 */
	u64 cap_effective;   /* 288: effective capability mask */
};

/* PAL_EXEC. */
struct pal_exec {
	struct pal_header h;
	u32 exe_nlink;       /* 296: 0 for deleted or memfd executables */
	u32 args_len;        /* 300: bytes of args used (NUL-separated argv) */
	u64 exe_ino;         /* 304 */
	char filename[PAL_PATH_LEN]; /* 312: the path given to execve */
	char exe_path[PAL_PATH_LEN]; /* 568: the executable's path, components leaf first, NUL-separated */
	char args[PAL_ARGS_LEN];     /* 824 */
};                               /* 1848 */

/* PAL_CONNECT, PAL_LISTEN, PAL_ACCEPT. */
struct pal_sock {
	struct pal_header h;
	s32 fd;              /* 296 */
	u16 family;          /* 300 */
	u16 local_port;      /* 302 */
	u16 remote_port;     /* 304 */
	u16 sock_type;       /* 306: SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_RAW 3 */
	u32 pad2;            /* 308 */
	u8 local_addr[16];   /* 312 */
	u8 remote_addr[16];  /* 328 */
	char unix_path[PAL_UNIX_PATH_LEN]; /* 344 */
	u32 pad3;            /* 452 */
};                       /* 456 */

/* PAL_OPEN, PAL_UNLINK. */
struct pal_open {
	struct pal_header h;
	s32 flags;           /* 296 */
	u32 mode;            /* 300 */
	s64 ret;             /* 304: fd or -errno (unlink: 0 or -errno) */
	u32 matched;         /* 312: PAL_MATCH_* */
	u32 pad;             /* 316 */
	char path[PAL_PATH_LEN]; /* 320 */
};                           /* 576 */

#define PAL_MATCH_PREFIX 1
#define PAL_MATCH_ESCAPE_TARGET 2

/* Everything else: raw syscall arguments plus up to three strings they point to. */
struct pal_syscall {
	struct pal_header h;
	s64 args[6];         /* 296 */
	char str0[PAL_STR_LEN]; /* 344 */
	char str1[PAL_STR_LEN]; /* 472 */
	char str2[PAL_STR_LEN]; /* 600 */
};                          /* 728 */

/* Sizes of the short form of pal_syscall (no strings). */
#define PAL_SYSCALL_SHORT 344

/* One entry of the sensitive-path table (array map `open_prefixes`). */
struct pal_prefix {
	u32 len;
	u32 flags;           /* PAL_PREFIX_WRITE_ONLY: only opens for writing or truncation */
	char prefix[PAL_PREFIX_LEN];
};

#define PAL_PREFIX_WRITE_ONLY 1

#endif
