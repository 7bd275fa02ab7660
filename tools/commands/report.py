"""`flowc report OUT_DIR`: draw the report of a run already in an `--out` folder.

The results come from the folder; the prices are loaded again from the data its `manifest.json`
names, with the same `--data`, `--start` and `--end`, so the report covers the run's steps.

A run made with plugins needs them again to load its workflow. They are loaded only from
`--plugin` (before or after `report`), each checked against the file hash the manifest recorded:
a plugin the manifest names but the command line does not is a usage error naming it, never code
run because an output folder names it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from flowc.tools import manifest
from flowc.tools.exit_codes import EXIT_OK, EXIT_USAGE


def run_report(args: argparse.Namespace) -> int:
    from flowc.tools.report import ReportUnavailable, check_available, write_report

    out = Path(args.out_dir)
    try:
        check_available()
        record = manifest.read(out)
    except (ReportUnavailable, ValueError) as exc:
        return _usage(str(exc))
    if (out / "sweep.csv").is_file():
        return _sweep_report(out)
    run = record["run"]
    given = [*(getattr(args, "plugin", None) or []), *(getattr(args, "report_plugins", None) or [])]
    problem = check_plugins(record, given, out)
    if problem:
        return _usage(problem)
    if getattr(args, "report_plugins", None):
        from flowc.runtime.components import load_plugins

        load_plugins(args.report_plugins)
    from flowc.runtime import features
    from flowc.runtime.manager import RunOptionError, prepare
    from flowc.tools.commands.run import traded_market

    try:
        prepared = prepare(run["file"], run.get("workflow"), run.get("overrides", []), hoist=run.get("hoist", True),
                           data=run.get("data") or None, start=run.get("start"), end=run.get("end"))
    except RunOptionError as exc:
        return _usage(str(exc))
    benchmark = args.benchmark or run.get("benchmark")
    try:
        files = write_report(out, traded_market(prepared), prepared.analysis.graph, benchmark=benchmark,
                             features=features.compute(prepared))
    except ValueError as exc:
        return _usage(str(exc))
    charts = [f for f in files if f.suffix == ".png"]
    sys.stdout.write(f"wrote {files[0]}" + (f" and {len(charts)} charts in {charts[0].parent}" if charts else "")
                     + "\n")
    return EXIT_OK


def check_plugins(record: dict, given: list[str], out: Path) -> str | None:
    """Why the plugins given do not cover those the run recorded (same file hash), or None."""
    recorded = [p for p in record.get("inputs", {}).get("plugins") or [] if isinstance(p, dict) and p.get("name")]
    files = {name: manifest.plugin_file(name) for name in given}
    for plugin in recorded:
        name, digest = str(plugin["name"]), plugin.get("sha256")
        if any(files[g].get("sha256") == digest if digest else g == name for g in given):
            continue  # the same file (by its hash), or the same module name where no file was recorded
        shown = f"`{name}`" + (f" ({plugin['path']}, sha256 {str(digest)[:12]}…)" if digest else "")
        same_name = [g for g in given if g == name or Path(g).stem == Path(name).stem]
        if same_name and digest:
            now = files[same_name[0]].get("sha256")
            return (f"the run in {out} used the plugin {shown}; the --plugin {same_name[0]} given is another file "
                    f"(sha256 {str(now)[:12] if now else 'unknown'}…): give the plugin the run used")
        return (f"the run in {out} used the plugin {shown}; pass it to load its components: "
                f"flowc report {out} --plugin {name} (a plugin is never loaded because a results folder names it)")
    return None


def _sweep_report(out: Path) -> int:
    from flowc.tools.report import write_sweeps_report

    try:
        page = write_sweeps_report(out)
    except ValueError as exc:
        return _usage(str(exc))
    sys.stdout.write(f"wrote {page}\n")
    return EXIT_OK


def _usage(message: str) -> int:
    sys.stderr.write(f"flowc: {message}\n")
    return EXIT_USAGE
