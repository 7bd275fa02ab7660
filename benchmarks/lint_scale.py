"""How `flowc lint` scales: a generated topology of 10,000 containers and about 30,000 routes.

Prints the seconds of each stage (parse, analyse, lint), once with Python's
default garbage-collector thresholds and once as `flowc lint` runs them
(`fewer_collections`), and, as a baseline measured in the same run, the time
networkx takes for one strongly connected components pass over the same
forward graph: the least any structural check must pay. Target: under 5 s.

    python benchmarks/lint_scale.py [--groups N]
"""

from __future__ import annotations

import argparse
import contextlib
import time

import networkx as nx

from flowc.compiler.lint import lint
from flowc.compiler.lint.facts import forward
from flowc.compiler.workflow import analyse
from flowc.dsl.loader import load_text
from flowc.tools.commands.lint import fewer_collections

DATA = 5  # data containers shared by every group


def topology(groups: int) -> str:
    """`groups` pipelines of feature, strategy, risk, execution and portfolio, cross-linked to their neighbours.

    Each group has 15 routes: 5 along its pipeline, 4 BAR broadcasts, 1 feedback
    and 5 to the next groups (FEATURE to two strategies, SIGNAL, ORDER, FILL).
    """
    lines = ["param window: int = 10", "", "containers big {", "    root: backtest {"]
    lines += [f"        d{i}: data {{ source = synthetic(bars = 100, seed = {i}) }}" for i in range(DATA)]
    for g in range(groups):
        lines += [f"        f{g}: feature {{ f{g}_fast = sma(close, window); f{g}_slow = ema(close, 30) }}",
                  f"        s{g}: strategy {{ signal = crossover(f{g}_fast, f{g}_slow) }}",
                  f"        r{g}: risk {{ size = percent_equity(1) }}",
                  f"        e{g}: execution {{ fill = next_open() }}",
                  f"        p{g}: portfolio {{ cash = 10_000 }}"]
    lines += ["    }", "}", "", "communication wiring {"]
    for g in range(groups):
        d, n1, n2 = f"d{g % DATA}", (g + 1) % groups, (g + 2) % groups
        lines += [f"    pipeline {d} -> f{g} -> s{g} -> r{g} -> e{g} -> p{g}",
                  f"    broadcast {d} -> s{g}, r{g}, e{g}, p{g} : BAR",
                  f"    feedback p{g} -> r{g} : PORTFOLIO",
                  f"    route f{g} -> s{n1}, s{n2} : FEATURE",
                  f"    route s{g} -> r{n1} : SIGNAL",
                  f"    route r{g} -> e{n1} : ORDER",
                  f"    route e{g} -> p{n1} : FILL"]
    lines += ["}", "", "workflow big {", "    containers = big", "    communication = wiring", "}", ""]
    return "\n".join(lines)


def stages(text: str) -> tuple[dict[str, float], object]:
    times: dict[str, float] = {}
    start = time.perf_counter()
    sources = load_text(text, "big.flow")
    times["parse"] = time.perf_counter() - start
    start = time.perf_counter()
    analysis = analyse(sources)
    times["analyse"] = time.perf_counter() - start
    assert analysis.graph is not None and not analysis.diagnostics, analysis.diagnostics[:3]
    start = time.perf_counter()
    found = lint(analysis)
    times["lint"] = time.perf_counter() - start
    assert found == [], found[:3]
    return times, analysis


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=(10_000 - DATA) // 5)
    text = topology(parser.parse_args().groups)
    load_text(topology(3), "warm-up.flow")  # load the grammar tables outside the timings

    runs = {}
    analysis = None
    for label, context in (("default gc", contextlib.nullcontext()), ("flowc lint", fewer_collections())):
        analysis = None  # the previous run's objects are freed, not carried into this run's heap
        with context:
            runs[label], analysis = stages(text)
            dag = forward(analysis.graph)  # type: ignore[attr-defined]
            start = time.perf_counter()
            sum(1 for _ in nx.strongly_connected_components(dag))
            baseline = time.perf_counter() - start  # measured like the stages it is compared with

    g = analysis.graph.g  # type: ignore[attr-defined]
    print(f"{g.number_of_nodes()} containers, {g.number_of_edges()} routes, {len(text.splitlines())} lines")
    print(f"  {'stage':<8} " + "  ".join(f"{label:>10}" for label in runs))
    for stage in ("parse", "analyse", "lint"):
        print(f"  {stage:<8} " + "  ".join(f"{times[stage]:>8.3f} s" for times in runs.values()))
    totals = [sum(times.values()) for times in runs.values()]
    print(f"  {'total':<8} " + "  ".join(f"{t:>8.3f} s" for t in totals) + "   (target < 5 s)")
    print(f"  lint / one networkx SCC pass ({baseline:.3f} s): {runs['flowc lint']['lint'] / baseline:.1f}x")


if __name__ == "__main__":
    main()
