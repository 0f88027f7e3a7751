//! `cargo xtask ebpf`: rebuild the sensor's eBPF object from its C source.
//!
//! The object is committed (crates/palisade-sensor/bpf/sensor.bpf.o) so building Palisade
//! needs no clang. This task rebuilds it with clang and strips DWARF (BTF and BTF.ext, which
//! CO-RE needs, stay). The build is deterministic: it runs in the bpf/ directory on relative
//! file names, against a hand-written type header rather than a dump of the build machine's
//! kernel. `--check` rebuilds into a temporary file and fails unless it is byte-identical
//! to the committed object when built by the clang major version recorded in
//! bpf/CLANG_VERSION (CI installs that one from Debian); with another clang it reports the
//! difference without failing, since codegen legitimately changes between LLVM releases.

use anyhow::{Context, Result, bail};
use clap::Args;
use std::path::Path;
use std::process::Command;

#[derive(Args)]
pub struct EbpfArgs {
    /// Verify the committed object is current instead of writing it.
    #[arg(long)]
    check: bool,
    /// clang to use.
    #[arg(long, default_value = "clang")]
    clang: String,
    /// llvm-strip to use.
    #[arg(long, default_value = "llvm-strip")]
    strip: String,
}

fn clang_major(clang: &str) -> Result<String> {
    let out = Command::new(clang)
        .arg("--version")
        .output()
        .with_context(|| {
            format!(
                "running `{clang} --version` (install clang: apt-get install clang llvm libbpf-dev)"
            )
        })?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text
        .split_whitespace()
        .skip_while(|w| *w != "version")
        .nth(1)
        .context("cannot read clang's version")?;
    Ok(version.split('.').next().unwrap_or(version).to_owned())
}

fn build(args: &EbpfArgs, dir: &Path, out_name: &str) -> Result<()> {
    // BTF line info records the source's directory; map it away so the bytes do not
    // depend on where the repository is checked out.
    let prefix_map = format!("-fdebug-prefix-map={}=.", dir.display());
    let status = Command::new(&args.clang)
        .current_dir(dir)
        .args([
            "-O2",
            "-g",
            "-target",
            "bpf",
            "-D__TARGET_ARCH_x86",
            "-Wall",
            "-Werror",
            &prefix_map,
            "-c",
            "sensor.bpf.c",
            "-o",
            out_name,
        ])
        .status()
        .with_context(|| format!("running {}", args.clang))?;
    if !status.success() {
        bail!("clang failed on {}", dir.join("sensor.bpf.c").display());
    }
    let status = Command::new(&args.strip)
        .current_dir(dir)
        .args(["-g", out_name])
        .status()
        .with_context(|| format!("running {} (apt-get install llvm)", args.strip))?;
    if !status.success() {
        bail!("{} failed", args.strip);
    }
    Ok(())
}

pub fn run(args: &EbpfArgs) -> Result<()> {
    let dir = crate::workspace_root().join("crates/palisade-sensor/bpf");
    let major = clang_major(&args.clang)?;
    let recorded = std::fs::read_to_string(dir.join("CLANG_VERSION"))
        .unwrap_or_default()
        .trim()
        .to_owned();
    if !args.check {
        build(args, &dir, "sensor.bpf.o")?;
        std::fs::write(dir.join("CLANG_VERSION"), format!("{major}\n"))?;
        println!(
            "wrote {} (clang {major})",
            dir.join("sensor.bpf.o").display()
        );
        return Ok(());
    }
    let tmp_name = format!(".sensor.check.{}.o", std::process::id());
    let result = build(args, &dir, &tmp_name);
    let fresh = std::fs::read(dir.join(&tmp_name));
    let _ = std::fs::remove_file(dir.join(&tmp_name));
    result?;
    let fresh = fresh?;
    let committed =
        std::fs::read(dir.join("sensor.bpf.o")).context("reading the committed object")?;
    if fresh == committed {
        println!(
            "sensor.bpf.o is current (clang {major}, {} bytes)",
            fresh.len()
        );
        return Ok(());
    }
    if major != recorded {
        println!(
            "sensor.bpf.o differs from a clang {major} build ({} vs {} bytes); it was built with clang {recorded}, so this is expected codegen drift, not a stale object",
            fresh.len(),
            committed.len()
        );
        return Ok(());
    }
    bail!(
        "crates/palisade-sensor/bpf/sensor.bpf.o is stale: rebuilding it from sensor.bpf.c with clang {major} gives different bytes; run `cargo xtask ebpf` and commit the object"
    )
}
