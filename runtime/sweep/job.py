"""A sweep's job: the few strings a worker needs to rebuild the prepared workflow by itself, and its cache.

A `Prepared` holds numpy arrays and a compiled module, which should not travel to a worker with
every point. A `Job` is a file path, a workflow name, the `--set` overrides and the `--data`,
`--start` and `--end` options; each worker process prepares it once (parse, plan, load the
data, import the compiled program from the on-disk cache) and keeps it in a module-level cache
for every later chunk of the same job.
The client puts its own `Prepared` into the cache first, so the inline executor and forked
pool workers never prepare anything.

The job carries a fingerprint of the sources and the data the client saw. A worker that
prepares the same path but finds other files (another machine of a Dask cluster, an edited
file) fails its points with a message instead of returning results of a different workflow.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from flowc.runtime.manager import Prepared, prepare


@dataclass(frozen=True)
class Job:
    path: str  # absolute, so that a worker started elsewhere finds the same file
    workflow: str | None
    overrides: tuple[str, ...]
    hoist: bool = True
    engine: str = "compiled"
    fingerprint: str = ""
    data: tuple[tuple[str, str], ...] = ()  # `--data SYMBOL=PATH`, absolute paths
    start: str | None = None  # `--start` and `--end`, as given
    end: str | None = None
    points: int = 0  # how many points the sweep runs (`batch.batched` weighs them against a compile)

    @property
    def key(self) -> tuple:
        return (self.path, self.workflow, self.overrides, self.hoist, self.fingerprint, self.data, self.start,
                self.end)


def fingerprint(prepared: Prepared, overrides: tuple[str, ...]) -> str:
    """A digest of everything a point's result depends on besides its values: sources, data, overrides."""
    digest = hashlib.sha256()
    digest.update(prepared.analysis.name.encode())
    for override in overrides:
        digest.update(b"\0set " + override.encode())
    files = {str(Path(path).absolute()) if Path(path).is_file() else path: source.text  # shown relative to the cwd
             for path, source in prepared.analysis.sources.sources.items()}
    for path, text in sorted(files.items()):
        digest.update(b"\0file " + path.encode() + b"\0" + text.encode())
    if prepared.trade_from:  # the same bars may be cut for another --start, when the warm-up reaches back to bar 0
        digest.update(b"\0from " + str(prepared.trade_from).encode())
    market = prepared.market
    digest.update("\0".join(market.symbols).encode())
    for array in (market.timestamps, market.open, market.high, market.low, market.close, market.volume,
                  market.present):
        digest.update(array.tobytes())
    return digest.hexdigest()[:32]


def make_job(prepared: Prepared, path: str | Path, workflow: str | None, overrides: tuple[str, ...] | list[str], *,
             hoist: bool = True, engine: str = "compiled", data: Mapping[str, str | Path] | None = None,
             start: str | None = None, end: str | None = None) -> Job:
    """The job of a workflow prepared with these options; it is remembered, so this process never prepares it again.

    `data`, `start` and `end` are those given to `prepare`: a worker that prepares the job
    itself (a Dask worker, a spawned process) must load the same bars.
    """
    overrides = tuple(overrides)
    files = tuple((symbol, str(Path(file).expanduser().absolute())) for symbol, file in (data or {}).items())
    job = Job(str(Path(path).resolve()), workflow, overrides, hoist, engine, fingerprint(prepared, overrides), files,
              start, end)
    remember(job, prepared)
    return job


@dataclass
class Loaded:
    """A prepared job in one process, with what every point of it shares."""

    prepared: Prepared
    periods_per_year: float | None
    windows: dict[tuple[int, int], Prepared] = field(default_factory=dict)

    def window(self, start: int, stop: int) -> Prepared:
        """The workflow over the steps `[start, stop)` only (same program, sliced data and replayed signals); cached."""
        if (start, stop) == (0, self.prepared.market.n_steps):
            return self.prepared
        found = self.windows.get((start, stop))
        if found is None:
            from flowc.runtime.manager import slice_market

            self.compiled()
            found = replace(self.prepared, market=slice_market(self.prepared.market, start, stop),
                            replays=[(present[start:stop], values[start:stop])
                                     for present, values in self.prepared.replays])
            if len(self.windows) > 256:
                self.windows.clear()
            self.windows[(start, stop)] = found
        return found

    def compiled(self) -> None:
        """Compile the program (or load it from the cache) once, so that windows share it."""
        if self.prepared.program is None:
            from flowc.dsl.diagnostics import FlowError
            from flowc.runtime.manager import run_prepared

            try:
                run_prepared(self.prepared)
            except FlowError:
                if self.prepared.program is None:
                    raise
                # compiled; what this run of the defaults reported (FL611) is each point's to report


_CACHE: dict[tuple, Loaded] = {}


def remember(job: Job, prepared: Prepared) -> Loaded:
    loaded = Loaded(prepared, _periods(prepared))
    _CACHE[job.key] = loaded
    return loaded


def load(job: Job) -> Loaded:
    """The job prepared in this process: from the cache, or prepared now (once per process)."""
    loaded = _CACHE.get(job.key)
    if loaded is None:
        prepared = prepare(job.path, job.workflow, job.overrides, hoist=job.hoist, data=dict(job.data),
                           start=job.start, end=job.end)
        found = fingerprint(prepared, job.overrides)
        if job.fingerprint and found != job.fingerprint:
            raise RuntimeError(f"this worker sees other sources or data for {job.path} than the client "
                               "(an edited file, or a worker on another machine without the same files)")
        if len(_CACHE) >= 8:
            _CACHE.clear()
        loaded = remember(job, prepared)
    return loaded


def _periods(prepared: Prepared) -> float | None:
    """Periods per year, inferred once for every point (None when there are too few steps to tell).

    From the steps a point trades (from `--start`), not the warm-up before them: a single run
    infers them from its result's steps, and the rows must equal single runs.
    """
    if prepared.analysis.periods_per_year is not None:
        return prepared.analysis.periods_per_year
    from flowc.runtime.metrics import periods_per_year

    timestamps = prepared.market.timestamps[prepared.trade_from:]
    return periods_per_year(timestamps) if len(timestamps) >= 2 else None
