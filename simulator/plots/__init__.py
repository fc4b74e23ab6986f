"""The standard chart set, drawn from a :class:`~simulator.chartdata.ChartData`.

Figures are plain :class:`matplotlib.figure.Figure` objects (no pyplot, no global backend), so
they can be drawn from worker threads and library code without side effects::

    from simulator.plots import write_charts
    write_charts(result.chart_data(), Path("out/manila"))
"""
from __future__ import annotations

import multiprocessing as mp
import os
import threading
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
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


def _draw(stem: str, d: ChartData, out_dir: Path, formats: tuple[str, ...],
          dpi: int) -> list[Path]:
    return save(CHARTS[stem](d), out_dir, stem, formats, dpi)


def write_charts(d: ChartData, out_dir: Path, formats: Iterable[str] = ("png", "svg"),
                 dpi: int = 150) -> dict[str, list[Path]]:
    """Draw every chart in :data:`CHARTS` and write it to ``out_dir/<stem>.<format>``
    (``dpi`` pixels per inch for PNG); returns ``{stem: [paths]}``.

    Rendering is the slowest step of a run (about 0.4 s a file here) and holds the GIL, so
    with several cores the charts are drawn in forked worker processes.
    """
    formats, out_dir = tuple(formats), Path(out_dir)
    jobs = [(stem, d, out_dir, formats, dpi) for stem in CHARTS]
    workers = min(len(jobs), os.cpu_count() or 1)
    # Fork only from a single-threaded process: forking with live threads can deadlock.
    if workers > 1 and threading.active_count() == 1 and "fork" in mp.get_all_start_methods():
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
            return dict(zip(CHARTS, pool.map(_draw, *zip(*jobs))))
    return {job[0]: _draw(*job) for job in jobs}


__all__ = ["CHARTS", "format_money", "format_percent", "money_formatter", "plot_convergence",
           "plot_distribution",
           "plot_loss_exceedance", "plot_scurve", "plot_waterfall", "save", "write_charts"]
