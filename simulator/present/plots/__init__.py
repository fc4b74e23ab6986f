"""The standard chart set, drawn from a :class:`~simulator.results.chartdata.ChartData`.

Figures are plain :class:`matplotlib.figure.Figure` objects (no pyplot, no global backend), so
they can be drawn from worker threads and library code without side effects::

    from simulator.present.plots import CHARTS
    fig = CHARTS["s_curve"](result.chart_data())

Importing this package does not import matplotlib (about half a second): the chart functions
and :data:`CHARTS` load on first use, so a run whose charts are drawn in worker processes
(:func:`simulator.output.charts.start_workers`) never pays for matplotlib in the main process.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

#: File stem -> (module, function) of each standard chart, in the order a reader should see
#: them; :data:`CHARTS` maps the stems to the functions themselves.
CHART_FUNCTIONS = {
    "net_savings_distribution": ("distribution", "plot_distribution"),
    "s_curve": ("scurve", "plot_scurve"),
    "waterfall": ("waterfall", "plot_waterfall"),
    "loss_exceedance": ("exceedance", "plot_loss_exceedance"),
    "convergence": ("convergence", "plot_convergence"),
}
#: Chart file formats :func:`write_charts` can write.
CHART_FORMATS = ("png", "svg")
_STYLE_NAMES = ("format_money", "format_percent", "money_formatter", "save")


def chart_function(stem: str) -> Callable[..., Any]:
    """The function that draws the standard chart ``stem`` (loads its module)."""
    module, function = CHART_FUNCTIONS[stem]
    return getattr(importlib.import_module(f".{module}", __name__), function)


def __getattr__(name: str) -> Any:
    """Load the chart functions, :data:`CHARTS` and the style helpers on first use."""
    functions = {f: m for m, f in CHART_FUNCTIONS.values()}
    if name in functions:
        return getattr(importlib.import_module(f".{functions[name]}", __name__), name)
    if name in _STYLE_NAMES:
        return getattr(importlib.import_module(".style", __name__), name)
    if name == "CHARTS":
        charts = {stem: __getattr__(f) for stem, (_, f) in CHART_FUNCTIONS.items()}
        globals()["CHARTS"] = charts
        return charts
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["CHARTS", "CHART_FORMATS", "CHART_FUNCTIONS", "chart_function", "format_money",
           "format_percent", "money_formatter", "plot_convergence", "plot_distribution",
           "plot_loss_exceedance", "plot_scurve", "plot_waterfall", "save"]
