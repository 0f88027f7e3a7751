// SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0)
/*
 * Palisade's runtime sensor, kernel side.
 *
 * Tracepoints only (tp_btf where the kernel offers it): they load on every kernel with BTF,
 * including ones where kprobes are compiled out and fentry/LSM are refused. Records go
 * into one ring buffer without waking user space (the reader drains it on a short timer),
 * because a wakeup per event costs 10-18 us in a virtualised guest. A record that does not
 * fit is counted per event kind in `lost`; user space reports the counts.
 */
#include "vmlinux_min.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "sensor.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by the loader before load. */
const volatile u32 self_tgid = 0;
const volatile u32 prefix_count = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PAL_MAX_KINDS);
	__type(key, u32);
	__type(value, u64);
} lost SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PAL_MAX_PREFIXES);
	__type(key, u32);
	__type(value, struct pal_prefix);
} open_prefixes SEC(".maps");

/* Opens that passed the path filter at syscall entry, completed at exit with the result. */
struct pending_open {
	s32 flags;
	u32 mode;
	u32 matched;
	u32 kind;
	char path[PAL_PATH_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, struct pending_open);
} pending_opens SEC(".maps");

/* Scratch space for a path read before we know whether it is interesting. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct pending_open);
} scratch SEC(".maps");

#define O_WRONLY 01
#define O_RDWR 02
#define O_CREAT 0100
#define O_TRUNC 01000

#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10

static __always_inline bool is_self(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == self_tgid;
}

static __always_inline void count_lost(u32 kind)
{
	u32 key = kind & (PAL_MAX_KINDS - 1);
	u64 *n = bpf_map_lookup_elem(&lost, &key);
	if (n)
		*n += 1;
}

static __always_inline void *reserve(u64 size, u32 kind)
{
	void *rec = bpf_ringbuf_reserve(&events, size, 0);
	if (!rec)
		count_lost(kind);
	return rec;
}

static __always_inline void submit(void *rec)
{
	bpf_ringbuf_submit(rec, BPF_RB_NO_WAKEUP);
}

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	struct kernfs_node___new *kn_new = (void *)kn;
	struct kernfs_node___old *kn_old = (void *)kn;

	if (bpf_core_field_exists(kn_new->__parent))
		return BPF_CORE_READ(kn_new, __parent);
	return BPF_CORE_READ(kn_old, parent);
}

static __always_inline void fill_cgroup(struct pal_header *h, struct task_struct *task)
{
	struct css_set *cset = BPF_CORE_READ(task, cgroups);
	struct cgroup *cgrp = 0;
	struct kernfs_node *kn = 0;
	struct kernfs_node *parent = 0;

	/* The memory controller's cgroup: on v1 and hybrid hosts this is where runtimes put
	 * the container (and where early runc stages already are); on v2 it is the unified
	 * cgroup with the memory controller. */
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id)) {
		int idx = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
		struct cgroup_subsys_state *css = 0;
		if (idx >= 0 && idx < 12) {
			bpf_core_read(&css, sizeof(css), &cset->subsys[idx]);
			if (css)
				cgrp = BPF_CORE_READ(css, cgroup);
		}
	}
	if (cgrp) {
		kn = BPF_CORE_READ(cgrp, kn);
		h->cgroup_v1_id = BPF_CORE_READ(kn, id);
		parent = kn ? kn_parent(kn) : 0;
	}
	/* The root of the memory hierarchy says nothing; fall back to the unified cgroup. */
	if (!parent) {
		cgrp = BPF_CORE_READ(cset, dfl_cgrp);
		kn = cgrp ? BPF_CORE_READ(cgrp, kn) : 0;
		parent = kn ? kn_parent(kn) : 0;
	}
	if (kn && parent) {
		bpf_probe_read_kernel_str(h->cgroup_leaf, sizeof(h->cgroup_leaf), BPF_CORE_READ(kn, name));
		bpf_probe_read_kernel_str(h->cgroup_parent, sizeof(h->cgroup_parent),
					  BPF_CORE_READ(parent, name));
	}
}

static __always_inline void fill_header(struct pal_header *h, u32 kind)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	u64 pid_tgid = bpf_get_current_pid_tgid();
	u64 uid_gid = bpf_get_current_uid_gid();
	struct pid *pid;
	unsigned int level;
	struct upid upid = {};

	h->ts_boot_ns = bpf_ktime_get_boot_ns();
	h->cgroup_v2_id = bpf_get_current_cgroup_id();
	h->cgroup_v1_id = 0;
	h->kind = kind;
	h->pid = pid_tgid >> 32;
	h->tid = (u32)pid_tgid;
	h->ppid = BPF_CORE_READ(task, real_parent, tgid);
	h->uid = (u32)uid_gid;
	h->gid = uid_gid >> 32;
	h->euid = BPF_CORE_READ(task, cred, euid.val);
	h->loginuid = BPF_CORE_READ(task, loginuid.val);

	pid = BPF_CORE_READ(task, thread_pid);
	level = BPF_CORE_READ(pid, level);
	if (pid && level < 32) {
		void *numbers = (void *)pid + bpf_core_field_offset(struct pid, numbers);
		bpf_probe_read_kernel(&upid, sizeof(upid), numbers + level * sizeof(struct upid));
	}
	h->ns_pid = upid.nr;
	h->pid_ns = upid.ns ? BPF_CORE_READ(upid.ns, ns.inum) : 0;
	h->mnt_ns = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	h->net_ns = BPF_CORE_READ(task, nsproxy, net_ns, ns.inum);
	bpf_get_current_comm(h->comm, sizeof(h->comm));
	h->cgroup_leaf[0] = 0;
	h->cgroup_parent[0] = 0;
	fill_cgroup(h, task);

	/* Controlling terminal, encoded as the kernel's new_encode_dev (procfs tty_nr). */
	struct tty_struct *tty = BPF_CORE_READ(task, signal, tty);
	h->tty_nr = 0;
	h->pad = 0;
	if (tty) {
		u32 major = BPF_CORE_READ(tty, driver, major);
		u32 minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
		h->tty_nr = (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
	}
	h->cap_effective = 0;
	const struct cred *cred = BPF_CORE_READ(task, cred);
	bpf_core_read(&h->cap_effective, sizeof(h->cap_effective), &cred->cap_effective);
}

/* The path of a file, components leaf first, NUL-separated, crossing mounts upwards. */
static __always_inline void file_path(char *out, struct file *file)
{
	struct dentry *dentry = BPF_CORE_READ(file, f_path.dentry);
	struct vfsmount *vfsmnt = BPF_CORE_READ(file, f_path.mnt);
	struct mount *mnt = (void *)vfsmnt - bpf_core_field_offset(struct mount, mnt);
	u32 off = 0;

	out[0] = 0;
	for (int i = 0; i < 20; i++) {
		struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
		struct dentry *mnt_root = BPF_CORE_READ(mnt, mnt.mnt_root);
		if (dentry == mnt_root || dentry == parent) {
			struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
			if (mnt_parent == mnt || !mnt_parent)
				break;
			dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = mnt_parent;
			continue;
		}
		if (off > PAL_PATH_LEN - 64)
			break;
		long n = bpf_probe_read_kernel_str(out + off, 64, BPF_CORE_READ(dentry, d_name.name));
		if (n <= 0)
			break;
		off += n;
		dentry = parent;
	}
}

static __always_inline int emit_exec(const char *filename)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct pal_exec *e;
	struct file *exe;
	unsigned long arg_start, arg_end, len;

	if (is_self())
		return 0;
	e = reserve(sizeof(*e), PAL_EXEC);
	if (!e)
		return 0;
	fill_header(&e->h, PAL_EXEC);
	e->filename[0] = 0;
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), filename);
	exe = BPF_CORE_READ(task, mm, exe_file);
	e->exe_nlink = BPF_CORE_READ(exe, f_inode, i_nlink);
	e->exe_ino = BPF_CORE_READ(exe, f_inode, i_ino);
	if (exe)
		file_path(e->exe_path, exe);
	else
		e->exe_path[0] = 0;
	arg_start = BPF_CORE_READ(task, mm, arg_start);
	arg_end = BPF_CORE_READ(task, mm, arg_end);
	len = arg_end > arg_start ? arg_end - arg_start : 0;
	if (len > PAL_ARGS_LEN)
		len = PAL_ARGS_LEN;
	e->args_len = 0;
	e->args[0] = 0;
	if (len > 0 && bpf_probe_read_user(e->args, len & (PAL_ARGS_LEN - 1) ?: PAL_ARGS_LEN,
					   (void *)arg_start) == 0)
		e->args_len = len;
	submit(e);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int exec_btf(u64 *ctx)
{
	struct linux_binprm *bprm = (struct linux_binprm *)ctx[2];
	return emit_exec(BPF_CORE_READ(bprm, filename));
}

SEC("tracepoint/sched/sched_process_exec")
int exec_tp(struct trace_event_raw_sched_process_exec *ctx)
{
	u32 loc = BPF_CORE_READ(ctx, __data_loc_filename);
	return emit_exec((const char *)ctx + (loc & 0xFFFF));
}

static __always_inline struct pal_syscall *syscall_record(u32 kind, bool strings)
{
	struct pal_syscall *e;
	u64 size = strings ? sizeof(struct pal_syscall) : PAL_SYSCALL_SHORT;

	if (is_self())
		return 0;
	if (strings)
		e = reserve(sizeof(struct pal_syscall), kind);
	else
		e = reserve(PAL_SYSCALL_SHORT, kind);
	if (!e)
		return 0;
	(void)size;
	fill_header(&e->h, kind);
	for (int i = 0; i < 6; i++)
		e->args[i] = 0;
	if (strings) {
		e->str0[0] = 0;
		e->str1[0] = 0;
		e->str2[0] = 0;
	}
	return e;
}

SEC("tp_btf/sched_process_fork")
int fork_btf(u64 *ctx)
{
	struct task_struct *child = (struct task_struct *)ctx[1];
	struct pal_syscall *e;
	pid_t child_pid = BPF_CORE_READ(child, pid);
	pid_t child_tgid = BPF_CORE_READ(child, tgid);

	if (child_pid != child_tgid)
		return 0; /* a new thread, not a new process */
	e = syscall_record(PAL_FORK, false);
	if (!e)
		return 0;
	e->args[0] = child_tgid;
	e->args[1] = 1; /* known to be a process */
	submit(e);
	return 0;
}

SEC("tracepoint/sched/sched_process_fork")
int fork_tp(struct trace_event_raw_sched_process_fork *ctx)
{
	struct pal_syscall *e = syscall_record(PAL_FORK, false);
	if (!e)
		return 0;
	e->args[0] = BPF_CORE_READ(ctx, child_pid);
	e->args[1] = 0; /* may be a thread: the tracepoint does not say */
	submit(e);
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int exit_tp(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	u64 pid_tgid = bpf_get_current_pid_tgid();
	struct pal_syscall *e;

	if ((u32)pid_tgid != (pid_tgid >> 32))
		return 0; /* only the thread group leader's exit ends the process */
	e = syscall_record(PAL_EXIT, false);
	if (!e)
		return 0;
	e->args[0] = BPF_CORE_READ(task, exit_code);
	submit(e);
	return 0;
}

/* ---- sockets ---- */

static __always_inline struct file *fd_file(int fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	unsigned int max = BPF_CORE_READ(fdt, max_fds);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = 0;

	if (fd < 0 || (unsigned int)fd >= max)
		return 0;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	return file;
}

static __always_inline int sock_from_fd(struct pal_sock *e, int fd)
{
	struct file *file = fd_file(fd);
	struct socket *sock = file ? BPF_CORE_READ(file, private_data) : 0;
	struct sock *sk = sock ? BPF_CORE_READ(sock, sk) : 0;
	u16 family;

	if (!sk)
		return -1;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return -1;
	e->family = family;
	e->sock_type = BPF_CORE_READ(sock, type);
	e->local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->remote_port = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == AF_INET) {
		u32 l = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		u32 r = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(e->local_addr, &l, 4);
		__builtin_memcpy(e->remote_addr, &r, 4);
	} else {
		BPF_CORE_READ_INTO(&e->local_addr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&e->remote_addr, sk, __sk_common.skc_v6_daddr);
	}
	return 0;
}

static __always_inline struct pal_sock *sock_record(u32 kind)
{
	struct pal_sock *e;

	if (is_self())
		return 0;
	e = reserve(sizeof(*e), kind);
	if (!e)
		return 0;
	__builtin_memset(&e->fd, 0, sizeof(*e) - sizeof(e->h));
	fill_header(&e->h, kind);
	return e;
}

struct sockaddr_any {
	u16 family;
	u16 port;
	u32 addr4;
	u32 flowinfo6;
	u8 addr6[16];
};

SEC("tracepoint/syscalls/sys_enter_connect")
int connect_enter(struct trace_event_raw_sys_enter *ctx)
{
	void *uaddr = (void *)ctx->args[1];
	u16 family = 0;
	struct pal_sock *e;

	if (is_self())
		return 0;
	if (bpf_probe_read_user(&family, sizeof(family), uaddr) != 0)
		return 0;
	if (family != AF_INET && family != AF_INET6 && family != AF_UNIX)
		return 0;
	e = sock_record(PAL_CONNECT);
	if (!e)
		return 0;
	e->fd = (s32)ctx->args[0];
	e->family = family;
	{
		struct file *file = fd_file(e->fd);
		struct socket *sock = file ? BPF_CORE_READ(file, private_data) : 0;
		e->sock_type = sock ? BPF_CORE_READ(sock, type) : 0;
	}
	if (family == AF_UNIX) {
		bpf_probe_read_user_str(e->unix_path, sizeof(e->unix_path), uaddr + 2);
	} else {
		struct sockaddr_any sa = {};
		bpf_probe_read_user(&sa, family == AF_INET ? 8 : sizeof(sa), uaddr);
		e->remote_port = __builtin_bswap16(sa.port);
		if (family == AF_INET)
			__builtin_memcpy(e->remote_addr, &sa.addr4, 4);
		else
			__builtin_memcpy(e->remote_addr, sa.addr6, 16);
	}
	submit(e);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_listen")
int listen_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct pal_sock probe = {};
	struct pal_sock *e;
	int fd = (int)ctx->args[0];

	if (is_self())
		return 0;
	if (sock_from_fd(&probe, fd) != 0)
		return 0;
	e = sock_record(PAL_LISTEN);
	if (!e)
		return 0;
	e->fd = fd;
	sock_from_fd(e, fd);
	submit(e);
	return 0;
}

static __always_inline int accept_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct pal_sock *e;
	long fd = ctx->ret;

	if (fd < 0 || is_self())
		return 0;
	e = sock_record(PAL_ACCEPT);
	if (!e)
		return 0;
	e->fd = (s32)fd;
	if (sock_from_fd(e, (int)fd) != 0) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		return 0;
	}
	submit(e);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int accept_exit_tp(struct trace_event_raw_sys_exit *ctx)
{
	return accept_exit(ctx);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int accept4_exit_tp(struct trace_event_raw_sys_exit *ctx)
{
	return accept_exit(ctx);
}

/* ---- sensitive paths ---- */

static __always_inline bool has_suffix(const char *path, long len, const char *suffix, int slen)
{
	/* `path` is NUL-terminated with strlen len - 1; match "/<suffix>" at its end. */
	long start = len - 1 - slen;
	if (start < 1)
		return false;
	if (path[(start - 1) & (PAL_PATH_LEN - 1)] != '/')
		return false;
	for (int i = 0; i < 16; i++) {
		if (i >= slen)
			break;
		if (path[(start + i) & (PAL_PATH_LEN - 1)] != suffix[i])
			return false;
	}
	return true;
}

static __always_inline u32 path_matches(const char *path, long len, s32 flags)
{
	bool writing = (flags & (O_WRONLY | O_RDWR | O_TRUNC | O_CREAT)) != 0;

	if (writing && (has_suffix(path, len, "release_agent", 13) ||
			has_suffix(path, len, "core_pattern", 12) ||
			has_suffix(path, len, "uevent_helper", 13)))
		return PAL_MATCH_ESCAPE_TARGET;

	for (u32 i = 0; i < PAL_MAX_PREFIXES; i++) {
		if (i >= prefix_count)
			break;
		u32 key = i;
		struct pal_prefix *p = bpf_map_lookup_elem(&open_prefixes, &key);
		if (!p)
			break;
		if ((p->flags & PAL_PREFIX_WRITE_ONLY) && !writing)
			continue;
		u32 plen = p->len;
		bool ok = plen > 0;
		for (u32 j = 0; j < PAL_PREFIX_LEN; j++) {
			if (j >= plen)
				break;
			if (path[j] != p->prefix[j]) {
				ok = false;
				break;
			}
		}
		if (ok)
			return PAL_MATCH_PREFIX;
	}
	return 0;
}

static __always_inline int open_enter(const char *upath, s32 flags, u32 mode, u32 kind)
{
	u32 zero = 0;
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct pending_open *p;
	long len;

	if (is_self())
		return 0;
	p = bpf_map_lookup_elem(&scratch, &zero);
	if (!p)
		return 0;
	len = bpf_probe_read_user_str(p->path, sizeof(p->path), upath);
	if (len <= 1)
		return 0;
	p->matched = path_matches(p->path, len, flags);
	if (!p->matched)
		return 0;
	p->flags = flags;
	p->mode = mode;
	p->kind = kind;
	bpf_map_update_elem(&pending_opens, &tid, p, BPF_ANY);
	return 0;
}

static __always_inline int open_exit(long ret)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct pending_open *p = bpf_map_lookup_elem(&pending_opens, &tid);
	struct pal_open *e;

	if (!p)
		return 0;
	e = reserve(sizeof(*e), p->kind);
	if (e) {
		fill_header(&e->h, p->kind);
		e->flags = p->flags;
		e->mode = p->mode;
		e->ret = ret;
		e->matched = p->matched;
		e->pad = 0;
		bpf_probe_read_kernel(e->path, sizeof(e->path), p->path);
		submit(e);
	}
	bpf_map_delete_elem(&pending_opens, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_openat")
int openat_enter(struct trace_event_raw_sys_enter *ctx)
{
	return open_enter((const char *)ctx->args[1], (s32)ctx->args[2], (u32)ctx->args[3], PAL_OPEN);
}

SEC("tracepoint/syscalls/sys_exit_openat")
int openat_exit(struct trace_event_raw_sys_exit *ctx)
{
	return open_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_open")
int open_enter_tp(struct trace_event_raw_sys_enter *ctx)
{
	return open_enter((const char *)ctx->args[0], (s32)ctx->args[1], (u32)ctx->args[2], PAL_OPEN);
}

SEC("tracepoint/syscalls/sys_exit_open")
int open_exit_tp(struct trace_event_raw_sys_exit *ctx)
{
	return open_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_openat2")
int openat2_enter(struct trace_event_raw_sys_enter *ctx)
{
	u64 how_flags = 0;
	bpf_probe_read_user(&how_flags, sizeof(how_flags), (void *)ctx->args[2]);
	return open_enter((const char *)ctx->args[1], (s32)how_flags, 0, PAL_OPEN);
}

SEC("tracepoint/syscalls/sys_exit_openat2")
int openat2_exit(struct trace_event_raw_sys_exit *ctx)
{
	return open_exit(ctx->ret);
}

/* unlinkat of a watched path (log and history wiping): O_TRUNC stands in for "destructive". */
SEC("tracepoint/syscalls/sys_enter_unlinkat")
int unlinkat_enter(struct trace_event_raw_sys_enter *ctx)
{
	return open_enter((const char *)ctx->args[1], O_TRUNC, 0, PAL_UNLINK);
}

SEC("tracepoint/syscalls/sys_exit_unlinkat")
int unlinkat_exit(struct trace_event_raw_sys_exit *ctx)
{
	return open_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_unlink")
int unlink_enter(struct trace_event_raw_sys_enter *ctx)
{
	return open_enter((const char *)ctx->args[0], O_TRUNC, 0, PAL_UNLINK);
}

SEC("tracepoint/syscalls/sys_exit_unlink")
int unlink_exit(struct trace_event_raw_sys_exit *ctx)
{
	return open_exit(ctx->ret);
}

/* ---- namespaces, mounts, privileges, kernel ---- */

SEC("tracepoint/syscalls/sys_enter_setns")
int setns_enter(struct trace_event_raw_sys_enter *ctx)
{
	int fd = (int)ctx->args[0];
	struct pal_syscall *e = syscall_record(PAL_SETNS, false);
	if (!e)
		return 0;
	e->args[0] = fd;
	e->args[1] = (s64)ctx->args[1];
	/* The namespace file's inode number is the target namespace's id. */
	struct file *file = fd_file(fd);
	e->args[2] = file ? BPF_CORE_READ(file, f_inode, i_ino) : 0;
	submit(e);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_unshare")
int unshare_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct pal_syscall *e = syscall_record(PAL_UNSHARE, false);
	if (!e)
		return 0;
	e->args[0] = (s64)ctx->args[0];
	submit(e);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_mount")
int mount_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct pal_syscall *e = syscall_record(PAL_MOUNT, true);
	if (!e)
		return 0;
	bpf_probe_read_user_str(e->str0, sizeof(e->str0), (void *)ctx->args[0]);
	bpf_probe_read_user_str(e->str1, sizeof(e->str1), (void *)ctx->args[1]);
	bpf_probe_read_user_str(e->str2, sizeof(e->str2), (void *)ctx->args[2]);
	e->args[3] = (s64)ctx->args[3];
	submit(e);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_ptrace")
int ptrace_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct pal_syscall *e = syscall_record(PAL_PTRACE, false);
	if (!e)
		return 0;
	e->args[0] = (s64)ctx->args[0];
	e->args[1] = (s64)ctx->args[1];
	submit(e);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_memfd_create")
int memfd_create_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct pal_syscall *e = syscall_record(PAL_MEMFD_CREATE, true);
	if (!e)
		return 0;
	bpf_probe_read_user_str(e->str0, sizeof(e->str0), (void *)ctx->args[0]);
	e->args[1] = (s64)ctx->args[1];
	submit(e);
	return 0;
}

static __always_inline int id_change(struct trace_event_raw_sys_enter *ctx, u32 kind, int nargs,
				     int which)
{
	struct pal_syscall *e = syscall_record(kind, false);
	if (!e)
		return 0;
	e->args[0] = (s64)ctx->args[0];
	if (nargs > 1)
		e->args[1] = (s64)ctx->args[1];
	if (nargs > 2)
		e->args[2] = (s64)ctx->args[2];
	e->args[3] = nargs;
	e->args[4] = which;
	submit(e);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_setuid")
int setuid_enter(struct trace_event_raw_sys_enter *ctx) { return id_change(ctx, PAL_SETUID, 1, 0); }

SEC("tracepoint/syscalls/sys_enter_setreuid")
int setreuid_enter(struct trace_event_raw_sys_enter *ctx) { return id_change(ctx, PAL_SETUID, 2, 1); }

SEC("tracepoint/syscalls/sys_enter_setresuid")
int setresuid_enter(struct trace_event_raw_sys_enter *ctx) { return id_change(ctx, PAL_SETUID, 3, 2); }

SEC("tracepoint/syscalls/sys_enter_setgid")
int setgid_enter(struct trace_event_raw_sys_enter *ctx) { return id_change(ctx, PAL_SETGID, 1, 0); }

SEC("tracepoint/syscalls/sys_enter_setregid")
int setregid_enter(struct trace_event_raw_sys_enter *ctx) { return id_change(ctx, PAL_SETGID, 2, 1); }

SEC("tracepoint/syscalls/sys_enter_setresgid")
int setresgid_enter(struct trace_event_raw_sys_enter *ctx) { return id_change(ctx, PAL_SETGID, 3, 2); }

struct cap_data {
	u32 effective;
	u32 permitted;
	u32 inheritable;
};

SEC("tracepoint/syscalls/sys_enter_capset")
int capset_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct cap_data data[2] = {};
	struct pal_syscall *e = syscall_record(PAL_CAPSET, false);
	if (!e)
		return 0;
	bpf_probe_read_user(&data, sizeof(data), (void *)ctx->args[1]);
	e->args[0] = ((u64)data[1].effective << 32) | data[0].effective;
	e->args[1] = ((u64)data[1].permitted << 32) | data[0].permitted;
	e->args[2] = ((u64)data[1].inheritable << 32) | data[0].inheritable;
	submit(e);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_init_module")
int init_module_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct pal_syscall *e = syscall_record(PAL_INIT_MODULE, true);
	if (!e)
		return 0;
	e->args[1] = (s64)ctx->args[1];
	bpf_probe_read_user_str(e->str0, sizeof(e->str0), (void *)ctx->args[2]);
	submit(e);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_finit_module")
int finit_module_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct pal_syscall *e = syscall_record(PAL_FINIT_MODULE, true);
	if (!e)
		return 0;
	e->args[0] = (s64)ctx->args[0];
	bpf_probe_read_user_str(e->str0, sizeof(e->str0), (void *)ctx->args[1]);
	e->args[2] = (s64)ctx->args[2];
	submit(e);
	return 0;
}

#define BPF_CMD_PROG_LOAD 5
#define BPF_CMD_RAW_TRACEPOINT_OPEN 17
#define BPF_CMD_LINK_CREATE 28

SEC("tracepoint/syscalls/sys_enter_bpf")
int bpf_enter(struct trace_event_raw_sys_enter *ctx)
{
	long cmd = (long)ctx->args[0];
	struct pal_syscall *e;

	/* Loading and attaching programs is what tampering looks like; map lookups are noise. */
	if (cmd != BPF_CMD_PROG_LOAD && cmd != BPF_CMD_RAW_TRACEPOINT_OPEN && cmd != BPF_CMD_LINK_CREATE)
		return 0;
	e = syscall_record(PAL_BPF, false);
	if (!e)
		return 0;
	e->args[0] = cmd;
	submit(e);
	return 0;
}

/* The layouts user space decodes by offset (crates/palisade-runtime/src/raw.rs). */
_Static_assert(sizeof(struct pal_header) == 296, "pal_header layout");
_Static_assert(sizeof(struct pal_exec) == 1848, "pal_exec layout");
_Static_assert(sizeof(struct pal_sock) == 456, "pal_sock layout");
_Static_assert(sizeof(struct pal_open) == 576, "pal_open layout");
_Static_assert(sizeof(struct pal_syscall) == 728, "pal_syscall layout");
