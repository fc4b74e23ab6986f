"""What a simulation returns: every trial's figures plus where they came from."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np

from .compiled import CompiledModel

if TYPE_CHECKING:
    from .chartdata import ChartData
    from .scenario import Scenario


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
    trials: int
    seed: int
    net_savings: np.ndarray  #: (trials,) gross wage savings minus every cost and loss
    gross_wage_savings: np.ndarray  #: (trials,) wage savings net of the ramp-up double pay
    component_totals: np.ndarray  #: (C + R, trials) cost lines then risks, in model order
    inputs: np.ndarray | None  #: (I, trials) drawn inputs, if kept (``model.input_names``)
    chunk_size: int
    bit_generator: str
    created: str = field(default_factory=lambda: datetime.now(timezone.utc)
                         .isoformat(timespec="seconds"))

    @property
    def components(self) -> dict[str, np.ndarray]:
        """Component name -> (trials,) cost per trial."""
        return dict(zip(self.model.component_names, self.component_totals))

    @property
    def risk_losses(self) -> np.ndarray:
        """(trials,) total loss from all risk events per trial."""
        n_costs = len(self.model.cost_names)
        return self.component_totals[n_costs:].sum(axis=0)

    def provenance(self) -> dict[str, Any]:
        """How to reproduce this run: version, scenario hash, seed, chunking, generator."""
        import numba

        return {
            "version": _version(),
            "scenario_sha256": self.scenario.sha256,
            "seed": self.seed,
            "chunk_size": self.chunk_size,
            "bit_generator": self.bit_generator,
            "created": self.created,
            "numpy": np.__version__,
            "numba": numba.__version__,
        }

    def summary(self) -> dict[str, Any]:
        """The figures written to ``summary.json`` (see :func:`simulator.stats.summarize`)."""
        from .stats import summarize

        return summarize(self)

    def chart_data(self) -> "ChartData":
        """Precomputed figures for the standard charts."""
        from .stats import chart_data

        return chart_data(self)
