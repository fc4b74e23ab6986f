"""The reference scenario written by hand in plain vectorised numpy: the benchmarks' baseline.

This is what a competent analyst would write without kposim: chunked arrays, numpy
``Generator`` methods (its own samplers, not inverse-CDF), severities summed per trial with
``np.bincount``. It implements exactly the model of ``benchmarks/reference.toml`` (one year, so
no discounting or growth), and keeps every trial for the statistics.
"""
from __future__ import annotations

import numpy as np

CHUNK = 1_000_000


def _compound(rng: np.random.Generator, counts: np.ndarray, draw) -> np.ndarray:
    """Per-trial sum of ``counts[i]`` severities drawn by ``draw(size)``."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(counts.size)
    owner = np.repeat(np.arange(counts.size), counts)
    return np.bincount(owner, weights=draw(total), minlength=counts.size)


def simulate_reference(trials: int, seed: int) -> np.ndarray:
    """Net savings per trial of the reference scenario, shape (trials,), USD."""
    rng = np.random.Generator(np.random.SFC64(seed))
    net = np.empty(trials)
    # PERT(200k, 500k, 2M) as a scaled beta.
    lo, mode, hi = 200_000.0, 500_000.0, 2_000_000.0
    a = 1 + 4 * (mode - lo) / (hi - lo)
    b = 1 + 4 * (hi - mode) / (hi - lo)
    for start in range(0, trials, CHUNK):
        n = min(CHUNK, trials - start)
        onshore = 20 * rng.normal(120_000.0, 8_000.0, n)
        offshore = 24 * 40_000.0
        communication = rng.beta(2.0, 18.0, n) * onshore
        breach = _compound(rng, rng.poisson(0.3, n),
                           lambda k: rng.lognormal(11.5, 1.2, k))
        quality = _compound(rng, rng.poisson(3.0, n),
                            lambda k: rng.triangular(5_000.0, 20_000.0, 80_000.0, k))
        major = _compound(rng, (rng.random(n) < 0.02).astype(np.int64),
                          lambda k: lo + (hi - lo) * rng.beta(a, b, k))
        net[start:start + n] = onshore - offshore - communication - breach - quality - major
    return net


def simulate_light(trials: int, seed: int) -> np.ndarray:
    """Net savings per trial of ``benchmarks/light.toml``: minus the losses of Poisson(0.3)
    events a year, each lognormal(11.5, 1.2), over 3 years (no discounting), shape
    (trials,), USD."""
    rng = np.random.Generator(np.random.SFC64(seed))
    net = np.empty(trials)
    for start in range(0, trials, CHUNK):
        n = min(CHUNK, trials - start)
        counts = rng.poisson(0.3, n) + rng.poisson(0.3, n) + rng.poisson(0.3, n)
        net[start:start + n] = -_compound(rng, counts, lambda k: rng.lognormal(11.5, 1.2, k))
    return net


def statistics(net: np.ndarray) -> dict[str, float]:
    """The headline statistics kposim reports, computed on stored trials."""
    p = np.percentile(net, (5, 10, 25, 50, 75, 90, 95))
    k = int(0.05 * net.size)
    worst = np.partition(net, k)[:k]
    return {"mean": float(net.mean()), "std": float(net.std(ddof=1)), "p5": float(p[0]),
            "p50": float(p[3]), "p95": float(p[6]), "prob_loss": float(np.mean(net < 0)),
            "cvar_5": float(worst.mean())}
