//! Test support shared by the end-to-end tests that run real containers (podman, runc,
//! containerd) and the eBPF sensor: what a test needs and whether this machine has it,
//! running commands, and BusyBox images built with `podman import` (no registry).
//!
//! A test whose prerequisites are missing skips with a `NOTICE:` line, or fails under
//! `PALISADE_REQUIRE_SENSOR=1` (set by `.ci/run`, which installs them all).

use std::path::{Path, PathBuf};
use std::process::Command;

/// Something an end-to-end test needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Running as root.
    Root,
    /// Kernel BTF (`/sys/kernel/btf/vmlinux`), for the eBPF sensor.
    Btf,
    /// A program on `PATH`.
    Binary(&'static str),
    /// A statically linked `/bin/busybox` (Debian's busybox-static) to copy into images.
    StaticBusybox,
}

/// Whether this process runs as root (effective uid 0).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .map(|r| r.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// Whether `bin` is on `PATH`.
pub fn on_path(bin: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {bin}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Does a 64-bit ELF file ask for a dynamic loader (a PT_INTERP program header)?
pub fn has_interpreter(elf: &[u8]) -> bool {
    let u16_at = |o: usize| {
        elf.get(o..o + 2)
            .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]) as usize)
    };
    let u64_at = |o: usize| {
        elf.get(o..o + 8).map_or(0, |b| {
            u64::from_le_bytes(b.try_into().unwrap_or([0; 8])) as usize
        })
    };
    let (phoff, phentsize, phnum) = (u64_at(0x20), u16_at(0x36), u16_at(0x38));
    (0..phnum).any(|i| {
        let at = phoff + i * phentsize;
        elf.get(at..at + 4) == Some(&3u32.to_le_bytes()[..])
    })
}

/// The first of `needs` this machine lacks, said in words.
pub fn missing(needs: &[Need]) -> Option<String> {
    needs.iter().find_map(|need| match need {
        Need::Root => (!is_root()).then(|| "not running as root".to_owned()),
        Need::Btf => (!Path::new("/sys/kernel/btf/vmlinux").exists())
            .then(|| "the kernel has no BTF (/sys/kernel/btf/vmlinux)".to_owned()),
        Need::Binary(bin) => (!on_path(bin)).then(|| format!("`{bin}` is not installed")),
        Need::StaticBusybox => match std::fs::read("/bin/busybox") {
            Err(_) => Some("/bin/busybox is missing (apt-get install busybox-static)".into()),
            Ok(elf) if has_interpreter(&elf) => {
                Some("/bin/busybox is not static (apt-get install busybox-static)".into())
            }
            Ok(_) => None,
        },
    })
}

/// `true` when `test` can run here; otherwise a notice on stderr and `false`, or a panic
/// under `PALISADE_REQUIRE_SENSOR=1`.
pub fn ready(test: &str, needs: &[Need]) -> bool {
    let Some(why) = missing(needs) else {
        return true;
    };
    if std::env::var("PALISADE_REQUIRE_SENSOR").as_deref() == Ok("1") {
        panic!("{test} required but {why}");
    }
    eprintln!("NOTICE: skipping {test}: {why} (set PALISADE_REQUIRE_SENSOR=1 to fail instead)");
    false
}

/// Run `cmd`, returning its standard output without trailing whitespace; panics with
/// both outputs when it fails.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
}

/// `podman run` and the options every test container runs with: runc (the runtime the
/// sensor tests target), no network, and file/process limits below what CI machines'
/// defaults can grant. Add the test's own options, the image and the command.
pub const PODMAN_RUN: &[&str] = &[
    "run",
    "--rm",
    "--runtime",
    "runc",
    "--network",
    "none",
    "--ulimit",
    "nofile=4096:4096",
    "--ulimit",
    "nproc=4096:4096",
];

/// Assert that a container's start time (nanoseconds since the epoch, as a metadata
/// source reported it) is in the last ten minutes by this machine's clock.
pub fn assert_started_recently(start_ns: Option<i64>) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64);
    let start = start_ns.expect("the container's start time");
    assert!(
        start <= now && now - start < 600_000_000_000,
        "start {start} is not in the ten minutes before {now}"
    );
}

/// A root file system being put together for an image: `/bin/busybox` and its applets,
/// the directories a container needs, then whatever files the test adds.
#[derive(Debug)]
pub struct Rootfs {
    root: PathBuf,
}

impl Rootfs {
    /// A BusyBox root under `dir/rootfs`, with `applets` linked in `/bin` (every applet
    /// when `None`).
    pub fn busybox(dir: &Path, applets: Option<&[&str]>) -> Rootfs {
        let root = dir.join("rootfs");
        for d in ["bin", "etc", "tmp", "proc", "sys", "dev", "root"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        std::fs::copy("/bin/busybox", root.join("bin/busybox")).unwrap();
        let all;
        let applets: Vec<&str> = match applets {
            Some(list) => list.to_vec(),
            None => {
                all = run(Command::new("/bin/busybox").arg("--list"));
                all.lines().collect()
            }
        };
        for applet in applets {
            let link = root.join("bin").join(applet);
            if !link.exists() {
                std::os::unix::fs::symlink("busybox", link).unwrap();
            }
        }
        Rootfs { root }
    }

    /// Where `relative` lands in the image (its parent directories created).
    pub fn path(&self, relative: &str) -> PathBuf {
        let path = self.root.join(relative.trim_start_matches('/'));
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        path
    }

    /// Write a file into the image.
    pub fn write(&self, relative: &str, contents: &str) -> &Rootfs {
        std::fs::write(self.path(relative), contents).unwrap();
        self
    }

    /// Import it into podman's image store as `image`, with `cmd` (JSON array form) as its
    /// command.
    pub fn import(&self, image: &str, cmd: &str) {
        let tar = self.root.with_extension("tar");
        run(Command::new("tar")
            .arg("-C")
            .arg(&self.root)
            .arg("-cf")
            .arg(&tar)
            .arg("."));
        run(Command::new("podman")
            .args(["import", "--change", &format!("CMD {cmd}")])
            .arg(&tar)
            .arg(image));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elf_interpreter_is_read_from_the_program_headers() {
        // A minimal ELF64 header with one PT_INTERP program header at 0x40.
        let mut elf = vec![0u8; 0x40 + 0x38];
        elf[0x20..0x28].copy_from_slice(&0x40u64.to_le_bytes());
        elf[0x36..0x38].copy_from_slice(&0x38u16.to_le_bytes());
        elf[0x38..0x3a].copy_from_slice(&1u16.to_le_bytes());
        elf[0x40..0x44].copy_from_slice(&3u32.to_le_bytes());
        assert!(has_interpreter(&elf));
        elf[0x40..0x44].copy_from_slice(&1u32.to_le_bytes()); // PT_LOAD
        assert!(!has_interpreter(&elf));
        assert!(!has_interpreter(b"not an elf"));
    }

    #[test]
    fn missing_names_the_first_thing_lacking() {
        assert_eq!(missing(&[]), None);
        assert_eq!(
            missing(&[Need::Binary("sh"), Need::Binary("no-such-program-palisade")]),
            Some("`no-such-program-palisade` is not installed".to_owned())
        );
    }
}
