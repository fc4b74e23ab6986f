"""Value of information: what is worth finding out before deciding.

The decision is between options whose value in each trial is known: "outsource" is worth the
trial's net savings and "keep in-house" is worth 0 (net savings are already relative to
keeping the work), or several outsourcing options compared on common random numbers. With
``values`` an (A, n) array of A options' present values in n trials:

* EVPI, the expected value of perfect information, is what knowing everything before deciding
  would add: ``mean_i(max_a values[a, i]) - max_a mean_i(values[a, i])``.
* EVPPI of an input X (partial perfect information: knowing X only) is
  ``E_X[max_a g_a(X)] - max_a E[g_a(X)]`` with ``g_a(x) = E[values[a] | X = x]``. g_a is
  estimated from the same trials, without nested simulation, by a one-dimensional regression
  of each option's value on X (Strong, Oakley and Brennan 2014, with a single input the GAM is
  one-dimensional): the trials are cut into quantile bins of X, and a penalised cubic
  regression spline (a P-spline, as a GAM's smooth term) with its penalty chosen by
  generalised cross-validation is fitted through the bins' means, weighted by their counts. An
  input with few distinct values (a discrete prior) is not smoothed: g is its exact group
  means.

Standard errors come from a bootstrap over trials with a fixed seed (the bins are kept, the
trials reweighted), so the same arrays give the same figures. All money is present value in
the scenario's currency. The core functions take plain arrays (as SALib's do); :func:`analyze`
applies them to a run of a scenario.
"""
from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.engine.run import DEFAULT_SEED, Backend, simulate
from simulator.scenario.model import Scenario

BINS = 200  #: quantile bins of an input for the regression
BOOTSTRAP = 200  #: bootstrap replicates of each standard error
BOOTSTRAP_SEED = 20_260_117  #: seed of the bootstrap weights (fixed: same data, same errors)
MAX_GROUPS = 64  #: an input with at most this many distinct values is grouped, not smoothed
SEGMENTS = 20  #: equal segments of the regression spline's cubic B-spline basis
LAMBDAS = 10.0 ** np.arange(-6, 7)  #: penalties tried by generalised cross-validation


@dataclass(frozen=True)
class Estimate:
    """A value of information, currency (present value), with its Monte Carlo standard error."""

    value: float
    stderr: float

    def to_dict(self) -> dict[str, float]:
        """``{"value", "stderr"}``, for JSON."""
        return {"value": self.value, "stderr": self.stderr}


def _as_options(values: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    if v.ndim == 1:  # one option against keeping the work (worth 0)
        v = np.vstack([v, np.zeros_like(v)])
    if v.ndim != 2 or v.shape[0] < 2 or v.shape[1] < 2:
        raise ValueError("values must be (options, trials) with at least 2 options and trials, "
                         "or one option's (trials,) against 0")
    return v


def _weights(n: int, replicates: int, seed: int) -> Iterator[np.ndarray]:
    """``replicates`` bootstrap resamples of n trials, each as (n,) trial weights summing to
    1 (how often each trial is drawn, over n), one at a time.
    """
    rng = np.random.Generator(np.random.SFC64(seed))
    for _ in range(replicates):
        yield np.bincount(rng.integers(0, n, n), minlength=n) / n


def evpi(values: np.ndarray, replicates: int = BOOTSTRAP,
         seed: int = BOOTSTRAP_SEED) -> Estimate:
    """Expected value of perfect information.

    values : (A, n) each option's value per trial (currency, present value), or (n,) one
        option's value against an alternative worth 0.
    Returns EVPI = mean(max over options) - max over options of the mean, with the bootstrap
    standard error of that difference.
    """
    v = _as_options(values)
    best = v.max(axis=0)
    point = float(best.mean() - v.mean(axis=1).max())
    if replicates < 2:
        return Estimate(point, float("nan"))
    reps = np.array([w @ best - (v @ w).max() for w in _weights(v.shape[1], replicates, seed)])
    return Estimate(max(point, 0.0), float(reps.std(ddof=1)))


def _smooth(centers: np.ndarray, means: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """A penalised cubic regression spline (a P-spline: B-spline basis on equal segments, second
    differences of the coefficients penalised, Eilers and Marx 1996) through binned means
    weighted by their counts, its penalty chosen by generalised cross-validation over a grid;
    evaluated at the bin centres. A straight line is not penalised, so a linear relation is
    fitted exactly and the weighted mean is kept.
    """
    from scipy.interpolate import BSpline

    keep = counts > 0
    x, y, w = centers[keep], means[keep], counts[keep]
    out = np.zeros_like(centers)
    if x.size <= SEGMENTS + 3 or x[-1] <= x[0]:
        out[keep] = y
        return out
    lo, hi = x.min(), x.max()
    u = (x - lo) / (hi - lo)
    step = 1.0 / SEGMENTS
    knots = np.arange(-3, SEGMENTS + 4) * step
    basis = BSpline.design_matrix(np.clip(u, 0.0, 1.0), knots, 3).toarray()
    m = basis.shape[1]
    diff = np.diff(np.eye(m), n=2, axis=0)
    penalty = diff.T @ diff
    xtw = basis.T * (w / w.mean())
    gram, rhs = xtw @ basis, xtw @ y
    best: tuple[float, np.ndarray] | None = None
    for lam in LAMBDAS:
        a = gram + lam * penalty
        coef = np.linalg.solve(a, rhs)
        fit = basis @ coef
        edf = float(np.trace(np.linalg.solve(a, gram)))
        rss = float((w / w.mean()) @ (y - fit) ** 2)
        gcv = x.size * rss / max(x.size - edf, 1e-9) ** 2
        if best is None or gcv < best[0]:
            best = (gcv, fit)
    assert best is not None  # LAMBDAS is not empty
    out[keep] = best[1]
    return out


@dataclass(frozen=True)
class _Bins:
    """Trials of one input grouped for the regression: bin of each trial and how g is fitted."""

    index: np.ndarray  #: (n,) bin of each trial
    size: int
    smooth: bool  #: spline through the bins (False: exact group means of a discrete input)

    @classmethod
    def of(cls, x: np.ndarray, bins: int) -> _Bins:
        values, inverse = np.unique(x, return_inverse=True)
        if values.size <= MAX_GROUPS:
            return cls(inverse.astype(np.int64), values.size, False)
        order = np.argsort(x, kind="stable")
        index = np.empty(x.size, dtype=np.int64)
        index[order] = np.arange(x.size) * bins // x.size  # equal-count bins
        return cls(index, bins, True)

    def fitted(self, x: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
        """(A, n) estimated g_a at each trial's x, from trial weights ``w`` (n,)."""
        counts = np.bincount(self.index, weights=w, minlength=self.size)
        safe = np.where(counts > 0, counts, 1.0)
        out = np.empty_like(v)
        centers = np.bincount(self.index, weights=w * x, minlength=self.size) / safe
        for a in range(v.shape[0]):
            means = np.bincount(self.index, weights=w * v[a], minlength=self.size) / safe
            g = _smooth(centers, means, counts) if self.smooth else means
            out[a] = g[self.index]
        return out


def _partial(g: np.ndarray, w: np.ndarray) -> float:
    """E[max_a g_a] - max_a E[g_a] under trial weights w (summing to 1)."""
    return float(w @ g.max(axis=0) - (g @ w).max())


def evppi(x: np.ndarray, values: np.ndarray, bins: int = BINS, replicates: int = BOOTSTRAP,
          seed: int = BOOTSTRAP_SEED) -> Estimate:
    """Expected value of partial perfect information about one input.

    x : (n,) the input's value in each trial.
    values : (A, n) each option's value per trial (currency, present value), or (n,) one
        option's value against an alternative worth 0.
    bins : quantile bins for the smoothing regression of a continuous input.
    Returns E[max_a g_a(X)] - max_a E[g_a(X)], g_a(x) the regression of option a's value on x,
    with a bootstrap standard error (fixed ``seed``).
    """
    v = _as_options(values)
    x = np.asarray(x, dtype=np.float64)
    if x.shape != (v.shape[1],):
        raise ValueError(f"x must have one value per trial ({v.shape[1]}), got {x.shape}")
    n = x.size
    grouping = _Bins.of(x, min(bins, max(2, n // 20)))
    ones = np.full(n, 1.0 / n)
    point = max(_partial(grouping.fitted(x, v, ones), ones), 0.0)
    if replicates < 2:
        return Estimate(point, float("nan"))
    reps = np.array([_partial(grouping.fitted(x, v, w), w)
                     for w in _weights(n, replicates, seed)])
    return Estimate(point, float(reps.std(ddof=1)))


def voi_table(inputs: np.ndarray, names: Sequence[str], values: np.ndarray,
              bins: int = BINS, replicates: int = BOOTSTRAP,
              seed: int = BOOTSTRAP_SEED) -> dict[str, Any]:
    """EVPI and the EVPPI of every input.

    inputs : (I, n) per-trial inputs; names : (I,) their parameter paths.
    values : (A, n) or (n,) as in :func:`evpi`.
    Returns ``{"evpi": {...}, "inputs": [{"input", "value", "stderr"}, ...]}``, inputs sorted
    by EVPPI, largest first. Inputs that do not vary are left out.
    """
    rows: list[dict[str, Any]] = []
    out = {"evpi": evpi(values, replicates, seed).to_dict(), "inputs": rows}
    for name, x in zip(names, np.asarray(inputs), strict=False):
        if np.ptp(x) == 0:
            continue
        e = evppi(x, values, bins, replicates, seed)
        rows.append({"input": name, **e.to_dict()})
    rows.sort(key=lambda r: r["value"], reverse=True)
    return out


def _kept(trials: np.ndarray | None) -> np.ndarray:
    """A run's per-trial array, kept because the run asked for it (store_trials, keep_inputs)."""
    assert trials is not None, "the run keeps its trials and inputs"
    return trials


def analyze(scenarios: Sequence[Scenario], names: Sequence[str] | None = None,
            trials: int = 100_000, seed: int = DEFAULT_SEED, threads: int | None = None,
            backend: Backend | None = None, bins: int = BINS,
            replicates: int = BOOTSTRAP) -> dict[str, Any]:
    """Value of information of the decision between keeping the work in-house (worth 0) and
    outsourcing as in each scenario (worth its net savings), on common random numbers.

    Every scenario is run with the same seed, keeping its inputs; an input's values are taken
    from the first scenario that has it (an input with the same path draws the same uniforms in
    every scenario, so knowing it in one is knowing it in all). Money: present value.
    """
    if not scenarios:
        raise ValueError("give at least one scenario")
    names = list(names) if names is not None else [s.name for s in scenarios]
    runs = [simulate(s, trials=trials, seed=seed, threads=threads, keep_inputs=True,
                     store_trials=True, backend=backend, controls=False) for s in scenarios]
    values = np.vstack([_kept(r.net_savings) for r in runs] + [np.zeros(trials)])
    rows: dict[str, np.ndarray] = {}
    for r in runs:
        for j in r.model.random_inputs:
            rows.setdefault(r.model.input_names[j], _kept(r.inputs)[j])
    table = voi_table(np.array(list(rows.values())).reshape(len(rows), trials), list(rows),
                      values, bins, replicates)
    from simulator.scenario.labels import label

    owner: dict[str, Scenario] = {}  # each input's first scenario: its label comes from there
    for s, r in zip(scenarios, runs, strict=False):
        for j in r.model.random_inputs:
            owner.setdefault(r.model.input_names[j], s)
    for row in table["inputs"]:
        lab = label(owner[row["input"]], row["input"])
        row["label"], row["unit"] = lab.text, lab.unit
    means = values.mean(axis=1)
    options = [*names, "Keep in-house"]
    s0 = scenarios[0].scenario
    return {"scenario": scenarios[0].name, "currency": s0.currency,
            "horizon_years": s0.horizon_years, "trials": trials, "seed": seed,
            "options": [{"name": o, "mean": float(m)}
                        for o, m in zip(options, means, strict=False)],
            "decision_now": options[int(np.argmax(means))],
            "method": (f"regression of each option's value on one input at a time: penalised "
                       f"cubic regression spline (P-spline, GCV) through {bins} quantile-bin "
                       f"means, exact group means for inputs with at most {MAX_GROUPS} values; "
                       f"standard errors from {replicates} bootstrap replicates "
                       f"(seed {BOOTSTRAP_SEED})"),
            **table}


def expected_max_normal(mu: float, sigma: float) -> float:
    """E[max(Y, 0)] for Y ~ normal(mu, sigma): sigma phi(mu/sigma) + mu Phi(mu/sigma), the
    closed form the estimators are tested against (currency).
    """
    if sigma == 0:
        return max(mu, 0.0)
    z = mu / sigma
    return sigma * math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi) + \
        mu * 0.5 * math.erfc(-z / math.sqrt(2))
