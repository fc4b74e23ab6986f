"""Precomputed figures that every chart is drawn from.

Charts never see per-trial arrays: :func:`simulator.stats.chart_data` reduces a result to this
small container (histograms and quantile grids), so drawing costs the same for a thousand trials
or a billion.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class ChartData:
    """Everything the standard chart set needs, as plain numbers and small arrays.

    All money figures are present values over the scenario horizon, in ``currency`` units.
    """

    scenario_name: str
    currency: str  #: ISO code such as "USD"
    horizon_years: int
    trials: int
    # Net savings distribution.
    hist_edges: np.ndarray  #: shape (B+1,), bin edges of net savings
    hist_counts: np.ndarray  #: shape (B,), trials per bin (int64)
    mean: float
    p5: float
    p50: float
    p95: float
    prob_loss: float  #: share of trials with net savings < 0
    cvar_5: float  #: mean net savings over the worst 5% of trials
    quantile_levels: np.ndarray  #: shape (Q,), increasing levels in [0, 1]
    quantile_values: np.ndarray  #: shape (Q,), net savings at those levels
    # Expected-value bridge from gross wage savings to net savings.
    gross_mean: float  #: mean gross wage savings
    category_costs: dict[str, float] = field(default_factory=dict)
    """Mean cost per category (positive = money lost), in display order."""
    # Loss exceedance of the risk events: label -> (thresholds, P(total loss > threshold)).
    exceedance: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    # Convergence of the mean: (trials so far, running mean, 95% half-width), per chunk.
    convergence: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    # Risk tolerance curve: (loss, largest acceptable P(total risk loss > loss)) points.
    tolerance: list[tuple[float, float]] = field(default_factory=list)
