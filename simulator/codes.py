"""The plain-array contract between a compiled scenario and the numba kernels: distribution
codes and their parameter layout, count families, exit timings and recovery layers.

Kept apart from :mod:`simulator.engine.kernels` so that validating and compiling a scenario does not
import numba (a third of ``kposim validate``'s start-up); the kernels import these names.
"""
from __future__ import annotations

# Distribution codes. Parameters live in a row of 8 float64 values, laid out per code as noted;
# ``data`` is one flat float64 array holding tables referred to by offset.
CONSTANT = 0  # p0 = value
UNIFORM = 1  # p0 = min, p1 = max - min
TRIANGULAR = 2  # p0 = min, p1 = mode, p2 = max, p3 = (mode - min) / (max - min)
NORMAL = 3  # x = p0 + p4 * p1 * Phi^-1(p2 + u * p3); p2, p3 truncate; p4 = +-1 (tail flip)
LOGNORMAL = 4  # x = exp(p0 + p1 * Phi^-1(u))
TABLE = 5  # tabulated quantile: p0 = offset in data, p1 = cells N, p2 = tail knots T,
#           p3 = end cells M handled by the tail knots
BERNOULLI = 6  # p0 = probability of 1
DISCRETE = 7  # finite inversion with a guide table (Chen and Asau 1974): p0 = offset, p1 = K
#              outcomes, p2 = G guide cells, p3 = 1 if values are stored (else value = index);
#              data[off:off+K] cdf (last = inf), then K values if stored, then G guide indices

N_PARAMS = 8

# Counts whose rate varies from trial to trial (an uncertain rate, drawn once per trial).
RATE_POISSON = 0
RATE_BERNOULLI = 1
RATE_NEGBIN = 2

# Model 0.2 (docs/model.md, "The deal as it unfolds"): when an exit ends the engagement in its
# year, and whether a recovery layer applies to each event's loss or to the year's.
TIMING_END = 0
TIMING_START = 1
TIMING_UNIFORM = 2
RECOVER_EVENT = 0
RECOVER_YEAR = 1
