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
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

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


def chart_jobs(d: ChartData, out_dir: Path, formats: Iterable[str] = ("png", "svg"),
               dpi: int = 150) -> list[tuple[Callable[..., Any], tuple]]:
    """The work of :func:`write_charts` as ``(function, args)`` jobs for :func:`run_jobs`,
    so other rendering (a report) can share the same worker processes."""
    return [(_draw, (stem, d, Path(out_dir), tuple(formats), dpi)) for stem in CHARTS]


def run_jobs(jobs: list[tuple[Callable[..., Any], tuple]]) -> list[Any]:
    """Run each ``function(*args)`` and return the results in job order.

    Rendering holds the GIL, so with several cores the jobs run in forked worker processes
    (in the order given: put the longest first); otherwise one after another.
    """
    workers = min(len(jobs), os.cpu_count() or 1)
    # Fork only from a single-threaded process: forking with live threads can deadlock.
    if workers > 1 and threading.active_count() == 1 and "fork" in mp.get_all_start_methods():
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
            futures = [pool.submit(fn, *args) for fn, args in jobs]
            return [f.result() for f in futures]
    return [fn(*args) for fn, args in jobs]


def write_charts(d: ChartData, out_dir: Path, formats: Iterable[str] = ("png", "svg"),
                 dpi: int = 150) -> dict[str, list[Path]]:
    """Draw every chart in :data:`CHARTS` and write it to ``out_dir/<stem>.<format>``
    (``dpi`` pixels per inch for PNG); returns ``{stem: [paths]}``.

    Rendering is the slowest step of a run (about 0.4 s a file here) and holds the GIL, so
    with several cores the charts are drawn in forked worker processes.
    """
    return dict(zip(CHARTS, run_jobs(chart_jobs(d, out_dir, formats, dpi))))


__all__ = ["CHARTS", "chart_jobs", "format_money", "format_percent", "money_formatter",
           "plot_convergence", "plot_distribution", "plot_loss_exceedance", "plot_scurve",
           "plot_waterfall", "run_jobs", "save", "write_charts"]
