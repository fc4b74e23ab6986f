"""Precomputed figures that every chart is drawn from.

Charts never see per-trial arrays: :func:`simulator.results.stats.chart_data` reduces a result to
this
small container (histograms and quantile grids), so drawing costs the same for a thousand trials
or a billion.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

_ARRAYS = ("hist_edges", "hist_counts", "quantile_levels", "quantile_values")
_SCALARS = ("scenario_name", "currency", "horizon_years", "trials", "mean", "p5", "p50", "p95",
            "prob_loss", "cvar_5", "gross_mean")


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

    def save(self, path: Path) -> None:
        """Write to ``path`` as a compressed ``.npz`` (plain arrays and one JSON string, no
        pickles), so a report can be redrawn later without re-running the simulation.
        """
        meta = {k: getattr(self, k) for k in _SCALARS}
        meta.update(category_costs=self.category_costs, exceedance=list(self.exceedance),
                    tolerance=[list(p) for p in self.tolerance],
                    convergence=self.convergence is not None)
        arrays = {k: np.asarray(getattr(self, k)) for k in _ARRAYS}
        for i, (t, p) in enumerate(self.exceedance.values()):
            arrays[f"exceedance_{i}_t"], arrays[f"exceedance_{i}_p"] = t, p
        if self.convergence is not None:
            for name, a in zip(("n", "mean", "half"), self.convergence, strict=True):
                arrays[f"convergence_{name}"] = a
        with open(path, "wb") as f:
            # numpy's stub types the allow_pickle keyword, which **arrays could fill in theory
            np.savez_compressed(f, meta=np.array(json.dumps(meta)), **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: Path) -> ChartData:
        """Read what :meth:`save` wrote."""
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            exceedance = {label: (z[f"exceedance_{i}_t"], z[f"exceedance_{i}_p"])
                          for i, label in enumerate(meta["exceedance"])}
            convergence = (tuple(z[f"convergence_{k}"] for k in ("n", "mean", "half"))
                           if meta["convergence"] else None)
            return cls(**{k: meta[k] for k in _SCALARS}, **{k: z[k] for k in _ARRAYS},
                       category_costs=meta["category_costs"], exceedance=exceedance,
                       convergence=convergence, tolerance=[tuple(p) for p in meta["tolerance"]])
