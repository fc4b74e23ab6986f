"""Value of a pilot: run the deal on trial for a while, count its incidents, update the
uncertain rates, then decide (preposterior analysis).

For each trial of a run, with its drawn rates Lambda_r (every risk whose poisson rate is
uncertain, scaled by the controls' frequency factors), the pilot's counts are
K_r ~ Poisson(Lambda_r T) for a pilot of T years, drawn by inversion from a stream keyed by
``pilot.<rate path>`` (so the counts depend only on the seed and the trial, as every input
does). The pilot sees the same rates as the deal would, and given them its counts are
independent of the deal's events. After the pilot the work is outsourced iff
E[net savings | K] > 0, so::

    value of the pilot = E_K[max(E[net | K], 0)] - max(E[net], 0) - cost of the pilot

E[net | K = k] is estimated by the mean net savings of the trials whose pilot saw exactly k
(exact for counts, no smoothing); outcomes seen in fewer than :data:`MIN_GROUP` trials are
pooled into one group, which can only understate the value (it ignores what those rare
outcomes would teach). The Monte Carlo standard error comes from a bootstrap over trials with
a fixed seed. Money is present value in the scenario's currency, the pilot's cost included.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats as sps

from simulator import codes as C
from simulator.analysis.voi import BOOTSTRAP, BOOTSTRAP_SEED, Estimate, _as_options, _weights, evpi
from simulator.engine.run import CHUNK_SIZE, DEFAULT_SEED, Backend, simulate
from simulator.engine.sampling import uniforms
from simulator.scenario.compiled import stream_key
from simulator.scenario.model import Scenario

MIN_GROUP = 30  #: pilot outcomes seen in fewer trials are pooled into one group


def pilot_counts(rates: np.ndarray, years: float, seed: int, keys: np.ndarray) -> np.ndarray:
    """(R, n) pilot incident counts, K_r ~ Poisson(rates[r] * years) per trial, by inversion
    of uniforms from the streams ``keys`` (R,) chunk by chunk (as the engine draws: the same
    seed gives the same counts whatever the threads).

    rates : (R, n) each trial's events per year; years : length of the pilot.
    """
    rates = np.asarray(rates, dtype=np.float64)
    out = np.empty(rates.shape, dtype=np.int64)
    n = rates.shape[1]
    u = np.empty(n)
    for r in range(rates.shape[0]):
        for c in range(-(-n // CHUNK_SIZE)):
            lo, hi = c * CHUNK_SIZE, min(n, (c + 1) * CHUNK_SIZE)
            uniforms(seed, c, int(keys[r]), u[lo:hi])
        k = sps.poisson.ppf(u, rates[r] * years)
        out[r] = np.maximum(np.nan_to_num(k, nan=0.0), 0).astype(np.int64)
    return out


def outcome_groups(counts: np.ndarray, min_group: int = MIN_GROUP) -> np.ndarray:
    """(n,) group of each trial: one per distinct count vector (column of ``counts`` (R, n)),
    the outcomes seen in fewer than ``min_group`` trials pooled into one group.
    """
    _, inverse, size = np.unique(counts.T, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    rare = size[inverse] < min_group
    labels = inverse.copy()
    labels[rare] = size.size  # one pooled group
    return np.unique(labels, return_inverse=True)[1].reshape(-1)


def _preposterior(groups: np.ndarray, v: np.ndarray, w: np.ndarray) -> float:
    """E[max_a E[v_a | group]] - max_a E[v_a] under trial weights w (summing to 1)."""
    m = groups.max() + 1
    mass = np.bincount(groups, weights=w, minlength=m)
    safe = np.where(mass > 0, mass, 1.0)
    g = np.vstack([np.bincount(groups, weights=w * row, minlength=m) / safe for row in v])
    return float(mass @ g.max(axis=0) - (v @ w).max())


def value_of_observation(groups: np.ndarray, values: np.ndarray, replicates: int = BOOTSTRAP,
                         seed: int = BOOTSTRAP_SEED) -> Estimate:
    """Expected value of seeing which group a trial falls in before deciding.

    groups : (n,) int, what is observed in each trial (e.g. :func:`outcome_groups`).
    values : (A, n) each option's value (currency, present value), or (n,) one option
        against an alternative worth 0.
    Returns E[max_a E[v_a | group]] - max_a E[v_a] with a bootstrap standard error.
    """
    v = _as_options(values)
    groups = np.asarray(groups, dtype=np.int64)
    n = groups.size
    point = _preposterior(groups, v, np.full(n, 1.0 / n))
    if replicates < 2:
        return Estimate(max(point, 0.0), float("nan"))
    reps = np.array([_preposterior(groups, v, w) for w in _weights(n, replicates, seed)])
    return Estimate(max(point, 0.0), float(reps.std(ddof=1)))


def analyze(scenario: Scenario, trials: int = 100_000, seed: int = DEFAULT_SEED,
            threads: int | None = None, backend: Backend | None = None,
            replicates: int = BOOTSTRAP) -> dict[str, Any]:
    """The value of the scenario's ``[pilot]`` against deciding now (outsource iff mean net
    savings > 0), with its standard error, the chance the pilot changes the decision, and,
    for the perfect-information bound, the EVPI. Money: present value, currency.
    """
    if scenario.pilot is None:
        raise ValueError("the scenario has no [pilot] table")
    result = simulate(scenario, trials=trials, seed=seed, threads=threads, keep_inputs=True,
                      store_trials=True, backend=backend, controls=False)
    inputs, net = result.inputs, result.net_savings
    assert inputs is not None and net is not None  # kept: keep_inputs and store_trials
    model = result.model
    observed, skipped, rows, factors = [], [], [], []
    for r, name in enumerate(model.risk_names):
        j = int(model.risk_rate_input[r])
        if j < 0:
            continue
        if int(model.risk_rate_family[r]) != C.RATE_POISSON:
            skipped.append(name)
            continue
        observed.append(name)
        rows.append(j)
        factors.append(float(model.risk_rate_factor[r]))
    paths = [model.input_names[j] for j in rows]
    rates = inputs[rows] * np.asarray(factors)[:, None]
    keys = np.array([stream_key(f"pilot.{p}") for p in paths], dtype=np.uint32)
    years = scenario.pilot.years
    counts = pilot_counts(rates, years, seed, keys)
    groups = outcome_groups(counts)
    gross = value_of_observation(groups, net, replicates)
    cost = scenario.pilot.cost
    mean = float(net.mean())
    # The decision after each outcome, and how often it differs from deciding now.
    m = groups.max() + 1
    size = np.bincount(groups, minlength=m)
    after = np.bincount(groups, weights=net, minlength=m) / np.maximum(size, 1) > 0
    changes = float(np.mean(after[groups] != (mean > 0)))
    table = []
    if len(observed) == 1:
        for k in np.unique(counts[0]):
            sel = counts[0] == k
            if sel.sum() >= MIN_GROUP:
                table.append({"events": int(k), "probability": float(sel.mean()),
                              "mean_net_savings": float(net[sel].mean()),
                              "decision": "outsource" if net[sel].mean() > 0 else "keep"})
    info = scenario.scenario
    return {"scenario": scenario.name, "currency": info.currency,
            "horizon_years": info.horizon_years, "trials": trials, "seed": seed,
            "pilot_years": years, "pilot_cost": cost, "observed_risks": observed,
            "not_observed": skipped, "mean_net_savings": mean,
            "decision_now": "outsource" if mean > 0 else "keep in-house",
            "value_before_cost": gross.to_dict(),
            "value": {"value": gross.value - cost, "stderr": gross.stderr},
            "worth_it": gross.value - cost > 0,
            "prob_decision_changes": changes,
            "evpi": evpi(net, replicates).to_dict(), "outcomes": table,
            "method": (f"E[net | pilot counts] by the mean of the trials with the same counts "
                       f"(outcomes seen in fewer than {MIN_GROUP} trials pooled); standard "
                       f"error from {replicates} bootstrap replicates (seed {BOOTSTRAP_SEED})")}
