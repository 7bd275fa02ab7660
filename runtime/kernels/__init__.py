"""Numba kernels of the standard components: one bar of one symbol per call.

The code generator calls `<component>_nb(state, *bar_fields, *args)` from its
step loop; `features` holds the feature kernels and `signals` the classifier and
strategy kernels, each with its `KERNELS`, `STATE_SIZE` and `WARMUP` tables.
Importing this package loads nothing: import the submodules for numba.
"""
