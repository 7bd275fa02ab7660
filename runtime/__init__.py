"""The runtime of flowc: kernels, data, the executor, results, the workflow manager and the CLI.

Kept light on purpose: importing this package loads neither numba nor pandas,
so `flowc lint` and `flowc fmt` start fast.
"""
