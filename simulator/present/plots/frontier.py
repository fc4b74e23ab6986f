"""The efficient frontier of control portfolios: expected control cost against the objective.

Drawn from the dictionary :func:`simulator.analysis.optimize.optimize` returns (``optimize.json``),
never from trials.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from simulator.present.plots import style as s
from simulator.results.mcerror import Z95

_LABEL = {"mean": "Mean net savings", "cvar5": "Mean of the worst 5% of net savings (CVaR)",
          "prob_loss": "Chance of a net loss"}


def _label(row: dict[str, Any]) -> str:
    parts = [*row.get("choices", {}).values(), *row["controls"]]
    text = " + ".join(parts) or "no controls"
    return text if len(text) <= 44 else text[:43] + "…"


def plot_frontier(o: dict[str, Any]) -> Figure:
    """Each efficient portfolio at its expected control cost (x, present value) and its
    objective (y) with a 95% paired interval of its difference from the chosen one; the
    budget as a vertical line, the chosen portfolio ringed.
    """
    cur, objective = o["currency"], o["objective"]
    rows = o["frontier"]
    fig, ax = s.figure()
    s.style_axes(ax, "y")
    x = np.array([r["cost"] for r in rows])
    y = np.array([r[objective] for r in rows])
    err = Z95 * np.array([r["difference_stderr"] for r in rows])
    ax.step(x, y, where="post", color=s.MUTED, linewidth=1.0, zorder=1)
    ax.errorbar(x, y, yerr=err, fmt="o", color=s.SAVING, ecolor=s.SAVING, capsize=3,
                markersize=6, zorder=2, label="Efficient portfolio (95% paired interval)")
    c = o["chosen"]
    ax.plot([c["cost"]], [c[objective]], "o", markersize=15, markerfacecolor="none",
            markeredgecolor=s.LOSS, markeredgewidth=2, zorder=3, label="Chosen")
    mid = 0.5 * (x.min() + x.max()) if x.size else 0.0
    for r in rows:
        right = x.size > 1 and r["cost"] > mid  # label to the left, inside the axes
        ax.annotate(_label(r), (r["cost"], r[objective]), textcoords="offset points",
                    xytext=(-8 if right else 6, -12), ha="right" if right else "left",
                    fontsize=s.NOTE_SIZE - 1.5, color=s.TEXT)
    if o.get("budget") is not None:
        ax.axvline(o["budget"], color=s.LOSS, linestyle="--", linewidth=1.2, label="Budget")
    ax.xaxis.set_major_formatter(s.money_formatter(cur))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.1%}") if objective ==
                                 "prob_loss" else s.money_formatter(cur))
    s.axis_labels(ax, "Expected cost of the controls (present value)", _LABEL[objective])
    ax.legend(loc="best", frameon=False, fontsize=s.NOTE_SIZE)
    value = (s.format_percent(c[objective]) if objective == "prob_loss"
             else s.format_money(c[objective], cur))
    title = f"Best buy: {_label(c)}"
    s.titles(ax, title, f"{_LABEL[objective]} {value} · {o['trials']:,} trials a portfolio, "
                        f"common random numbers · {o['method'].split(':')[0]} search")
    return fig


CHARTS = {"frontier": plot_frontier}
