"""Parameter sweeps and break-even search, on common random numbers.

Every run uses the same seed, so all grid points (and every step of the root finder) see the
same random draws for every input they share: differences between points come from the
parameter, not from sampling noise, and the statistic is a smooth function of the parameter
wherever the model is.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize

from .engine import DEFAULT_SEED, Backend, simulate, simulate_many
from .paths import PathError, get, with_value
from .scenario import Scenario

TARGETS = ("mean", "prob_loss")
Z95 = 1.959963984540054


@dataclass(frozen=True)
class Axis:
    """One swept parameter: ``path`` from ``start`` to ``stop`` in ``steps`` points."""

    path: str
    start: float
    stop: float
    steps: int

    @classmethod
    def parse(cls, text: str) -> "Axis":
        """``PATH=START:STOP:STEPS``, e.g. ``workforce.offshore_fte=18:26:5``."""
        path, sep, rng = text.rpartition("=")
        try:
            start, stop, steps = rng.split(":")
            axis = cls(path.strip(), float(start), float(stop), int(steps))
        except ValueError:
            raise PathError(f"--param {text!r}: expected PATH=START:STOP:STEPS, e.g. "
                            'risks["Data breach"].frequency.mean=0.01:0.1:10') from None
        if not sep or not axis.path or axis.steps < 2 or axis.steps > 1000:
            raise PathError(f"--param {text!r}: expected PATH=START:STOP:STEPS with 2 to 1000 "
                            "steps")
        if not (math.isfinite(axis.start) and math.isfinite(axis.stop)):
            raise PathError(f"--param {text!r}: START and STOP must be finite numbers")
        return axis

    @property
    def values(self) -> np.ndarray:
        return np.linspace(self.start, self.stop, self.steps)


def headline(result) -> dict[str, float]:
    """Headline statistics of one run: mean and P(net loss) with standard errors, P5, P95."""
    ns = result.summary()["net_savings"]
    return {k: ns[k] for k in ("mean", "stderr", "prob_loss", "prob_loss_stderr", "p5", "p95")}


def point(scenario: Scenario, trials: int, seed: int, threads: int | None,
          backend: Backend | None = None, sampling: str = "mc") -> dict[str, float]:
    """:func:`headline` statistics of one streamed run of ``scenario``."""
    return headline(simulate(scenario, trials=trials, seed=seed, threads=threads,
                             store_trials=False, backend=backend, sampling=sampling))


def sweep(scenario: Scenario, axes: list[Axis], trials: int = 100_000, seed: int = DEFAULT_SEED,
          threads: int | None = None, backend: Backend | None = None,
          sampling: str = "mc") -> dict[str, Any]:
    """Run a 1-D or 2-D grid; rows hold each point's parameter values and statistics. With a
    ``backend`` (a Dask cluster) every grid point's tasks are submitted at once."""
    if not 1 <= len(axes) <= 2:
        raise ValueError("a sweep takes one or two parameters")
    for axis in axes:
        get(scenario, axis.path)  # fail before the first run if the path names nothing
    grid = list(itertools.product(*(axis.values for axis in axes)))
    variants = []
    for values in grid:
        s = scenario
        for axis, v in zip(axes, values):
            s = with_value(s, axis.path, float(v))
        variants.append((s, None))
    stats = simulate_many(variants, backend=backend, each=headline, trials=trials, seed=seed,
                          threads=threads, store_trials=False, sampling=sampling)
    rows = [{**{axis.path: float(v) for axis, v in zip(axes, values)}, **point_stats}
            for values, point_stats in zip(grid, stats)]
    return {"scenario": scenario.name, "currency": scenario.scenario.currency,
            "horizon_years": scenario.scenario.horizon_years, "trials": trials, "seed": seed,
            "parameters": [axis.path for axis in axes], "rows": rows}


def breakeven(scenario: Scenario, path: str, target: str, value: float,
              bracket: tuple[float, float] | None = None, trials: int = 100_000,
              seed: int = DEFAULT_SEED, threads: int | None = None,
              backend: Backend | None = None, sampling: str = "mc") -> dict[str, Any]:
    """The value of the parameter at ``path`` at which ``target`` (mean net savings, currency,
    or prob_loss) equals ``value``, by Brent's method on common random numbers.

    ``bracket`` (lo, hi) must enclose the answer; by default it is searched for outward from
    the parameter's current value. The uncertainty is the Monte Carlo standard error of the
    statistic at the answer divided by the slope there (delta method), as a 95% interval.
    """
    if target not in TARGETS:
        raise ValueError(f"target must be one of {', '.join(TARGETS)} (got {target!r})")
    cache: dict[float, dict[str, float]] = {}

    def stats_at(v: float) -> dict[str, float]:
        if v not in cache:
            cache[v] = point(with_value(scenario, path, v), trials, seed, threads, backend,
                             sampling)
        return cache[v]

    def f(v: float) -> float:
        return stats_at(v)[target] - value

    lo, hi = bracket if bracket is not None else _find_bracket(scenario, path, f)
    flo, fhi = f(lo), f(hi)
    if flo * fhi > 0:
        raise ValueError(f"{target} = {value:g} is not reached between {path} = {lo:g} "
                         f"({target} {flo + value:.6g}) and {hi:g} ({target} {fhi + value:.6g});"
                         " give a --bracket that encloses it")
    root = optimize.brentq(f, lo, hi, xtol=1e-9 * max(abs(lo), abs(hi), 1.0), rtol=1e-10)
    at = stats_at(root)
    h = 1e-3 * (hi - lo)
    slope = (f(root + h) - f(root - h)) / (2 * h)
    se = at["stderr"] if target == "mean" else at["prob_loss_stderr"]
    half = Z95 * se / abs(slope) if slope else math.inf
    return {"scenario": scenario.name, "parameter": path, "target": target, "value": value,
            "breakeven": root, "ci95": [root - half, root + half], "slope": slope,
            "statistic_at_breakeven": at, "trials": trials, "seed": seed,
            "evaluations": len(cache)}


def _find_bracket(scenario: Scenario, path: str, f) -> tuple[float, float]:
    current = get(scenario, path)
    if isinstance(current, dict):
        current = current.get("value", current.get("mean"))
    if not isinstance(current, int | float) or current == 0:
        raise ValueError(f"{path} has no single current value to search from; give a --bracket")
    lo, hi = current / 2, current * 2
    lo, hi = min(lo, hi), max(lo, hi)
    for _ in range(6):
        try:
            if f(lo) * f(hi) <= 0:
                return lo, hi
        except PathError:
            break
        lo, hi = lo / 2 if lo > 0 else lo * 2, hi * 2 if hi > 0 else hi / 2
    raise ValueError(f"no break-even found for {path} between {lo:g} and {hi:g}; give a --bracket")
