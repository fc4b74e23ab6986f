"""What drives the result: tornado swings, rank-correlation drivers, and tail drivers.

The analysis functions take plain arrays (as SALib's do) and are tested against closed forms;
:func:`analyze` runs the simulations they need on common random numbers.

* Tornado: mean net savings with one uncertain input held at its P10, then at its P90, every
  other input drawing exactly the numbers it draws in the base run (streams are keyed by input
  name), so each swing measures that input alone, without sampling noise between the runs.
* Drivers: Spearman rank correlation of each input and each component with net savings, and
  the contribution to variance as Crystal Ball reports it: squared rank correlations
  normalised to 100%, signed by the correlation.
* Tail drivers: how the worst ``alpha`` share of trials differs from the whole run, per input
  and component, in standard deviations of that input (what the bad outcomes have in common).

Every row carries the input's plain ``label`` and ``unit`` (:mod:`simulator.scenario.labels`) beside
its parameter path, for charts, tables and messages.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from simulator import codes as C  # the kernels' family codes, beside local arrays named codes
from simulator.engine.run import DEFAULT_SEED, Backend, simulate, simulate_many
from simulator.scenario.compiled import CompiledModel, compile_scenario, controlled_risk, quote
from simulator.scenario.labels import component_label, label
from simulator.scenario.model import Scenario

MAX_DRIVER_TRIALS = 200_000
"""Rank correlations and tail shifts use at most this many trials (the first ones)."""


def rank_correlations(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman rank correlation of each row of ``x`` (k, n) with ``y`` (n,); 0 for a row
    that never varies.
    """
    ry = stats.rankdata(y)
    ry = (ry - ry.mean()) / ry.std()
    out = np.zeros(x.shape[0])
    for i, row in enumerate(x):
        if np.ptp(row) == 0:
            continue
        rx = stats.rankdata(row)
        out[i] = float(np.mean((rx - rx.mean()) / rx.std() * ry))
    return out


def contribution_to_variance(rho: np.ndarray) -> np.ndarray:
    """Crystal Ball's contribution to variance: rho^2 normalised to sum to 1, with rho's sign."""
    sq = rho ** 2
    total = sq.sum()
    return np.sign(rho) * sq / total if total > 0 else np.zeros_like(rho)


def tail_shift(x: np.ndarray, y: np.ndarray, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """For the trials with the lowest ``alpha`` share of ``y``: the mean of each row of ``x``
    (k, n) there, and its shift from the row's overall mean in standard deviations of the row
    (0 where the row never varies). Returns (tail means, standardised shifts).
    """
    k = max(1, int(alpha * y.size))
    worst = np.argpartition(y, k - 1)[:k]
    tail = x[:, worst].mean(axis=1)
    sd = x.std(axis=1)
    shift = np.divide(tail - x.mean(axis=1), sd, out=np.zeros(x.shape[0]), where=sd > 0)
    return tail, shift


@dataclass(frozen=True)
class Uncertain:
    """One uncertain input of a compiled model, and how to hold it fixed."""

    name: str  #: parameter path, e.g. 'workforce.offshore_cost_per_fte'
    kind: str  #: "input" (drawn once per trial), "severity" or "frequency" (of a risk)
    index: int  #: row in the model's inputs, or the risk's index
    p10: float
    p90: float

    def held(self, model: CompiledModel, value: float) -> CompiledModel:
        """A copy of ``model`` in which this input is the constant ``value``."""
        def const(codes: np.ndarray, params: np.ndarray, i: int) -> dict[str, np.ndarray]:
            codes, params = codes.copy(), params.copy()
            codes[i] = C.CONSTANT
            params[i] = 0.0
            params[i, 0] = value
            return {"codes": codes, "params": params}

        if self.kind == "input":
            c = const(model.input_codes, model.input_params, self.index)
            return dataclasses.replace(model, input_codes=c["codes"], input_params=c["params"])
        if self.kind == "severity":
            c = const(model.risk_sev_code, model.risk_sev_params, self.index)
            scale = model.risk_sev_scale.copy()
            scale[self.index] = 1.0  # the held value already includes the controls' factor
            size = model.risk_size_input.copy()
            size[self.index] = -1  # and any uncertain size: a held severity is one number
            return dataclasses.replace(model, risk_sev_code=c["codes"],
                                       risk_sev_params=c["params"], risk_sev_scale=scale,
                                       risk_size_input=size)
        c = const(model.risk_freq_code, model.risk_freq_params, self.index)
        rate = model.risk_rate_input.copy()
        rate[self.index] = -1  # a held count no longer depends on an uncertain rate
        return dataclasses.replace(model, risk_freq_code=c["codes"], risk_freq_params=c["params"],
                                   risk_rate_input=rate)


def uncertain_inputs(scenario: Scenario, model: CompiledModel) -> list[Uncertain]:
    """Every input that varies: levels drawn per trial, and each risk's frequency and
    severity, with their P10 and P90 from the closed forms.
    """
    out = []
    for j in model.random_inputs:
        d = model.input_dists[j]
        out.append(Uncertain(model.input_names[j], "input", int(j), float(d.quantile(0.1)),
                             float(d.quantile(0.9))))
    for r, risk in enumerate(scenario.risks):
        base = f"risks[{quote(risk.name)}]"
        frequency, scale, _ = controlled_risk(risk, scenario.controls)  # as controls leave it
        for kind, d, factor in (("frequency", frequency, 1.0), ("severity", risk.severity, scale)):
            lo, hi = float(d.quantile(0.1)) * factor, float(d.quantile(0.9)) * factor
            if lo != hi:
                out.append(Uncertain(f"{base}.{kind}", kind, r, lo, hi))
    return out


def _mean_net(r) -> float:
    return float(r.moment_shift + r.chunk_moments[:, 1].sum() / r.trials)


def tornado(scenario: Scenario, trials: int = 100_000, seed: int = DEFAULT_SEED,
            threads: int | None = None, backend: Backend | None = None,
            sampling: str = "mc") -> dict[str, Any]:
    """Mean net savings (currency, present value) with each uncertain input held at its P10
    and at its P90, on common random numbers; rows sorted by swing, largest first. With a
    ``backend`` (a Dask cluster) all 1 + 2 x inputs runs are submitted at once.
    """
    model = compile_scenario(scenario)
    inputs = uncertain_inputs(scenario, model)
    models = [model, *(u.held(model, value) for u in inputs for value in (u.p10, u.p90))]
    means = simulate_many([(scenario, m) for m in models], backend=backend, each=_mean_net,
                          trials=trials, seed=seed, threads=threads, store_trials=False,
                          sampling=sampling)
    base_mean = means[0]
    rows = []
    for k, u in enumerate(inputs):
        at_p10, at_p90 = means[1 + 2 * k], means[2 + 2 * k]
        lab = label(scenario, u.name)
        rows.append({"input": u.name, "label": lab.text, "unit": lab.unit, "p10": u.p10,
                     "p90": u.p90, "mean_at_p10": at_p10, "mean_at_p90": at_p90,
                     "swing": abs(at_p90 - at_p10)})
    rows.sort(key=lambda row: row["swing"], reverse=True)
    return {"base_mean": float(base_mean), "trials": trials, "seed": seed, "rows": rows}


def drivers(scenario: Scenario, trials: int = 100_000, seed: int = DEFAULT_SEED,
            threads: int | None = None, alpha: float = 0.05,
            backend: Backend | None = None, sampling: str = "mc") -> dict[str, Any]:
    """Rank correlations, contribution to variance and tail shifts of every varying input and
    component with net savings, from one run that keeps its per-trial inputs.
    """
    n = min(trials, MAX_DRIVER_TRIALS)
    r = simulate(scenario, trials=n, seed=seed, threads=threads, keep_inputs=True,
                 backend=backend, sampling=sampling, controls=False)
    inputs, net, components = r.inputs, r.net_savings, r.component_totals
    assert inputs is not None and net is not None and components is not None  # kept inputs
    model = r.model
    rows_x = [inputs[j] for j in model.random_inputs]
    names = [model.input_names[j] for j in model.random_inputs]
    kinds = ["input"] * len(names)
    for name, row in zip(model.component_names, components, strict=False):
        rows_x.append(row)
        names.append(name)
        kinds.append("component")
    x = np.array(rows_x) if rows_x else np.empty((0, n))
    rho = rank_correlations(x, net)
    share = contribution_to_variance(rho)
    tail_mean, shift = tail_shift(x, net, alpha)

    def words(name: str, kind: str) -> tuple[str, str]:
        if kind == "component":
            return component_label(scenario, name), "money"
        lab = label(scenario, name)
        return lab.text, lab.unit

    table = [{"name": nm, "kind": kd, "label": words(nm, kd)[0], "unit": words(nm, kd)[1],
              "rank_correlation": float(rh), "contribution_to_variance": float(sh),
              "mean": float(row.mean()), "tail_mean": float(tm), "tail_shift_sd": float(sf)}
             for nm, kd, rh, sh, row, tm, sf in zip(names, kinds, rho, share, x, tail_mean, shift,
                                                    strict=False)]
    return {"trials_used": n, "subsampled": n < trials, "alpha": alpha, "rows": table}


def analyze(scenario: Scenario, trials: int = 100_000, seed: int = DEFAULT_SEED,
            threads: int | None = None, backend: Backend | None = None,
            sampling: str = "mc") -> dict[str, Any]:
    """Tornado, drivers and tail drivers together: the content of ``sensitivity.json``.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    trials : int
        Trials per run; the tornado runs the scenario twice per input (P10 and P90).
    seed : int
        One seed for every run: common random numbers, so swings are free of sampling noise
        between the runs.
    threads : int, optional
        Worker threads (default: all cores); never changes the results.
    backend : Backend, optional
        A Dask cluster (:func:`simulator.engine.cluster.connect`); same results.
    sampling : str
        Design of the per-trial inputs: "mc", "lhs" or "sobol".

    Returns
    -------
    dict
        ``scenario``, ``currency``, ``horizon_years``, ``sampling``, ``tornado`` (rows sorted
        by swing of mean net savings, present value in the currency) and ``drivers`` (rank
        correlations and tail drivers of each input).
    """
    return {"scenario": scenario.name, "currency": scenario.scenario.currency,
            "horizon_years": scenario.scenario.horizon_years, "sampling": sampling,
            "tornado": tornado(scenario, trials, seed, threads, backend, sampling),
            "drivers": drivers(scenario, trials, seed, threads, backend=backend,
                               sampling=sampling)}
