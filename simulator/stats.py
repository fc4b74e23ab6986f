"""Statistics of simulated trials.

The core functions take plain numpy arrays (as SALib's analysis functions do), so they are easy
to test against closed forms; :func:`summarize` and :func:`chart_data` apply them to a
:class:`~simulator.result.SimulationResult`.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .chartdata import ChartData

if TYPE_CHECKING:
    from .result import SimulationResult

PERCENTILES = (5, 10, 25, 50, 75, 90, 95)
CATEGORY_ORDER = ("transition", "governance", "communication", "quality", "breach",
                  "attrition", "exit", "other")


def expected_shortfall(x: np.ndarray, alpha: float = 0.05) -> float:
    """Mean of the worst (lowest) ``alpha`` share of ``x``.

    With n values the lowest ``alpha * n`` order statistics are averaged, the boundary one with
    its fractional weight, so the estimate is continuous in alpha (Acerbi and Tasche 2002).
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.size
    if not 0.0 < alpha <= 1.0:
        raise ValueError("alpha must be in (0, 1]")
    m = alpha * n
    k = int(math.floor(m))
    if k >= n:
        return float(x.mean())
    low = np.partition(x, k)[: k + 1]  # the k + 1 smallest; low[k] is the (k+1)-th order stat
    boundary = low[k]
    total = float(np.sort(low[:k]).sum()) + (m - k) * float(boundary)
    return total / m


def prob_below(x: np.ndarray, threshold: float = 0.0) -> float:
    """Share of values strictly below ``threshold`` (for net savings: P(net loss))."""
    return float(np.count_nonzero(np.asarray(x) < threshold)) / np.asarray(x).size


def describe(x: np.ndarray) -> dict[str, float]:
    """Headline statistics of net savings: mean, std, stderr (of the mean), percentiles
    p5..p95, min, max, prob_loss (P(x < 0)) with its stderr, and cvar_5."""
    x = np.asarray(x, dtype=np.float64)
    n = x.size
    mean = float(x.mean())
    std = float(x.std(ddof=1)) if n > 1 else 0.0
    stderr = std / math.sqrt(n)
    pcts = np.percentile(x, PERCENTILES)
    p_loss = prob_below(x, 0.0)
    out = {"mean": mean, "std": std, "stderr": stderr}
    out.update({f"p{p}": float(v) for p, v in zip(PERCENTILES, pcts)})
    out.update({
        "min": float(x.min()),
        "max": float(x.max()),
        "prob_loss": p_loss,
        "prob_loss_stderr": math.sqrt(p_loss * (1 - p_loss) / n),
        "cvar_5": expected_shortfall(x, 0.05),
        "ci95": [mean - 1.959963984540054 * stderr, mean + 1.959963984540054 * stderr],
    })
    return out


def mean_and_band(x: np.ndarray) -> dict[str, float]:
    """Mean with stderr, and the 5th and 95th percentiles."""
    x = np.asarray(x, dtype=np.float64)
    p5, p95 = np.percentile(x, (5, 95))
    stderr = float(x.std(ddof=1)) / math.sqrt(x.size) if x.size > 1 else 0.0
    return {"mean": float(x.mean()), "stderr": stderr, "p5": float(p5), "p95": float(p95)}


def exceedance_curve(losses: np.ndarray, points: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Loss exceedance: thresholds (log-spaced over the positive losses) and P(loss > t)."""
    losses = np.sort(np.asarray(losses, dtype=np.float64))
    positive = losses[losses > 0]
    if positive.size == 0:
        return np.empty(0), np.empty(0)
    lo, hi = positive[0], positive[-1]
    if hi <= lo:
        thresholds = np.array([lo * 0.999, lo])
    else:
        thresholds = np.geomspace(lo, hi, points)
    above = losses.size - np.searchsorted(losses, thresholds, side="right")
    return thresholds, above / losses.size


def category_means(result: "SimulationResult") -> dict[str, float]:
    """Mean cost per category (positive = money lost), in :data:`CATEGORY_ORDER`."""
    means: dict[str, float] = {}
    for cat, row in zip(result.model.component_categories, result.component_totals):
        means[cat] = means.get(cat, 0.0) + float(row.mean())
    return {c: means[c] for c in CATEGORY_ORDER if c in means}


def summarize(result: "SimulationResult") -> dict[str, Any]:
    """The dictionary written to ``summary.json``. Money: present value over the horizon."""
    info = result.scenario.scenario
    components = {}
    for name, cat, row in zip(result.model.component_names, result.model.component_categories,
                              result.component_totals):
        components[name] = {"category": cat, **mean_and_band(row)}
    return {
        "scenario": info.name,
        "currency": info.currency,
        "trials": result.trials,
        "seed": result.seed,
        "horizon_years": info.horizon_years,
        "discount_rate": info.discount_rate,
        "cash_flow_timing": info.cash_flow_timing,
        "net_savings": describe(result.net_savings),
        "gross_wage_savings": mean_and_band(result.gross_wage_savings),
        "components": components,
        "categories": category_means(result),
        "provenance": result.provenance(),
    }


def chart_data(result: "SimulationResult", bins: int = 120, quantiles: int = 1001) -> ChartData:
    """Reduce a result to the small :class:`ChartData` every chart is drawn from."""
    info = result.scenario.scenario
    x = result.net_savings
    levels = np.linspace(0.0, 1.0, quantiles)
    qv = np.quantile(x, levels)
    # Bin the central 99.8% so one extreme trial cannot flatten the histogram.
    lo, hi = np.quantile(x, (0.001, 0.999))
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    counts, edges = np.histogram(x, bins=bins, range=(lo, hi))
    d = describe(x)
    exceedance = {}
    if len(result.model.risk_names):
        exceedance["All risk events"] = exceedance_curve(result.risk_losses)
        n_costs = len(result.model.cost_names)
        for name, row in zip(result.model.risk_names, result.component_totals[n_costs:]):
            exceedance[name] = exceedance_curve(row)
    return ChartData(
        scenario_name=info.name, currency=info.currency, horizon_years=info.horizon_years,
        trials=result.trials, hist_edges=edges, hist_counts=counts.astype(np.int64),
        mean=d["mean"], p5=d["p5"], p50=d["p50"], p95=d["p95"], prob_loss=d["prob_loss"],
        cvar_5=d["cvar_5"], quantile_levels=levels, quantile_values=qv,
        gross_mean=float(result.gross_wage_savings.mean()),
        category_costs=category_means(result), exceedance=exceedance)
