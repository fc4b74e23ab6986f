"""What a simulation returns: every trial's figures plus where they came from."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from .compiled import CompiledModel

if TYPE_CHECKING:
    from .chartdata import ChartData
    from .scenario import Scenario
    from .streaming import StreamSummary


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kposim")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


@dataclass(frozen=True)
class SimulationResult:
    """Per-trial results of one run. Money is present value over the horizon, in the
    scenario's currency; component figures are costs (positive = money lost)."""

    scenario: "Scenario"
    model: CompiledModel
    trials: int  #: trials run (fewer than asked when a precision target stopped the run)
    seed: int
    net_savings: np.ndarray | None  #: (trials,) gross wage savings minus every cost and loss
    gross_wage_savings: np.ndarray | None  #: (trials,) wage savings net of ramp-up double pay
    component_totals: np.ndarray | None  #: (C + R, trials) cost lines then risks
    inputs: np.ndarray | None  #: (I, trials) drawn inputs, if kept (``model.input_names``)
    chunk_size: int
    bit_generator: str
    stream: "StreamSummary | None" = None  #: streamed statistics when trials were not kept
    chunk_moments: np.ndarray | None = None  #: (chunks, 3) n, sum, sum of squares of net - shift
    moment_shift: float = 0.0
    precision: dict[str, Any] | None = None  #: the precision target and what was reached
    controls: dict[str, Any] | None = None  #: each control's return, if evaluated
    sampling: str = "mc"  #: design of the per-trial inputs: "mc", "lhs" or "sobol"
    #: (chunks, 2 + 2H) per chunk, scenarios that can end early: exits, sum of the
    #: engagement's years, sum of each year's share run, trials running at each year's end
    engagement_sums: np.ndarray | None = None
    created: str = field(default_factory=lambda: datetime.now(timezone.utc)
                         .isoformat(timespec="seconds"))

    @property
    def stored(self) -> bool:
        """Whether every trial is kept (exact statistics) rather than streamed."""
        return self.net_savings is not None

    @property
    def components(self) -> dict[str, np.ndarray]:
        """Component name -> (trials,) cost per trial (only when trials are kept)."""
        self._require_trials()
        return dict(zip(self.model.component_names, self.component_totals))

    @property
    def risk_losses(self) -> np.ndarray:
        """(trials,) total loss from all risk events per trial (only when trials are kept)."""
        self._require_trials()
        rows = self.model.risk_total_rows
        if rows.size and np.array_equal(rows, np.arange(rows[0], rows[0] + rows.size)):
            return self.component_totals[rows[0]:rows[0] + rows.size].sum(axis=0)
        if not rows.size:
            return np.zeros(self.trials)
        return self.component_totals[rows].sum(axis=0)

    def _require_trials(self) -> None:
        if not self.stored:
            raise ValueError("this run streamed its statistics and kept no trials; run with "
                             "store_trials=True for per-trial arrays")

    def provenance(self) -> dict[str, Any]:
        """How to reproduce this run: version, scenario hash, seed, chunking, generator."""
        import numba

        return {
            "version": _version(),
            "scenario_sha256": self.scenario.sha256,
            "seed": self.seed,
            "chunk_size": self.chunk_size,
            "bit_generator": self.bit_generator,
            "sampling": self.sampling,
            "created": self.created,
            "statistics": "exact" if self.stored else "streaming",
            "numpy": np.__version__,
            "numba": numba.__version__,
        }

    @cached_property
    def statistics(self) -> Any:
        """Where :meth:`summary` and :meth:`chart_data` read their figures from (kept, so
        the trials are sorted once for both; see :mod:`simulator.stats`)."""
        from .stats import statistics_source

        return statistics_source(self)

    def summary(self) -> dict[str, Any]:
        """The figures written to ``summary.json`` (see :func:`simulator.stats.summarize`)."""
        from .stats import summarize

        return summarize(self)

    def chart_data(self) -> "ChartData":
        """Precomputed figures for the standard charts."""
        from .stats import chart_data

        return chart_data(self)


def batch_means(moments: np.ndarray, shift: float) -> tuple[float, float, float]:
    """Mean of net savings, its standard error and 95% half-width from the spread of chunk
    means (batch means), for designs whose trials are not independent within a chunk (Latin
    hypercube, Sobol) but whose chunks are independent replicates. ``moments``: (k, 3) per
    chunk n, sum and sum of squares of (x - shift); needs k >= 2. The half-width uses
    Student's t with k - 1 degrees of freedom."""
    from scipy.special import stdtrit

    n = moments[:, 0]
    k = n.size
    if k < 2:
        raise ValueError("batch means need at least two chunks")
    total = n.sum()
    means = moments[:, 1] / n
    mean = float(np.dot(n, means) / total)
    w = n / total
    stderr = math.sqrt(k / (k - 1) * float(np.dot(w * w, (means - mean) ** 2)))
    return shift + mean, stderr, float(stdtrit(k - 1, 0.975)) * stderr


def running_batch_half_widths(moments: np.ndarray) -> np.ndarray:
    """:func:`batch_means`' 95% half-width after each of the k chunks, shape (k,) (nan after
    the first), in one pass of running sums rather than k calls (a 1B-trial run has 15,000
    chunks). Chunk means are taken relative to the overall mean, so the sums keep their
    precision."""
    from scipy.special import stdtrit

    n = moments[:, 0]
    means = moments[:, 1] / n
    d = means - np.dot(n, means) / n.sum()
    total = np.cumsum(n)
    mean_k = np.cumsum(n * d) / total
    n2 = n * n
    ssq = (np.cumsum(n2 * d * d) - 2 * mean_k * np.cumsum(n2 * d)
           + mean_k * mean_k * np.cumsum(n2)) / (total * total)
    k = np.arange(1, n.size + 1, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        stderr = np.sqrt(k / (k - 1) * np.maximum(ssq, 0.0))
        half = stdtrit(k - 1, 0.975) * stderr
    half[0] = np.nan
    return half
