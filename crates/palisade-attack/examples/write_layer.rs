//! Write sample Navigator layers for every built-in ATT&CK version:
//! `cargo run -p palisade-attack --example write_layer -- OUT_DIR`.
//!
//! Each layer scores every Containers technique, plus a few ids given the way rules
//! tag them (a revoked id, Falco and Sigma tactic tags) to exercise translation. Used
//! by CI to check that the layers load in mitreattack-python
//! (tests/navigator/validate_layers.py).

use palisade_attack::navigator::LayerBuilder;
use palisade_attack::{AttackVersion, Catalogue};
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(out) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: write_layer OUT_DIR");
        return ExitCode::from(2);
    };
    if let Err(e) = std::fs::create_dir_all(&out) {
        eprintln!("cannot create {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    for version in AttackVersion::ALL {
        let cat = Catalogue::builtin(version);
        let mut b = LayerBuilder::new(format!("Palisade sample (ATT&CK {version})"), cat)
            .description("Every Containers technique, score 10; tagged examples scored higher.")
            .legend("runtime detection", "#ff6666")
            .metadata("source", "palisade-attack example write_layer");
        for (tactic, techniques) in cat.containers_matrix() {
            for t in techniques {
                if let Err(e) = b.add(&t.id, Some(&tactic.shortname), 10.0, "", Vec::new()) {
                    eprintln!("{e}");
                    return ExitCode::FAILURE;
                }
            }
        }
        let tagged: [(&str, Option<&str>, f64, &str); 4] = [
            (
                "T1562.001",
                Some("mitre_defense_evasion"),
                80.0,
                "falco: tool disabled",
            ),
            (
                "T1611",
                Some("mitre_privilege_escalation"),
                90.0,
                "check: hostPID + privileged",
            ),
            (
                "attack.t1610",
                Some("attack.defense_evasion"),
                60.0,
                "sigma: deploy container",
            ),
            ("T1053.007", None, 40.0, "check: CronJob with hostPath"),
        ];
        for (id, hint, score, comment) in tagged {
            let meta = vec![("origin".to_string(), id.to_string())];
            if let Err(e) = b.add(id, hint, score, comment, meta) {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        }
        let layer = b.build();
        let path = out.join(format!("palisade-containers-{}.json", version.major()));
        if let Err(e) = std::fs::write(&path, layer.to_json_pretty()) {
            eprintln!("cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("{} ({} techniques)", path.display(), layer.techniques.len());
    }
    ExitCode::SUCCESS
}
