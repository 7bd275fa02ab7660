"""`flowc report OUT_DIR`: draw the report of a run already in an `--out` folder.

The results come from the folder; the prices are loaded again from the data its `manifest.json`
names, with the same `--data`, `--start` and `--end`, so the report covers the run's steps.
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
    run = record["run"]
    from flowc.runtime.manager import RunOptionError, prepare
    from flowc.tools.commands.run import traded_market

    try:
        prepared = prepare(run["file"], run.get("workflow"), run.get("overrides", []), hoist=run.get("hoist", True),
                           data=run.get("data") or None, start=run.get("start"), end=run.get("end"))
    except RunOptionError as exc:
        return _usage(str(exc))
    benchmark = args.benchmark or run.get("benchmark")
    try:
        files = write_report(out, traded_market(prepared), prepared.analysis.graph, benchmark=benchmark)
    except ValueError as exc:
        return _usage(str(exc))
    charts = [f for f in files if f.suffix == ".png"]
    sys.stdout.write(f"wrote {files[0]}" + (f" and {len(charts)} charts in {charts[0].parent}" if charts else "")
                     + "\n")
    return EXIT_OK


def _usage(message: str) -> int:
    sys.stderr.write(f"flowc: {message}\n")
    return EXIT_USAGE
