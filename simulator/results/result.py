"""What a simulation returns: :class:`SimulationResult`, a run's record (trials, provenance)
with its statistics, summary and chart data one call away.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulator.results.chartdata import ChartData
from simulator.results.run import RunRecord
from simulator.results.stats import _source as statistics_reader
from simulator.results.stats import chart_data, summarize
from simulator.results.summary import Summary


@dataclass(frozen=True)
class SimulationResult(RunRecord):
    """What :func:`simulator.simulate` returns: the run's record and its statistics.

    The fields are :class:`~simulator.results.run.RunRecord`'s (per-trial arrays of shape
    (trials,) or streamed statistics, seed, design, ...). Money is present value over the
    horizon, in the scenario's currency; component figures are costs (positive = money lost).

    Examples
    --------
    >>> result = simulate(scenario, trials=50_000, seed=7)  # doctest: +SKIP
    >>> result.summary()["net_savings"]["mean"]  # doctest: +SKIP
    """

    @property
    def statistics(self) -> Any:
        """Where :meth:`summary` and :meth:`chart_data` read their figures from (kept, so
        the trials are sorted once for both; see :mod:`simulator.results.stats`).
        """
        return statistics_reader(self)

    def summary(self) -> Summary:
        """The figures ``kposim run`` writes to ``summary.json``.

        Returns
        -------
        Summary
            A JSON-ready dict typed by :class:`~simulator.results.summary.Summary`: net
            savings (mean, percentiles with intervals, P(loss), CVaR), each component's band,
            category means, provenance, warnings, and where they apply the precision reached,
            correlations, engagement, controls' returns and the tolerance check. Money is
            present value, currency. A fresh dict on every call.
        """
        return summarize(self)

    def chart_data(self) -> ChartData:
        """Precomputed figures for the standard charts.

        Returns
        -------
        ChartData
            Histograms and quantile grids (a few kilobytes, whatever the trial count).
        """
        return chart_data(self)
