"""The shape of the generated program: the speed-ups of `compiler/codegen/` are there, and only where sound.

Results are checked elsewhere (every engine against the reference, on the examples and on random
topologies); these tests pin down that the fast forms are the ones generated, so that a change
which silently falls back to the slow ones fails here instead of only in a benchmark.
"""

from __future__ import annotations

from pathlib import Path

from flowc.compiler.codegen import generate
from flowc.runtime.manager import prepare

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def program(path: Path, hoist: bool = True):
    return generate(prepare(path, hoist=hoist).plan)


def test_the_hoisted_prefix_is_one_loop_per_symbol_with_features_in_locals_and_counters_in_registers():
    g = program(EXAMPLES / "simple_backtest.flow")
    names = {b.name for b in g.buffers}
    assert not any(n.startswith(("out_n1", "pres_n1")) for n in names)  # features only the strategy reads
    assert {"out_n2_strategy", "pres_n2_strategy"} <= names  # signals: the step loop and the ledger read them
    prefix = g.source.split("def prefix_0(")[1].split("def program(")[0]
    assert "def prefix_1(" not in g.source  # one group: features and strategy
    assert prefix.count("for step in range(tb, te):") == 1  # one loop over the tile's steps
    assert prefix.count("sma_step(") == 2 and "sma_nb(" not in prefix


def test_each_tile_runs_its_prefix_then_its_step_loop_reading_the_rows_of_the_tile():
    g = program(EXAMPLES / "simple_backtest.flow")
    tile = g.source.split("for tb in range(0, T, tile):")[1]
    assert tile.index("prefix_0(tb, te, ob, ") < tile.index("while t0 < te:")
    assert "d = out_n2_strategy[t - ob, s, 0]" in tile
    assert "out_n2_strategy[t - ob, s, 0] = " in g.source.split("def prefix_0(")[1]
    assert all(b.prefix for b in g.buffers if b.name in ("out_n2_strategy", "pres_n2_strategy"))


def test_a_large_prefix_is_cut_into_functions_of_whole_chains_whose_features_stay_in_locals(tmp_path):
    """Compile time grows faster than a function's size: eight chains of a feature container and
    its strategy (three settings each) make four functions of two chains each."""
    lines = ["containers grid {", "    backtest: backtest {", "        data: data { source = synthetic(bars = 50) }"]
    for i in range(8):
        lines.append(f"        f{i}: feature {{ a = sma(close, {10 + i}); b = sma(close, {30 + i}) }}")
        lines.append(f"        s{i}: strategy {{ signal = crossover(a, b) }}")
    lines += ["        risk: risk { size = fixed(100); combine = mean }",
              "        execution: execution { fill = next_open() }", "        portfolio: portfolio { cash = 1000 }",
              "    }", "}", "communication votes {", *(f"    pipeline data -> f{i} -> s{i} -> risk" for i in range(8)),
              "    pipeline risk -> execution -> portfolio", "    broadcast data -> execution, portfolio : BAR", "}",
              "workflow grid { containers = grid; communication = votes }"]
    path = tmp_path / "grid.flow"
    path.write_text("\n".join(lines) + "\n")
    g = program(path)
    assert "def prefix_3(" in g.source and "def prefix_4(" not in g.source
    assert not any(b.name.startswith("out_") and "_f" in b.name for b in g.buffers)  # features in locals


def test_risk_execution_and_portfolio_share_one_loop_over_the_symbols():
    g = program(EXAMPLES / "simple_backtest.flow")
    step = g.source.split("for step in range(t0, t1):")[1]
    assert step.count("for s in range(S):") == 1  # the equity's loops are `mark_to_market_nb`'s; the exposure counts
    assert not any(b.name.startswith(("ordq_", "ordp_", "fq_", "fpres_")) for b in g.buffers)  # locals
    assert "grow_nb" not in step  # tables grow between chunks of steps, never inside one


def test_two_risk_containers_keep_a_loop_each_so_that_orders_stay_in_their_order(tmp_path):
    text = (EXAMPLES / "simple_backtest.flow").read_text()
    hedge = "        hedge: risk { size = fixed(50) }\n"
    text = text.replace("        execution: execution {", hedge + "        execution: execution {")
    text = text.replace("feedback portfolio -> risk : PORTFOLIO",
                        "feedback portfolio -> risk : PORTFOLIO\n    pipeline strategy -> hedge -> execution")
    path = tmp_path / "two.flow"
    path.write_text(text)
    g = program(path)
    assert len(g.risks) == 2
    assert "one loop over the symbols" not in g.source
    assert {"ordq_n3_risk", "ordq_n4_hedge"} <= {b.name for b in g.buffers}


def test_without_hoisting_every_component_runs_in_its_row_form():
    g = program(EXAMPLES / "simple_backtest.flow", hoist=False)
    assert "_step(" not in g.source and "sma_nb(" in g.source


def test_the_module_opens_with_a_legend_of_its_names_and_a_table_of_parameter_slots():
    g = program(EXAMPLES / "full_backtest.flow")
    doc = g.source.split('"""')[1]
    assert "book_ direction_ quantity_" in doc and "pend_" in doc and "fb_" in doc
    assert "p[0]   fast: features.fast_ma" in doc
    assert "(literal): portfolio cash" in doc


def test_no_dead_branches_and_no_fill_slot_that_is_never_set():
    g = program(EXAMPLES / "simple_backtest.flow")  # next_open fills, no exits: an order never fills at once
    assert "if True:" not in g.source
    assert "fpres_n4_execution_0" in g.source and "fpres_n4_execution_1" not in g.source


def test_the_money_arithmetic_is_named_kernels_and_the_risk_state_has_the_semantics_names():
    from flowc.compiler.codegen.program import MONEY_KERNELS
    from flowc.runtime.kernels import money

    assert all(callable(getattr(money, name, None)) for name in MONEY_KERNELS)
    g = program(EXAMPLES / "full_backtest.flow")
    step = g.source.split("def program(")[1]
    for name in ("size_percent_equity_nb(", "max_drawdown_nb(", "slipped_nb(", "commission_percent_nb(",
                 "apply_fill_nb(", "mark_to_market_nb(", "drawdown_nb("):
        assert name in step
    assert {"book_n5_risk", "direction_n5_risk", "quantity_n5_risk"} <= {b.name for b in g.buffers}
    assert not any(b.name.startswith(("rk_", "rkx_")) for b in g.buffers)  # no columns 0..3 of one array
