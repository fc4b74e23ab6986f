"""What a simulation returns: :class:`SimulationResult`, a run's record (trials, provenance)
with its statistics, summary and chart data one call away."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulator.results.chartdata import ChartData
from simulator.results.run import RunRecord
from simulator.results.stats import _source as statistics_reader
from simulator.results.stats import chart_data, summarize


@dataclass(frozen=True)
class SimulationResult(RunRecord):
    """Per-trial results of one run (see :class:`~simulator.results.run.RunRecord` for the
    fields). Money is present value over the horizon, in the scenario's currency; component
    figures are costs (positive = money lost)."""

    @property
    def statistics(self) -> Any:
        """Where :meth:`summary` and :meth:`chart_data` read their figures from (kept, so
        the trials are sorted once for both; see :mod:`simulator.results.stats`)."""
        return statistics_reader(self)

    def summary(self) -> dict[str, Any]:
        """The figures written to ``summary.json`` (see :func:`simulator.results.stats.summarize`)."""
        return summarize(self)

    def chart_data(self) -> ChartData:
        """Precomputed figures for the standard charts."""
        return chart_data(self)
