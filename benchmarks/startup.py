"""Start-up: what a user waits for on every `flowc run`, stage by stage, cold and warm.

Cold is an empty cache (a fresh `FLOWC_CACHE_DIR`, so numba compiles the program and every
kernel); warm is the same cache again (the generated module and numba's machine code are on
disk). Each measurement is a fresh interpreter, as a user's shell gives one:

1. wall time of `flowc run FILE` and `flowc lint FILE` (median of the warm repeats), next to
   `python -c pass`, the floor of any command; the warm run also as a core install runs it,
   with neither scipy nor PyYAML importable (the bench and test extras bring them, and numba
   imports them when present: scipy.linalg at its first dispatch, yaml at its import);
2. the stages of `flowc run` timed one by one in a child process that calls them in the
   same order: the imports of the heavy libraries (in the order flowc meets them), parse,
   analyse, lint, plan, data load (cold, it imports pandas to read the CSV; warm, the
   checked bars come from flowc's cache), code generation, writing and importing the
   generated module, numba's first dispatch (its target initialisation), compiling or
   loading the program's machine code (cold, the summary's kernels compile meanwhile in a
   second process, `runtime/prewarm.py`), the run, the metrics and the printed report; the
   child leaves as `flowc` does (atexit handlers, then no interpreter teardown).

    python benchmarks/startup.py [FILE] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLOWC = [sys.executable, "-m", "flowc.tools"]
# `flowc` as a core install runs it: numba finds neither scipy nor yaml (an ImportError, as when absent).
CORE = [sys.executable, "-c", "import sys; sys.modules.update(scipy=None, yaml=None); sys.argv[0] = 'flowc'; "
                              "from flowc.tools.cli import entry; entry()"]
TARGETS = {"warm run": 0.7, "cold run": 3.0, "lint": 0.3}


def child(path: str) -> None:
    """Time the stages of `flowc run PATH` in this (fresh) interpreter; print them as JSON."""
    stages: list[tuple[str, float]] = []
    clock = time.perf_counter()

    def mark(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        stages.append((name, now - clock))
        clock = now

    import numpy  # noqa: F401

    mark("import numpy")
    import networkx  # noqa: F401

    mark("import networkx")
    import lark  # noqa: F401

    mark("import lark")
    import rich.console
    import rich.table

    mark("import rich")
    import flowc.runtime  # noqa: F401  (sets NUMBA_CACHE_DIR before numba loads)

    # isort: split
    import numba  # noqa: F401

    mark("import numba")
    from flowc.compiler.codegen import generate
    from flowc.compiler.lint import lint
    from flowc.compiler.plan import build_plan
    from flowc.compiler.workflow import analyse
    from flowc.dsl.loader import load
    from flowc.runtime import prewarm
    from flowc.runtime.executor import compile_plan, run_program
    from flowc.runtime.manager import load_market
    from flowc.runtime.results import summarise
    from flowc.tools import cli
    from flowc.tools.commands import run  # noqa: F401

    mark("import flowc (the rest)")
    sources = load(path)
    mark("parse")
    analysis = analyse(sources)
    mark("analyse")
    analysis.diagnostics.extend(lint(analysis))
    mark("lint")
    plan, _ = build_plan(analysis)
    mark("plan")
    market, owner = load_market(analysis, plan)
    mark("data load")
    generate(plan)
    mark("codegen")
    program = compile_plan(plan)  # generates again (a few ms), writes if new, imports the module
    mark("write + import generated module")
    from flowc.runtime.kernels.ops import sign_nb

    sign_nb(1.0)
    mark("numba first dispatch (target init)")
    import numpy as np

    literals = analysis.binding.symbol_literals
    symlit = np.array([literals.index(s) if s in literals else -1 for s in market.symbols], dtype=np.int64)
    params = np.array(analysis.binding.params.vector(analysis.values), dtype=np.float64)
    head = type(market)(market.symbols, market.timestamps[:2], market.open[:2], market.high[:2], market.low[:2],
                        market.close[:2], market.volume[:2], market.present[:2])
    child = prewarm.start()  # as `run_prepared` does: the summary's kernels compile meanwhile, cold
    run_program(program, head, owner, symlit, params, complete=market.complete)
    prewarm.finish(child)
    mark("program: compile (cold) or load cached code (warm)")
    ledger = run_program(program, market, owner, symlit, params)
    mark("run")
    result = summarise(analysis.name, ledger, market, analysis.periods_per_year)
    mark("metrics")
    import io

    console = rich.console.Console(file=io.StringIO(), width=100)
    table = rich.table.Table(title=analysis.name, show_header=False)
    table.add_column("metric")
    table.add_column("value")
    for key, value in result.metrics.items():
        table.add_row(key, str(value))
    console.print(table)
    mark("report")
    print(json.dumps(stages))
    cli.leave(0)


ROOT = Path(__file__).resolve().parent.parent


def _wall(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def _stages(path: str, env: dict[str, str]) -> dict[str, float]:
    """The child's stages, and what its wall time holds besides them (interpreter start-up, exit)."""
    start = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, "--child", path], env=env, cwd=ROOT,
                         capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    stages = dict(json.loads(out.stdout.strip().splitlines()[-1]))
    return {"interpreter start-up and exit": wall - sum(stages.values()), **stages}


def _env(cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "FLOWC_CACHE_DIR")}
    env["FLOWC_CACHE_DIR"] = str(cache)
    return env


def _median(values: list[float]) -> float:
    values = sorted(values)
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", nargs="?", default=str(ROOT / "examples" / "simple_backtest.flow"))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.file)
        return ""
    import common  # not in the child: it imports numpy, whose import the child times

    root = Path(tempfile.mkdtemp(prefix="flowc-startup-"))
    try:
        rel = os.path.relpath(args.file, common.ROOT)
        floor = _median([_wall([sys.executable, "-c", "pass"], _env(root / "x")) for _ in range(args.repeats)])
        # Cold: a fresh cache for every measurement; warm: the cache the first one filled.
        cold_run = _wall([*FLOWC, "run", args.file], _env(root / "cold-run"))
        warm_runs = [_wall([*FLOWC, "run", args.file], _env(root / "cold-run")) for _ in range(args.repeats)]
        core_runs = [_wall([*CORE, "run", args.file], _env(root / "cold-run")) for _ in range(args.repeats)]
        cold = _stages(args.file, _env(root / "cold-stages"))
        warm_all = [_stages(args.file, _env(root / "cold-stages")) for _ in range(args.repeats)]
        warm = {k: _median([w[k] for w in warm_all]) for k in cold}
        lint_examples = {}
        for example in sorted((common.ROOT / "examples").glob("*.flow")):
            lint_examples[example.name] = _median(
                [_wall([*FLOWC, "lint", str(example)], _env(root / "cold-run")) for _ in range(3)])
    finally:
        shutil.rmtree(root, ignore_errors=True)

    wall_rows = [
        ("`python -c pass` (the floor)", common.seconds(floor), ""),
        (f"`flowc run {rel}`, cold (empty cache)", common.seconds(cold_run), f"< {TARGETS['cold run']:g} s"),
        (f"`flowc run {rel}`, warm", common.seconds(_median(warm_runs)), f"< {TARGETS['warm run']:g} s"),
        (f"`flowc run {rel}`, warm, without scipy and PyYAML", common.seconds(_median(core_runs)), ""),
        *((f"`flowc lint examples/{name}`", common.seconds(t), f"< {TARGETS['lint']:g} s")
          for name, t in lint_examples.items()),
    ]
    rows = [(name, common.seconds(cold[name]), common.seconds(warm[name]),
             f"{100 * warm[name] / sum(warm.values()):.0f}%") for name in cold]
    rows.append(("**wall time of the child**", common.seconds(sum(cold.values())),
                 common.seconds(sum(warm.values())), "100%"))
    text = ("### Wall time of the commands\n\n" + common.table(("command", "seconds", "target"), wall_rows)
            + f"\n\n### Stages of `flowc run {rel}` (warm: median of {args.repeats})\n\n"
            + common.table(("stage", "cold s", "warm s", "warm share"), rows) + "\n")
    print(text)
    return text


if __name__ == "__main__":
    main()
