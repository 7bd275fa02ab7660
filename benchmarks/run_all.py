"""Every speed benchmark in one command; with `--write`, the results as a Markdown page.

    pip install -e '.[bench]'                      # flowc and the peers it is measured against
    python benchmarks/run_all.py --write benchmarks/RESULTS.md
    python benchmarks/run_all.py --quick           # small sizes: a smoke run of every script

Each script runs in its own interpreter (`peers.py`, `startup.py`, `new_topology.py`,
`scaling.py`, `sweep_speed.py`), so one's memory and compiled code never shape another's numbers; their
Markdown output is collected in that order, under a header naming the machine, its load and
the commit.
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
import time
from pathlib import Path

import common

HERE = Path(__file__).resolve().parent
SECTIONS = (
    ("flowc against the field", "peers.py", ()),
    ("Start-up", "startup.py", ()),
    ("A topology never run before", "new_topology.py", ()),
    ("Scaling", "scaling.py", ()),
    ("Sweeps", "sweep_speed.py", ()),
)


def _commit() -> str:
    try:
        out = subprocess.run(["git", "-C", str(common.ROOT), "log", "-1", "--format=%h %s"], capture_output=True,
                             text=True, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    ap.add_argument("--write", metavar="FILE", help="write the Markdown results to FILE")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    header = (f"Machine: {common.machine()}.\n\n"
              f"Measured {datetime.date.today().isoformat()} at commit `{_commit()}`, {common.load_average()} "
              f"at the start. Command: `python benchmarks/run_all.py{' --quick' if args.quick else ''}`.\n")
    parts = [header]
    for title, script, extra in SECTIONS:
        command = [sys.executable, str(HERE / script), *(["--quick"] if args.quick else []), *extra]
        if script == "startup.py":
            command = [sys.executable, str(HERE / script), "--repeats", "3" if args.quick else "5"]
        print(f"== {script}", file=sys.stderr)
        out = subprocess.run(command, capture_output=False, stdout=subprocess.PIPE, text=True, env=os.environ,
                             check=True)
        parts.append(f"## {title}\n\n{out.stdout.strip()}\n")
    parts.append(f"_The whole run took {time.perf_counter() - started:,.0f} s; {common.load_average()} at the end._\n")
    text = "\n".join(parts)
    if args.write:
        Path(args.write).write_text("# Benchmark results\n\n" + text)
    print(text)
    return text


if __name__ == "__main__":
    main()
