"""What a run drew: every trial's figures (or their streamed summary) plus where they came
from. The statistics computed from it are :mod:`simulator.results.stats`'; the object users get
back, with ``summary()`` and ``chart_data()``, is :class:`simulator.results.result.SimulationResult`."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np

from simulator.scenario.compiled import CompiledModel

if TYPE_CHECKING:
    from simulator.scenario.model import Scenario
    from simulator.results.streaming import StreamSummary


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kposim")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


@dataclass(frozen=True)
class RunRecord:
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
    #: figures computed once per record and reused (the sorted trials of
    #: :mod:`simulator.results.stats`); not part of the record's value
    cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

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
