"""Convergence: the running mean of net savings and its 95% band against trials run."""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator

from simulator.present.plots import style as s
from simulator.present.plots.ticks import minor_tick_marks
from simulator.results.chartdata import ChartData


def plot_convergence(d: ChartData) -> Figure:
    """Running mean (currency units, present value) after each chunk of trials, with its 95%
    confidence band, on a log trial axis; from ``d.convergence``.
    """
    fig, ax = s.figure()
    s.style_axes(ax, "y")
    if d.convergence is None or len(d.convergence[0]) == 0:
        ax.text(0.5, 0.5, "No convergence record for this run", transform=ax.transAxes,
                ha="center", va="center", color=s.MUTED, fontsize=s.LABEL_SIZE)
        ax.set_axis_off()
        s.titles(ax, "Convergence of the mean", s.context_line(d))
        return fig
    n, mean, half = (np.asarray(a, dtype=np.float64) for a in d.convergence)
    ax.fill_between(n, mean - half, mean + half, color=s.SAVING, alpha=0.2, linewidth=0,
                    label="95% confidence band")
    ax.plot(n, mean, color=s.SAVING, linewidth=2.2, marker="o" if n.size < 30 else None,
            markersize=4, label="Running mean")
    ax.axhline(mean[-1], color=s.MUTED, linewidth=1.0, linestyle="--", zorder=1)
    if n.size > 1:
        ax.set_xscale("log")
        # Ticks at 1, 2 and 5 of each decade, all labelled alike (100K, 200K, 500K): the log
        # axis's own minor labels would read 2x10^5, in a different style (and as mathtext).
        ax.xaxis.set_major_locator(LogLocator(base=10.0, subs=(1.0, 2.0, 5.0)))
        minor_tick_marks(ax.xaxis)
    ax.xaxis.set_major_formatter(s.count_formatter())
    # The band is narrow relative to the mean: ticks need more digits than elsewhere.
    ax.yaxis.set_major_formatter(s.money_formatter(d.currency, decimals=4))
    # Frame the band from the second point on: the first chunk's band can dwarf the rest.
    lo = float(np.min((mean - half)[min(1, n.size - 1):]))
    hi = float(np.max((mean + half)[min(1, n.size - 1):]))
    pad = 0.15 * (hi - lo or abs(mean[-1]) * 0.01 or 1.0)
    ax.set_ylim(lo - pad, hi + pad)
    s.axis_labels(ax, "Trials run", f"Mean net savings over {s.years(d.horizon_years)}")
    ax.legend(loc="upper right", frameon=False, fontsize=s.NOTE_SIZE)
    s.titles(ax, f"Mean net savings {s.format_money(mean[-1], d.currency)} "
                 f"{s.format_error(half[-1], d.currency)} (95%) after {int(n[-1]):,} trials",
             s.context_line(d))
    return fig
