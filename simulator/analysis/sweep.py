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

from simulator.engine.run import DEFAULT_SEED, Backend, simulate, simulate_many
from simulator.results.mcerror import Z95
from simulator.scenario.labels import label
from simulator.scenario.model import Scenario
from simulator.scenario.paths import PathError
from simulator.scenario.variants import get, with_value

TARGETS = ("mean", "prob_loss")


@dataclass(frozen=True)
class Axis:
    """One swept parameter: ``path`` from ``start`` to ``stop`` in ``steps`` points."""

    path: str
    start: float
    stop: float
    steps: int

    @classmethod
    def parse(cls, text: str) -> Axis:
        """``PATH=START:STOP:STEPS``, e.g. ``workforce.offshore_fte=18:26:5``."""
        path, sep, span = text.rpartition("=")
        try:
            start, stop, steps = span.split(":")
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
        """The swept values: ``steps`` evenly spaced from ``start`` to ``stop``."""
        return np.linspace(self.start, self.stop, self.steps)


def headline(result) -> dict[str, float]:
    """Headline statistics of one run: mean with its standard error and 95% interval (the
    interval of ``summary.json``: batch means for Latin hypercube and Sobol designs), P(net
    loss) with its standard error, P5, P95.
    """
    ns = result.summary()["net_savings"]
    out = {k: ns[k] for k in ("mean", "stderr", "prob_loss", "prob_loss_stderr", "p5", "p95")}
    out["ci95_low"], out["ci95_high"] = ns["ci95"]
    return out


def point(scenario: Scenario, trials: int, seed: int, threads: int | None,
          backend: Backend | None = None, sampling: str = "mc") -> dict[str, float]:
    """:func:`headline` statistics of one streamed run of ``scenario``."""
    return headline(simulate(scenario, trials=trials, seed=seed, threads=threads,
                             store_trials=False, backend=backend, sampling=sampling))


def sweep(scenario: Scenario, axes: list[Axis], trials: int = 100_000, seed: int = DEFAULT_SEED,
          threads: int | None = None, backend: Backend | None = None,
          sampling: str = "mc") -> dict[str, Any]:
    """Run a 1-D or 2-D grid; rows hold each point's parameter values and statistics.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    axes : list of Axis
        One or two parameters, each a path and its grid (``Axis.parse("PATH=START:STOP:STEPS")``).
    trials : int
        Trials per grid point.
    seed : int
        One seed for every point (common random numbers: neighbouring points differ by the
        parameter, not by sampling noise).
    threads : int, optional
        Worker threads (default: all cores); never changes the results.
    backend : Backend, optional
        A Dask cluster; every grid point's tasks are submitted at once. Same results.
    sampling : str
        Design of the per-trial inputs: "mc", "lhs" or "sobol".

    Returns
    -------
    dict
        The content of ``sweep.json``: the axes and one row per grid point with its parameter
        values and statistics (mean net savings and its error, P(loss), percentiles; money in
        the scenario's currency, present value).
    """
    if not 1 <= len(axes) <= 2:
        raise ValueError("a sweep takes one or two parameters")
    for axis in axes:
        get(scenario, axis.path)  # fail before the first run if the path names nothing
    grid = list(itertools.product(*(axis.values for axis in axes)))
    variants = []
    for values in grid:
        s = scenario
        for axis, v in zip(axes, values, strict=False):
            s = with_value(s, axis.path, float(v))
        variants.append((s, None))
    stats = simulate_many(variants, backend=backend, each=headline, trials=trials, seed=seed,
                          threads=threads, store_trials=False, sampling=sampling)
    rows = [{**{axis.path: float(v) for axis, v in zip(axes, values, strict=False)}, **point_stats}
            for values, point_stats in zip(grid, stats, strict=False)]
    return {"scenario": scenario.name, "currency": scenario.scenario.currency,
            "horizon_years": scenario.scenario.horizon_years, "trials": trials, "seed": seed,
            "parameters": [axis.path for axis in axes],
            "labels": {axis.path: label(scenario, axis.path).text for axis in axes},
            "units": {axis.path: label(scenario, axis.path).unit for axis in axes},
            "sampling": sampling, "rows": rows}


CURVE_POINTS = 9
"""Evenly spaced evaluations across the bracket that :func:`breakeven` adds for its chart."""


def breakeven(scenario: Scenario, path: str, target: str, value: float,
              bracket: tuple[float, float] | None = None, trials: int = 100_000,
              seed: int = DEFAULT_SEED, threads: int | None = None,
              backend: Backend | None = None, sampling: str = "mc",
              curve_points: int = 0) -> dict[str, Any]:
    """The value of the parameter at ``path`` at which ``target`` (mean net savings, currency,
    or prob_loss) equals ``value``, by Brent's method on common random numbers.

    ``bracket`` (lo, hi) must enclose the answer; by default it is searched for outward from
    the parameter's current value, or, for an input that is a distribution, from its P1 to
    its P99. The uncertainty is the half-width of the statistic's 95% Monte Carlo interval at
    the answer (the one ``summary.json`` gives) divided by the slope there (delta method).

    ``curve_points`` adds that many evenly spaced evaluations across the bracket, so the
    result's ``curve`` (every evaluation, sorted by parameter value) can be drawn as the
    statistic against the parameter. The result also names the parameter in words
    (``label``) and its ``unit``.
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

    searched = bracket is None
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
    if target == "mean":
        stat_half = (at["ci95_high"] - at["ci95_low"]) / 2
    else:
        stat_half = Z95 * at["prob_loss_stderr"]
    half = stat_half / abs(slope) if slope else math.inf
    evaluations = len(cache)
    for v in np.linspace(lo, hi, curve_points) if curve_points > 1 else ():
        try:
            stats_at(float(v))
        except PathError:  # a value the format refuses: leave the point out of the chart
            continue
    lab = label(scenario, path)
    return {"scenario": scenario.name, "currency": scenario.scenario.currency,
            "horizon_years": scenario.scenario.horizon_years, "parameter": path,
            "label": lab.text, "unit": lab.unit, "target": target, "value": value,
            "breakeven": root, "ci95": [root - half, root + half], "slope": slope,
            "statistic_at_breakeven": at, "bracket": [lo, hi], "bracket_searched": searched,
            "trials": trials, "seed": seed, "sampling": sampling, "evaluations": evaluations,
            "curve": [{"value": v, **stats} for v, stats in sorted(cache.items())]}


def suggested_bracket(scenario: Scenario, path: str) -> tuple[float, float] | None:
    """The P1 to P99 of the input at ``path`` when it is a distribution (where a break-even
    search of that input starts), else None.
    """
    from simulator.scenario.model import parse_distribution as parse

    current = get(scenario, path)
    if not isinstance(current, dict) or current.get("dist") in (None, "constant"):
        return None
    try:
        lo, hi = (float(q) for q in parse(current).quantile([0.01, 0.99]))
    except (ValueError, TypeError, KeyError):
        return None
    return (lo, hi) if math.isfinite(lo) and math.isfinite(hi) and hi > lo else None


def _find_bracket(scenario: Scenario, path: str, f) -> tuple[float, float]:
    """Values of the parameter on either side of the answer: from the current value (halved
    and doubled, six times), or from the input's P1 and P99 when it is a distribution
    (widened by half the range at each end, six times).
    """
    current = get(scenario, path)
    spread = suggested_bracket(scenario, path)
    if spread is not None:
        lo, hi = spread
        p1, p99 = spread
        for _ in range(6):
            try:
                if f(lo) * f(hi) <= 0:
                    return lo, hi
            except PathError:
                break
            width = hi - lo
            lo, hi = (lo - width / 2 if lo - width / 2 > 0 or p1 <= 0 else lo / 2), hi + width / 2
        raise ValueError(f"no break-even found for {path} between {lo:g} and {hi:g} (searched "
                         f"outward from its P1 {p1:g} and P99 {p99:g}); give a --bracket "
                         f"LO:HI that encloses it")
    if isinstance(current, dict):
        current = current.get("value", current.get("mean"))
    if not isinstance(current, int | float) or current == 0:
        raise ValueError(f"{path} has no single current value to search from; give a --bracket "
                         "LO:HI that encloses the answer")
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
