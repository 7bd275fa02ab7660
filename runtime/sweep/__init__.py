"""Sweeps at scale: every point of a workflow's grid, on one executor interface, stored as it finishes.

One module per job:

- `grid`: the points of the `sweep` statements and their stable keys;
- `job`: what a worker needs to rebuild a prepared workflow by itself, and its per-process cache;
- `task`: one point run through Python and turned into a row of metrics, never raising;
- `batch`: a chunk of points as one jitted call (a driver generated per program), rows identical
  to `task`'s;
- `executor`, `inline`, `pool`, `cluster`: the executors (in-process, local process pool, Dask);
- `store`: the resumable store of finished points in the output directory;
- `runner`: runs the points on an executor, storing each chunk, telling a `Progress` how far it is;
- `windows`, `walk_forward`: rolling train and test windows (the warm-up before each comes from
  `flowc.compiler.warmup`).

What a sweep shows and writes (tables, heat map, progress bar) is `flowc.tools.sweeps`.
Nothing here is imported by `flowc.runtime` itself: `flowc run` reaches it only for a workflow
with `sweep` or `walk_forward` statements.
"""
