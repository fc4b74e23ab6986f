"""S-curve: the chance of saving at least a given amount, from the precomputed quantile grid."""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MultipleLocator

from simulator.present.plots import style as s
from simulator.results.chartdata import ChartData

_CORNERS = {  # offset (points), ha, va of a label beside its point
    "upper right": ((10, 6), "left", "bottom"),
    "lower left": ((-10, -6), "right", "top"),
    "upper left": ((-10, 6), "right", "bottom"),
}
LEFT_LEVEL = 0.01  #: the x-axis starts at this quantile (or zero, or P5, if further left)
_AXES_WIDTH_IN = s.FIGSIZE[0] - 1.4  #: plot width less y axis and margins, roughly


def _text_width(text: str) -> float:
    """Rough width of a note in axes fractions (plus the 10 pt offset from its point)."""
    longest = max(map(len, text.split("\n")))
    return (longest * 0.6 * s.NOTE_SIZE + 10) / 72 / _AXES_WIDTH_IN


def _corner(y: float, room_left: float, room_right: float, width: float) -> str:
    """Where a label ``width`` wide goes for a point at ``y`` % with ``room_left`` and
    ``room_right`` (axes fractions) beside it. The curve falls, so the upper-right and
    lower-left quadrants of a point on it are empty: below-left near the top (no headroom
    needed), else above-right, else below-left, else above-left (only low on a flat tail).
    """
    if y > 80.0 and room_left > width:
        return "lower left"
    if room_right > width:
        return "upper right"
    return "lower left" if y > 15.0 and room_left > width else "upper left"


def _point(ax: Axes, x: float, y: float, text: str, corner: str, bold: bool = False) -> None:
    """A dot on the curve at (x currency units, y %) with its reading in ``corner``."""
    offset, ha, va = _CORNERS[corner]
    ax.plot([x], [y], "o", color=s.TEXT, markersize=6, zorder=5)
    ax.annotate(text, (x, y), xytext=offset, textcoords="offset points", ha=ha, va=va,
                fontsize=s.NOTE_SIZE, color=s.TEXT, fontweight="bold" if bold else "normal",
                zorder=6, bbox={"boxstyle": "square,pad=0.1", "facecolor": "white",
                                "edgecolor": "none", "alpha": 0.7})


def plot_scurve(d: ChartData) -> Figure:
    """P(net savings >= x) in % against x (currency units, present value), i.e. one minus the
    CDF read from ``d.quantile_levels``/``d.quantile_values``, with zero and P(loss) marked.
    """
    fig, ax = s.figure()
    s.style_axes(ax, "y")
    levels = np.asarray(d.quantile_levels, dtype=np.float64)
    values = np.asarray(d.quantile_values, dtype=np.float64)
    # From P1 to P99.9, and always the zero line: a rare-disaster tail (an exit, a breach)
    # would otherwise stretch the axis far left of where the curve moves; the worst 1% is
    # the loss exceedance chart's subject.
    q_lo, q_hi = np.interp((LEFT_LEVEL, 0.999), levels, values)
    lo, hi = min(q_lo, 0.0, d.p5), max(q_hi, 0.0, d.p95)
    pad = 0.03 * (hi - lo or 1.0)
    xlim = (lo - pad, hi + pad)
    span = xlim[1] - xlim[0]
    ax.set_xlim(xlim)
    # 100% below the smallest trial, 0% above the largest.
    x = np.concatenate(([min(xlim[0], values[0])], values, [max(xlim[1], values[-1])]))
    y = np.concatenate(([100.0], (1.0 - levels) * 100.0, [0.0]))
    ax.plot(x, y, color=s.SAVING, linewidth=2.5, zorder=4)

    ax.axvspan(xlim[0], 0.0, color=s.LOSS, alpha=0.08, linewidth=0, zorder=1)
    if -xlim[0] / span > _text_width("Loss"):  # bottom left is under the curve: empty
        ax.annotate("Loss", (0, 0), xycoords="axes fraction", xytext=(8, 8),
                    textcoords="offset points", ha="left", va="bottom", color=s.LOSS,
                    fontsize=s.NOTE_SIZE, fontweight="bold")
    ax.axvline(0.0, color=s.TEXT, linewidth=1.2, zorder=3)

    p_save = 1.0 - d.prob_loss
    if 0.0 < d.prob_loss < 1.0:
        reading = (f"{s.format_percent(p_save)} chance of saving money\n"
                   f"{s.format_percent(d.prob_loss)} chance of a loss")
    else:
        reading = "Saved money in every trial" if d.prob_loss == 0 else "Lost money in every trial"
    points = [(0.0, p_save * 100.0, reading, True)]
    for level, xq in ((95.0, d.p5), (50.0, d.p50)):
        if abs(level - p_save * 100.0) >= 8.0:  # else it would sit on the zero label
            points.append((xq, level, f"{level:.0f}% chance of at least "
                                      f"{s.format_money(xq, d.currency)}", False))
    top = 102.0
    for xq, yq, text, bold in points:
        frac = (xq - xlim[0]) / span
        corner = _corner(yq, frac, 1.0 - frac, _text_width(text))
        _point(ax, xq, yq, text, corner, bold)
        if corner.startswith("upper"):  # headroom for the label, about 5% of the axes a line
            top = max(top, yq + 3.0 + 5.0 * (text.count("\n") + 1))
    ax.set_ylim(0.0, top)

    ax.xaxis.set_major_formatter(s.money_formatter(d.currency))
    ax.yaxis.set_major_locator(MultipleLocator(25))
    ax.yaxis.set_major_formatter(s.percent_formatter())
    xlabel = f"Net savings over {s.years(d.horizon_years)} (present value)"
    if values[0] < xlim[0]:  # say what lies off the left edge
        xlabel += (f"; the worst {LEFT_LEVEL:.0%} of trials, below "
                   f"{s.format_money(q_lo, d.currency)}, are off the left edge")
    s.axis_labels(ax, xlabel, "Chance of saving at least this")
    s.titles(ax, f"Net savings over {s.years(d.horizon_years)}: {s.format_percent(p_save)} "
             f"chance of saving money; median {s.format_money(d.p50, d.currency)}",
             s.context_line(d))
    return fig
