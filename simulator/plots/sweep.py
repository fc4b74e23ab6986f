"""Charts of a parameter sweep: lines with bands for one parameter, heatmaps for two.

They draw the dictionary :func:`simulator.sweep.sweep` returns.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from . import style as s


def _frame() -> tuple[Figure, Any, Any]:
    fig = Figure(figsize=(s.FIGSIZE[0], s.FIGSIZE[1] * 1.25), layout="constrained",
                 facecolor="white")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    for ax in (top, bottom):
        s.style_axes(ax, "y")
    return fig, top, bottom


def plot_sweep_line(r: dict[str, Any]) -> Figure:
    """Mean net savings (with its 95% band and the P5-P95 range) and P(net loss) against one
    swept parameter."""
    path = r["parameters"][0]
    x = np.array([row[path] for row in r["rows"]])
    mean = np.array([row["mean"] for row in r["rows"]])
    half = 1.959963984540054 * np.array([row["stderr"] for row in r["rows"]])
    p5 = np.array([row["p5"] for row in r["rows"]])
    p95 = np.array([row["p95"] for row in r["rows"]])
    ploss = np.array([row["prob_loss"] for row in r["rows"]]) * 100
    ploss_half = 1.959963984540054 * np.array([row["prob_loss_stderr"] for row in r["rows"]]) * 100
    fig, top, bottom = _frame()
    top.fill_between(x, p5, p95, color=s.SAVING, alpha=0.12, linewidth=0,
                     label="P5 to P95 of net savings")
    top.fill_between(x, mean - half, mean + half, color=s.SAVING, alpha=0.35, linewidth=0,
                     label="95% interval of the mean")
    top.plot(x, mean, color=s.SAVING, linewidth=2.4, marker="o", markersize=4,
             label="Mean net savings")
    top.axhline(0.0, color=s.TEXT, linewidth=1.0)
    top.yaxis.set_major_formatter(s.money_formatter(r["currency"]))
    top.set_ylabel(f"Net savings over {s.years(r['horizon_years'])}", fontsize=s.LABEL_SIZE)
    top.legend(loc="best", frameon=False, fontsize=s.NOTE_SIZE)
    bottom.fill_between(x, np.maximum(ploss - ploss_half, 0), ploss + ploss_half, color=s.LOSS,
                        alpha=0.25, linewidth=0)
    bottom.plot(x, ploss, color=s.LOSS, linewidth=2.2, marker="o", markersize=4)
    bottom.yaxis.set_major_formatter(s.percent_formatter())
    bottom.set_ylabel("Chance of a net loss", fontsize=s.LABEL_SIZE)
    bottom.set_xlabel(path, fontsize=s.LABEL_SIZE)
    crossing = _zero_crossing(x, mean)
    finding = (f"mean net savings turn negative near {path} = {crossing:.4g}"
               if crossing is not None else
               f"mean net savings run from {s.format_money(mean[0], r['currency'])} to "
               f"{s.format_money(mean[-1], r['currency'])}")
    s.titles(top, f"Across the sweep, {finding}",
             f"{r['scenario']} · {r['trials']:,} trials a point · common random numbers")
    return fig


def _zero_crossing(x: np.ndarray, y: np.ndarray) -> float | None:
    for i in range(len(y) - 1):
        if y[i] == 0:
            return float(x[i])
        if y[i] * y[i + 1] < 0:
            return float(x[i] - y[i] * (x[i + 1] - x[i]) / (y[i + 1] - y[i]))
    return None


def plot_sweep_heatmap(r: dict[str, Any]) -> Figure:
    """Mean net savings and P(net loss) over a two-parameter grid."""
    px, py = r["parameters"]
    xs = sorted({row[px] for row in r["rows"]})
    ys = sorted({row[py] for row in r["rows"]})
    mean = np.full((len(ys), len(xs)), np.nan)
    ploss = np.full_like(mean, np.nan)
    for row in r["rows"]:
        i, j = ys.index(row[py]), xs.index(row[px])
        mean[i, j], ploss[i, j] = row["mean"], row["prob_loss"]
    fig = Figure(figsize=(s.FIGSIZE[0] * 1.2, s.FIGSIZE[1]), layout="constrained",
                 facecolor="white")
    axes = fig.subplots(1, 2)
    limit = np.nanmax(np.abs(mean)) or 1.0
    panels = ((axes[0], mean, "RdBu", (-limit, limit), "Mean net savings",
               lambda v: s.format_money(v, r["currency"])),
              (axes[1], ploss * 100, "Oranges", (0, max(np.nanmax(ploss * 100), 1e-9)),
               "Chance of a net loss", lambda v: f"{v:.1f}%"))
    for ax, z, cmap, (vmin, vmax), label, fmt in panels:
        im = ax.imshow(z, origin="lower", aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax)
        ax.set_xticks(range(len(xs)), [_tick(v) for v in xs], fontsize=s.TICK_SIZE - 2,
                      rotation=45 if len(xs) > 6 else 0)
        ax.set_yticks(range(len(ys)), [_tick(v) for v in ys], fontsize=s.TICK_SIZE - 2)
        ax.set_xlabel(px, fontsize=s.NOTE_SIZE)
        ax.set_ylabel(py, fontsize=s.NOTE_SIZE)
        ax.set_title(label, loc="left", fontsize=s.LABEL_SIZE, color=s.TEXT)
        if z.size <= 64:
            for (i, j), v in np.ndenumerate(z):
                r_, g_, b_, _ = im.cmap(im.norm(v))
                dark = 0.299 * r_ + 0.587 * g_ + 0.114 * b_ < 0.5  # white text on dark cells
                ax.text(j, i, fmt(v), ha="center", va="center", fontsize=9,
                        color="white" if dark else s.TEXT)
        fig.colorbar(im, ax=ax, format=FuncFormatter(lambda v, _p, f=fmt: f(v)), shrink=0.85)
    best = np.unravel_index(np.nanargmax(mean), mean.shape)
    fig.suptitle(f"Best mean net savings {s.format_money(mean[best], r['currency'])}, at "
                 f"{_tick(xs[best[1]])} and {_tick(ys[best[0]])} ({r['trials']:,} trials a "
                 "point, common random numbers)", x=0.01, ha="left", fontsize=s.LABEL_SIZE + 1,
                 fontweight="bold", color=s.TEXT, wrap=True)
    return fig


def _tick(v: float) -> str:
    """A parameter value for an axis: 30,000 / 0.105 / 38,333."""
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"
