"""The run manifest: what produced the numbers in an `--out` directory, and the means to check it.

Why it exists: a metric read weeks later is worth only as much as the certainty of what made it.
Every `--out` directory holds `manifest.json` with the versions (flowc, numba, numpy, pandas,
Python), the SHA-256 of every `.flow` file and data file read, the resolved parameters, the
workflow, the plan hash, the command line, the start and end time, and a digest of each result
file. `flowc run --reproduce OUT_DIR` reruns the recorded run into a scratch folder and compares
the two manifests: which inputs or versions changed, and whether every result is identical.

Result digests leave out what differs between identical runs (the `timings` of `metrics.json`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shlex
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from flowc.compiler.schema import Roles
from flowc.runtime import data_quality

MANIFEST = "manifest.json"
FORMAT = 1
RESULT_FILES = ("metrics.json", "equity.csv", "trades.csv", "orders.csv", "fills.csv", "positions.csv", "sweep.csv")
VOLATILE = ("timings",)  # keys of metrics.json that differ between identical runs


def now() -> str:
    """The current time, UTC, ISO 8601 to the millisecond."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def versions() -> dict[str, str]:
    import numba
    import pandas

    from flowc.dsl.version import version

    return {"flowc": version(), "python": platform.python_version(), "numba": numba.__version__,
            "numpy": np.__version__, "pandas": pandas.__version__,
            "platform": f"{platform.system()} {platform.machine()}"}


# ---- what a run was asked to do --------------------------------------------------------


def run_record(args: argparse.Namespace, workflow: str) -> dict[str, object]:
    """The arguments that decide a run's results, with every path made absolute."""
    return {
        "file": str(Path(args.file).absolute()),
        "workflow": workflow,
        "overrides": list(args.overrides),
        "data": {symbol: str(Path(path).expanduser().absolute()) for symbol, path in parse_data(args.data).items()},
        "start": args.start,
        "end": args.end,
        "engine": args.engine,
        "hoist": not args.no_hoist,
        "benchmark": args.benchmark,
        "plugins": [str(Path(p).absolute()) if p.endswith(".py") else p for p in getattr(args, "plugin", None) or []],
    }


def rerun_arguments(run: dict) -> list[str]:
    """`flowc run` arguments that redo the recorded run (`run_record`), without output options."""
    argv = [str(run["file"]), "-w", str(run["workflow"])]
    for item in run.get("overrides", []):
        argv += ["--set", str(item)]
    for symbol, path in dict(run.get("data") or {}).items():
        argv += ["--data", f"{symbol}={path}"]
    for option in ("start", "end", "benchmark"):
        if run.get(option) is not None:
            argv += [f"--{option}", str(run[option])]
    argv += ["--engine", str(run.get("engine", "compiled"))]
    if not run.get("hoist", True):
        argv.append("--no-hoist")
    return argv


def command_line(args: argparse.Namespace) -> str:
    """The command as the user gave it (paths as typed), rebuilt from the parsed arguments."""
    argv = ["flowc", "run", str(args.file)]
    if args.workflow:
        argv += ["-w", args.workflow]
    for item in args.overrides:
        argv += ["--set", item]
    for item in args.data:
        argv += ["--data", item]
    for option in ("start", "end", "benchmark", "out", "capture_signals"):
        value = getattr(args, option, None)
        if value is not None:
            argv += [f"--{option.replace('_', '-')}", str(value)]
    if args.engine != "compiled":
        argv += ["--engine", args.engine]
    for flag in ("no_hoist", "report", "features", "json", "quiet", "verbose"):
        if getattr(args, flag, False):
            argv.append(f"--{flag.replace('_', '-')}")
    return shlex.join(argv)


def parse_data(items: Iterable[str]) -> dict[str, str]:
    """`--data SYMBOL=PATH` options as a mapping; ValueError on a malformed one."""
    found: dict[str, str] = {}
    for item in items:
        symbol, sep, path = item.partition("=")
        if not sep or not symbol.strip() or not path.strip():
            raise ValueError(f"--data {item!r}: write SYMBOL=PATH, for example --data SPX=prices/spx.csv")
        if symbol.strip() in found:
            raise ValueError(f"--data {symbol.strip()}: given twice")
        found[symbol.strip()] = path.strip()
    return found


# ---- building and reading ---------------------------------------------------------------


def build(prepared, args: argparse.Namespace, *, started: str, finished: str, out: Path,
          cash0: float | None = None) -> dict[str, object]:
    """The manifest of a finished run whose results are in `out`."""
    analysis, market = prepared.analysis, prepared.market
    decl = analysis.workflow
    flow = []
    for path, source in analysis.sources.sources.items():
        on_disk = Path(path)
        if on_disk.is_file():  # `<std>/...` files are the installed standard library's text
            flow.append({"path": str(on_disk.absolute()), "sha256": sha256_file(on_disk)})
        else:
            flow.append({"path": path, "sha256": sha256_text(source.text)})
    data = [{"path": str(path), "sha256": sha256_file(path), "bytes": path.stat().st_size}
            for path in dict.fromkeys(prepared.data_files)]
    plugins = [{"name": name, **plugin_file(name)} for name in getattr(args, "plugin", None) or []]
    generated = [{"container": c.path, "source": spec.kind, "args": dict(spec.args)}
                 for c in analysis.binding.containers.values() if c.role == Roles.DATA
                 for spec in c.config.sources if spec.kind == "synthetic"]
    k = prepared.trade_from
    stamps = market.timestamps

    def shown(stamp: np.datetime64) -> str:
        return str(np.datetime_as_string(stamp, "s"))

    manifest: dict[str, object] = {
        "format": FORMAT,
        "versions": versions(),
        "command": command_line(args),
        "cwd": os.getcwd(),
        "run": run_record(args, analysis.name),
        "workflow": {"name": analysis.name, "description": decl.description if decl else None,
                     "file": str(Path(analysis.sources.main).absolute())},
        "params": {name: _plain(value) for name, value in sorted(analysis.values.items())},
        "sweeps": [{"param": s.param, "values": [_plain(v) for v in s.values]} for s in analysis.sweeps],
        "plan": prepared.plan.digest,
        "inputs": {"flow": flow, "data": data, "plugins": plugins, "generated": _plain(generated)},
        "market": {"symbols": list(market.symbols), "bars": int(market.present[k:].sum()),
                   "steps": int(len(stamps) - k),
                   "first": shown(stamps[k]) if len(stamps) > k else None,
                   "last": shown(stamps[-1]) if len(stamps) else None,
                   "warmup_bars": prepared.warmup, "warmup_from": shown(stamps[0]) if k else None,
                   "largest_gap": getattr(prepared, "gap", None),
                   "quality": data_quality.summary(market, k)},
        "cash": cash0,
        "periods_per_year": analysis.periods_per_year,
        "started_at": started,
        "finished_at": finished,
        "results": result_digests(out),
    }
    return manifest


def plugin_file(name: str) -> dict[str, str]:
    """The source file of a plugin (a `.py` path or a module name) and its hash, where it has one."""
    import importlib.util

    if name.endswith(".py"):
        origin = str(Path(name).absolute())
    else:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        origin = spec.origin if spec is not None and spec.origin else ""
    if not origin or not Path(origin).is_file():
        return {}
    return {"path": origin, "sha256": sha256_file(origin)}


def write(out: str | Path, manifest: dict[str, object]) -> Path:
    from flowc.runtime.files import write_text

    path = Path(out) / MANIFEST
    write_text(path, json.dumps(manifest, indent=2, allow_nan=False) + "\n")
    return path


def read(out: str | Path) -> dict:
    """The manifest of an `--out` directory; ValueError (in words) if there is none or it is unreadable."""
    path = Path(out) / MANIFEST
    if not path.is_file():
        raise ValueError(f"no {MANIFEST} in {out}: it is written by `flowc run ... --out {out}`")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("run"), dict):
        raise ValueError(f"{path} is not a flowc run manifest")
    return manifest


def result_digests(out: str | Path) -> dict[str, str]:
    """SHA-256 of each result file present in `out`; `metrics.json` without its volatile keys."""
    found = {}
    for name in RESULT_FILES:
        path = Path(out) / name
        if not path.is_file():
            continue
        try:
            found[name] = _metrics_digest(path) if name == "metrics.json" else sha256_file(path)
        except OSError as exc:
            found[name] = f"unreadable: {exc.strerror or type(exc).__name__}"
    return found


def _metrics_digest(path: Path) -> str:
    """The digest of metrics.json without its volatile keys; of its bytes when it is not a JSON object."""
    raw = path.read_bytes()
    try:
        metrics = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        metrics = None
    if not isinstance(metrics, dict):
        return hashlib.sha256(raw).hexdigest()
    for key in VOLATILE:
        metrics.pop(key, None)
    return sha256_text(json.dumps(metrics, sort_keys=True))


def edited_results(recorded: dict, present: dict) -> list[str]:
    """The result files of a folder that are not what its manifest recorded (edited, missing, half-written)."""
    notes = []
    for name in sorted(recorded, key=_result_order):
        if name not in present:
            notes.append(f"{name}: missing")
        elif present[name] != recorded[name]:
            notes.append(f"{name}: not the file the run wrote")
    return notes


def plugin_mismatch(recorded: list[dict], given: Iterable[str]) -> str | None:
    """Why the plugins given on the command line are not those a recorded run used (None when they are).

    A plugin recorded with a file must be given as a plugin whose file has the same SHA-256 (from any
    path); one without a file (a module without source) must be given by the same name.
    """
    offered = [{"name": name, **plugin_file(name)} for name in given]
    left = list(offered)
    for plugin in recorded:
        digest = plugin.get("sha256")
        match = next((o for o in left if (o.get("sha256") == digest if digest else o["name"] == plugin.get("name"))),
                     None)
        if match is None:
            named = next((o for o in left if o["name"] == plugin.get("name")), None)
            if named is not None and digest:
                return (f"plugin {plugin.get('name')}: its file has changed (sha256 {digest[:12]}… then, "
                        f"{str(named.get('sha256', 'no file'))[:12]}… now)")
            return f"the run used the plugin {plugin.get('name')}" + (f" (sha256 {digest[:12]}…)" if digest else "")
        left.remove(match)
    if left:
        return f"the run used no plugin {left[0]['name']}"
    return None


# ---- comparing ----------------------------------------------------------------------------


def compare(before: dict, after: dict) -> tuple[list[str], list[str], list[str]]:
    """(changed inputs, changed versions, differing results) between a manifest and its rerun's."""
    inputs: list[str] = []
    for kind, label in (("flow", "flow file"), ("data", "data file"), ("plugins", "plugin")):
        old = {i["path"]: i["sha256"] for i in before.get("inputs", {}).get(kind, []) if "path" in i}
        new = {i["path"]: i["sha256"] for i in after.get("inputs", {}).get(kind, []) if "path" in i}
        for path, digest in old.items():
            if path not in new:
                inputs.append(f"{label} {path}: no longer read")
            elif new[path] != digest:
                inputs.append(f"{label} {path}: changed (sha256 {digest[:12]}… then, {new[path][:12]}… now)")
        inputs.extend(f"{label} {path}: read now, not then" for path in new if path not in old)
    if before.get("inputs", {}).get("generated") != after.get("inputs", {}).get("generated"):
        inputs.append("generated data: different synthetic sources")
    if before.get("params") != after.get("params"):
        changed = sorted(k for k in {*before.get("params", {}), *after.get("params", {})}
                         if before.get("params", {}).get(k) != after.get("params", {}).get(k))
        inputs.append(f"parameters: {', '.join(changed)}")
    if before.get("plan") != after.get("plan"):
        inputs.append(f"plan: {before.get('plan')} then, {after.get('plan')} now")
    old_v, new_v = before.get("versions", {}), after.get("versions", {})
    version_notes = [f"{name} {old_v.get(name)} then, {new_v.get(name)} now"
                     for name in sorted({*old_v, *new_v}) if old_v.get(name) != new_v.get(name)]
    old_r, new_r = before.get("results", {}), after.get("results", {})
    results = [name for name in sorted({*old_r, *new_r}, key=_result_order) if old_r.get(name) != new_r.get(name)]
    return inputs, version_notes, results


def _result_order(name: str) -> int:
    return RESULT_FILES.index(name) if name in RESULT_FILES else len(RESULT_FILES)


def _plain(value: object) -> object:
    """JSON-ready: numpy scalars to Python, tuples to lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)

