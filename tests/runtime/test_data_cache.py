"""The cache of checked bars: a CSV read once is not parsed again, and nothing stale or unchecked comes out of it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from flowc.dsl.diagnostics import FlowError
from flowc.runtime import data
from flowc.runtime.data import load_source

HEADER = "timestamp,open,high,low,close,volume\n"
GOOD = HEADER + "2020-01-01,10,11,9,10.5,100\n2020-01-02,10.5,12,10,11,200\n"


@pytest.fixture
def reads(monkeypatch, tmp_path) -> list[Path]:
    """A fresh cache; the files pandas parses, in order."""
    monkeypatch.setenv("FLOWC_CACHE_DIR", str(tmp_path / "cache"))
    parsed: list[Path] = []
    read_csv = data._read_csv

    def counting(path, shown, span, *mapping):
        parsed.append(path)
        return read_csv(path, shown, span, *mapping)

    monkeypatch.setattr(data, "_read_csv", counting)
    return parsed


def load(tmp_path: Path, text: str) -> data.SymbolBars:
    (tmp_path / "bars.csv").write_text(text)
    return load_source("csv", {"path": "bars.csv"}, base_dir=tmp_path)[0]


def entries(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache" / "data").glob("*.npz"))


def same(a: data.SymbolBars, b: data.SymbolBars) -> bool:
    return all(np.array_equal(getattr(a, f), getattr(b, f)) and getattr(a, f).dtype == getattr(b, f).dtype
               for f in ("timestamps", *data.FIELDS))


def test_a_file_read_once_comes_from_the_cache_with_the_same_arrays(tmp_path, reads):
    first = load(tmp_path, GOOD)
    again = load(tmp_path, GOOD)
    assert len(reads) == 1 and len(entries(tmp_path)) == 1
    assert same(first, again) and again.symbol == "BARS"


def test_a_changed_file_is_read_again_even_with_the_same_size(tmp_path, reads):
    load(tmp_path, GOOD)
    changed = load(tmp_path, GOOD.replace("10.5,100", "10.7,100"))
    assert len(reads) == 2 and changed.close[0] == 10.7
    assert len(entries(tmp_path)) == 1  # the file's entry is replaced, not joined by another


def test_a_file_with_problems_is_never_cached_and_keeps_its_diagnostic(tmp_path, reads):
    load(tmp_path, GOOD)
    for _ in range(2):
        with pytest.raises(FlowError) as failed:
            load(tmp_path, GOOD + "2020-01-03,11,11.5,10.5,-1,0\n")
        (problem,) = failed.value.diagnostics
        assert problem.code == "FL605" and "line 4, column `close`" in problem.message
    assert len(reads) == 3


def test_an_unreadable_entry_is_read_over(tmp_path, reads):
    load(tmp_path, GOOD)
    (entry,) = entries(tmp_path)
    entry.write_bytes(b"not a zip file")
    assert load(tmp_path, GOOD).close[1] == 11.0
    assert load(tmp_path, GOOD).close[1] == 11.0
    assert len(reads) == 2
