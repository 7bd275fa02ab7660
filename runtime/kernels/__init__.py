"""Numba kernels of the standard components: one bar of one symbol per call.

The code generator calls `<component>_nb(state, *bar_fields, *args)` from its
step loop; `features` holds the feature kernels, `signals` the classifier and
strategy kernels and `ops` the expression operators. Their contracts (state
size, warm-up) live in `flowc.compiler.components`.
"""
