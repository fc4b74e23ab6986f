"""What a run assumes unless told otherwise, shared by the engine, the Python API and the
command line. Plain values, kept apart from the engine so that the command line can declare
its options without loading numba (``kposim validate`` and ``schema`` never simulate).
"""
from __future__ import annotations

DEFAULT_SEED = 20_260_101
"""Seed used when none is given, so two runs of the same file agree by default."""
SAMPLING = ("mc", "lhs", "sobol")
"""Sampling designs of the per-trial inputs: plain Monte Carlo, Latin hypercube, scrambled
Sobol. Event counts and severities always use plain Monte Carlo."""
FIT_AMOUNT_FAMILIES = ("lognormal", "gamma", "normal", "pert", "triangular", "uniform", "beta")
"""Continuous families :mod:`simulator.analysis.fit` tries on amounts, in kposim's names."""
FIT_COUNT_FAMILIES = ("poisson", "negative_binomial", "bernoulli")
"""Count families :mod:`simulator.analysis.fit` tries on whole-number counts."""
FIT_BOOTSTRAP = 199
"""Bootstrap refits per p-value of a fit: resolution 1/200, Monte Carlo standard error about
0.015 at p = 0.05; enough to tell a rejected fit from an acceptable one."""
