"""Loss exceedance curves of the risk events: P(loss > threshold) on a log money axis."""
from __future__ import annotations

import math

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator

from simulator.present.plots import style as s
from simulator.present.plots.ticks import minor_tick_marks
from simulator.results.chartdata import ChartData

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
    """One line per risk (and the total, emphasised): probability that the present-value loss
    over the horizon exceeds x, against x in currency units, both axes logarithmic, so a
    1-in-100 or 1-in-1,000 loss is as readable as a common one. Each risk keeps its colour
    and line style in every chart and report (:func:`~simulator.present.plots.style.risk_styles`).
    """
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
    # Total first in the legend, drawn last so it sits on top. Styles come from every risk
    # of the scenario (d.exceedance), not only those drawn, so none shifts colour.
    styles = s.risk_styles(k for k in d.exceedance if k != ALL_RISKS)
    order = sorted(curves, key=lambda k: k != ALL_RISKS)
    for label in order:
        t, p = curves[label]
        main = label == ALL_RISKS
        colour, style = (s.TEXT, "-") if main else styles[label]
        ax.plot(t, p * 100.0, label=label, marker="o" if t.size < 3 else "",
                color=colour, linestyle=style, linewidth=3.0 if main else 1.8,
                zorder=10 if main else 3)
    ax.set_xscale("log")
    ax.set_yscale("log")
    breach = _draw_tolerance(ax, d, curves.get(ALL_RISKS))
    t_all = np.concatenate([c[0] for c in curves.values()] +
                           [np.array([x for x, _ in d.tolerance])])
    # Losses below 1/10,000 of the largest only repeat P(any loss): start the axis there.
    lo, hi = max(t_all.min(), t_all.max() * _SPAN), t_all.max()
    if hi > lo:
        ax.set_xlim(lo / 1.2, hi * 1.2)
    decades = math.log10(hi / lo) if hi > lo else 0.0
    subs = (1.0,) if decades > 3 else (1.0, 2.0, 5.0)
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=subs))
    ax.xaxis.set_major_formatter(s.money_formatter(d.currency))
    minor_tick_marks(ax.xaxis)
    # Down to the rarest probability a trial can show (one trial), at most a decade below
    # the smallest drawn, never below 1 in 100,000.
    p_min = min(float(c[1].min()) for c in curves.values())
    floor = max(min(p_min, 1.0 / max(d.trials, 1)) * 100.0, 1e-3)
    ax.set_ylim(floor / 1.5, 130.0)
    ax.yaxis.set_major_locator(LogLocator(base=10))
    ax.yaxis.set_major_formatter(s.log_percent_formatter())
    minor_tick_marks(ax.yaxis)
    s.axis_labels(ax, f"Loss from risk events over {horizon} (present value, log scale)",
                  "Chance of losing more (log scale)")
    ax.legend(loc="lower left", frameon=True, facecolor="white", edgecolor="none",
              framealpha=0.9, fontsize=s.NOTE_SIZE)
    title = _finding(d, curves, horizon)
    if d.tolerance:
        title += ("; above the risk tolerance" if breach else "; within the risk tolerance")
    s.titles(ax, title, s.context_line(d))
    return fig


def _draw_tolerance(ax: Axes, d: ChartData, total: tuple[np.ndarray, np.ndarray] | None) -> bool:
    """Draw the tolerance curve (a step through its points) and ring each point the total
    curve exceeds; returns whether any is exceeded.
    """
    if not d.tolerance:
        return False
    loss = np.array([x for x, _ in d.tolerance])
    limit = np.array([p for _, p in d.tolerance]) * 100.0
    shown = np.maximum(limit, 1e-4)  # a zero limit sits at the bottom of the log axis
    ax.step(loss, shown, where="post", color=s.LOSS, linewidth=2.0, linestyle=(0, (4, 2)),
            label="Risk tolerance", zorder=11)
    ax.plot(loss, shown, "s", color=s.LOSS, markersize=6, zorder=11)
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
    """Title about the risk events (not about net savings): how often they cost anything
    when that is not nearly always, and the losses exceeded 1 time in 20 and 1 in 100.
    """
    if ALL_RISKS not in curves:
        return f"Loss exceedance of risk events over {horizon}"
    t, p = curves[ALL_RISKS]
    parts = []
    if p[0] < 0.99:
        parts.append(f"risk events cost something in {s.format_percent(p[0])} of trials")
    for level in (0.05, 0.01):
        if p[0] > level:
            big = s.format_money(_threshold_at(t, p, level), d.currency)
            parts.append(f"{s.one_in(level)} chance they cost more than {big}")
    if not parts:
        return f"Risk events cost something in {s.format_percent(p[0])} of trials"
    text = "; ".join(parts)
    return f"Risk events over {horizon}: {text}"
