#!/usr/bin/env python3
"""Check that ATT&CK Navigator layer files load in mitreattack-python.

Usage: validate_layers.py [--strict] LAYER.json [LAYER.json ...]

Each file is loaded with ``mitreattack.navlayers.Layer().from_file(path)``. The
loader reports most problems by printing a message and dropping the offending
field (or the whole layer) instead of raising, so after loading we compare the
result with the file: the layer must load, and ``name``, ``domain``,
``versions``, ``filters.platforms`` and every ``techniques`` entry
(techniqueID + tactic) must survive. ``--strict`` also fails on any message the
loader prints.

Prints one line per layer (``OK`` or ``FAIL``) and exits non-zero if any layer
fails, 2 if mitreattack-python is not installed.

Install: python3 -m venv /tmp/venv-attack && /tmp/venv-attack/bin/pip install mitreattack-python
"""

import argparse
import collections
import contextlib
import io
import json
import sys


def load_mitreattack():
    try:
        from mitreattack.navlayers import Layer
    except ImportError as exc:
        print(
            f"error: mitreattack-python is not importable ({exc}); "
            "install it with: pip install mitreattack-python",
            file=sys.stderr,
        )
        sys.exit(2)
    try:
        from importlib.metadata import version

        lib_version = version("mitreattack-python")
    except Exception:  # noqa: BLE001 - version is informational only
        lib_version = "unknown"
    return Layer, lib_version


def technique_keys(techniques):
    """Multiset of (techniqueID, tactic) pairs."""
    return collections.Counter(
        (t.get("techniqueID"), t.get("tactic")) for t in techniques if isinstance(t, dict)
    )


def validate(path, layer_cls, strict):
    """Return (ok, one-line report)."""
    try:
        with open(path, encoding="utf-8") as fh:
            raw = json.load(fh)
    except (OSError, ValueError) as exc:
        return False, f"FAIL {path}: cannot read JSON: {exc}"
    if not isinstance(raw, dict):
        return False, f"FAIL {path}: top level is not a single layer object"

    captured = io.StringIO()
    try:
        with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
            layer = layer_cls()
            layer.from_file(path)
    except Exception as exc:  # noqa: BLE001 - any loader exception is a failure
        return False, f"FAIL {path}: mitreattack-python raised {type(exc).__name__}: {exc}"
    messages = [
        line.strip()
        for line in captured.getvalue().splitlines()
        if line.startswith("[") and line.strip()
    ]

    loaded = layer.to_dict()
    if not isinstance(loaded, dict):
        detail = messages[0] if messages else "no layer object"
        return False, f"FAIL {path}: mitreattack-python did not load the layer: {detail}"

    problems = []
    for key in ("name", "domain"):
        if loaded.get(key) != raw.get(key):
            problems.append(f"{key} {raw.get(key)!r} became {loaded.get(key)!r}")

    raw_versions = raw.get("versions")
    loaded_versions = loaded.get("versions")
    if raw_versions is not None:
        if not loaded_versions:
            problems.append("versions dropped")
        else:
            for key in ("attack", "navigator", "layer"):
                if key in raw_versions and str(loaded_versions.get(key)) != str(raw_versions[key]):
                    problems.append(
                        f"versions.{key} {raw_versions[key]!r} became {loaded_versions.get(key)!r}"
                    )

    raw_filters = raw.get("filters")
    if raw_filters is not None:
        loaded_platforms = (loaded.get("filters") or {}).get("platforms")
        if loaded_platforms != raw_filters.get("platforms"):
            problems.append(
                f"filters.platforms {raw_filters.get('platforms')!r} became {loaded_platforms!r}"
            )

    raw_techniques = raw.get("techniques") or []
    loaded_techniques = loaded.get("techniques") or []
    if technique_keys(raw_techniques) != technique_keys(loaded_techniques):
        missing = technique_keys(raw_techniques) - technique_keys(loaded_techniques)
        sample = ", ".join(f"{tid}/{tac}" for tid, tac in list(missing)[:5])
        problems.append(
            f"techniques: {len(raw_techniques)} in file, {len(loaded_techniques)} after loading"
            + (f" (missing {sample})" if sample else "")
        )

    if strict and messages:
        problems.extend(f"loader said: {m}" for m in messages)

    if problems:
        return False, f"FAIL {path}: " + "; ".join(problems)

    versions = loaded_versions or {}
    platforms = ",".join((loaded.get("filters") or {}).get("platforms") or []) or "-"
    return True, (
        f"OK   {path}: {loaded.get('name')!r} domain={loaded.get('domain')} "
        f"attack={versions.get('attack', '-')} layer={versions.get('layer', '-')} "
        f"navigator={versions.get('navigator', '-')} platforms={platforms} "
        f"techniques={len(loaded_techniques)} loader-messages={len(messages)}"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Check that ATT&CK Navigator layers load in mitreattack-python."
    )
    parser.add_argument("layers", nargs="+", metavar="LAYER.json")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="also fail when mitreattack-python prints any message while loading",
    )
    args = parser.parse_args(argv)

    layer_cls, lib_version = load_mitreattack()
    failures = 0
    for path in args.layers:
        ok, line = validate(path, layer_cls, args.strict)
        print(f"{line} (mitreattack-python {lib_version})")
        if not ok:
            failures += 1
    if failures:
        print(f"{failures} of {len(args.layers)} layer(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
