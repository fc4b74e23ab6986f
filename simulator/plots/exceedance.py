"""Loss exceedance curves of the risk events: P(loss > threshold) on a log money axis."""
from __future__ import annotations

import math

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator, NullFormatter

from ..chartdata import ChartData
from . import style as s

ALL_RISKS = "All risk events"
_SPAN = 1e-4  #: smallest loss shown, as a share of the largest


def _positive(t: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop points a log axis cannot show or that carry nothing: zero probability or threshold."""
    t, p = np.asarray(t, dtype=np.float64), np.asarray(p, dtype=np.float64)
    keep = (p > 0) & (t > 0)
    return t[keep], p[keep]


def _threshold_at(t: np.ndarray, p: np.ndarray, prob: float) -> float:
    """Loss (currency units) exceeded with probability ``prob``, interpolated on the curve."""
    return float(np.interp(prob, p[::-1], t[::-1]))


def _note(ax: Axes, text: str) -> None:
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center",
            fontsize=s.LABEL_SIZE + 2, color=s.MUTED)


def plot_loss_exceedance(d: ChartData) -> Figure:
    """One line per risk (and the total, emphasised): probability in % that the present-value
    loss over the horizon exceeds x, against x in currency units on a log axis."""
    fig, ax = s.figure()
    curves = {k: _positive(*v) for k, v in d.exceedance.items()}
    curves = {k: v for k, v in curves.items() if v[0].size}
    horizon = s.years(d.horizon_years)
    if not curves:
        if d.exceedance:
            note, finding = "No risk event caused a loss in any trial", "no losses"
        else:
            note, finding = "No risk events in this scenario", "none modelled"
        _note(ax, note)
        s.titles(ax, f"Risk events over {horizon}: {finding}", s.context_line(d))
        return fig

    s.style_axes(ax, "y")
    # Total first in the legend, drawn last so it sits on top; colours repeat dashed.
    order = sorted(curves, key=lambda k: k != ALL_RISKS)
    risks = [k for k in order if k != ALL_RISKS]
    n = len(s.SERIES)
    for label in order:
        t, p = curves[label]
        main = label == ALL_RISKS
        i = 0 if main else risks.index(label)
        ax.plot(t, p * 100.0, label=label, marker="o" if t.size < 3 else "",
                color=s.TEXT if main else s.SERIES[i % n], linestyle="-" if i < n else "--",
                linewidth=3.0 if main else 1.8, zorder=10 if main else 3)
    ax.set_xscale("log")
    breach = _draw_tolerance(ax, d, curves.get(ALL_RISKS))
    t_all = np.concatenate([c[0] for c in curves.values()] +
                           [np.array([x for x, _ in d.tolerance])])
    # Losses below 1/10,000 of the largest only repeat P(any loss): start the axis there.
    lo, hi = max(t_all.min(), t_all.max() * _SPAN), t_all.max()
    if hi > lo:
        ax.set_xlim(lo / 1.2, hi * 1.2)
    decades = math.log10(hi / lo)
    subs = (1.0,) if decades > 3 else (1.0, 2.0, 5.0)
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=subs))
    ax.xaxis.set_major_formatter(s.money_formatter(d.currency))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_ylim(0.0, None)
    ax.yaxis.set_major_formatter(s.percent_formatter())
    s.axis_labels(ax, f"Loss from risk events over {horizon} (present value, log scale)",
                  "Chance of losing more")
    ax.legend(loc="best", frameon=True, facecolor="white", edgecolor="none", framealpha=0.9,
              fontsize=s.NOTE_SIZE)
    title = _finding(d, curves, horizon)
    if d.tolerance:
        title += ("; above the risk tolerance" if breach else "; within the risk tolerance")
    s.titles(ax, title, s.context_line(d))
    return fig


def _draw_tolerance(ax: Axes, d: ChartData, total: tuple[np.ndarray, np.ndarray] | None) -> bool:
    """Draw the tolerance curve (a step through its points) and ring each point the total
    curve exceeds; returns whether any is exceeded."""
    if not d.tolerance:
        return False
    loss = np.array([x for x, _ in d.tolerance])
    limit = np.array([p for _, p in d.tolerance]) * 100.0
    ax.step(loss, limit, where="post", color=s.LOSS, linewidth=2.0, linestyle=(0, (4, 2)),
            label="Risk tolerance", zorder=11)
    ax.plot(loss, limit, "s", color=s.LOSS, markersize=6, zorder=11)
    breach = False
    if total is not None and total[0].size:
        t, p = total
        at = np.interp(np.log(loss), np.log(t), p * 100.0, left=p[0] * 100.0, right=0.0)
        over = at > limit
        if over.any():
            breach = True
            ax.plot(loss[over], at[over], "o", markersize=14, markerfacecolor="none",
                    markeredgecolor=s.LOSS, markeredgewidth=2.0, zorder=12,
                    label="Tolerance exceeded")
    return breach


def _finding(d: ChartData, curves: dict[str, tuple[np.ndarray, np.ndarray]],
             horizon: str) -> str:
    """Title: chance of any risk loss and, if it is that likely, the 1-in-20 loss (the horizon
    is in the axis label, to keep the title on one line)."""
    if ALL_RISKS not in curves:
        return f"Loss exceedance of risk events over {horizon}"
    t, p = curves[ALL_RISKS]
    title = f"Risk events: {s.format_percent(p[0])} chance of a loss"
    if p[0] > 0.05:
        big = s.format_money(_threshold_at(t, p, 0.05), d.currency)
        title += f"; 1 in 20 chance of more than {big}"
    return title
