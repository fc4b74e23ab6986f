"""The standard chart set, drawn from a :class:`~simulator.chartdata.ChartData`.

Figures are plain :class:`matplotlib.figure.Figure` objects (no pyplot, no global backend), so
they can be drawn from worker threads and library code without side effects::

    from simulator.plots import write_charts
    write_charts(result.chart_data(), Path("out/manila"))
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..chartdata import ChartData
from .convergence import plot_convergence
from .distribution import plot_distribution
from .exceedance import plot_loss_exceedance
from .scurve import plot_scurve
from .style import format_money, format_percent, money_formatter, save
from .waterfall import plot_waterfall

#: File stem -> chart function, in the order a reader should see them.
CHARTS = {
    "net_savings_distribution": plot_distribution,
    "s_curve": plot_scurve,
    "waterfall": plot_waterfall,
    "loss_exceedance": plot_loss_exceedance,
    "convergence": plot_convergence,
}


def write_charts(d: ChartData, out_dir: Path, formats: Iterable[str] = ("png", "svg"),
                 dpi: int = 150) -> dict[str, list[Path]]:
    """Draw every chart in :data:`CHARTS` and write it to ``out_dir/<stem>.<format>``
    (``dpi`` pixels per inch for PNG); returns ``{stem: [paths]}``."""
    formats = tuple(formats)
    return {stem: save(plot(d), Path(out_dir), stem, formats, dpi) for stem, plot in CHARTS.items()}


__all__ = ["CHARTS", "format_money", "format_percent", "money_formatter", "plot_convergence",
           "plot_distribution",
           "plot_loss_exceedance", "plot_scurve", "plot_waterfall", "save", "write_charts"]
