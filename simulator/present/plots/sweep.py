"""Charts of a parameter sweep (lines with bands for one parameter, heatmaps with the
break-even contour for two) and of a break-even search (the statistic against the parameter,
with the root and its interval).

They draw the dictionaries :func:`simulator.analysis.sweep.sweep` and
:func:`simulator.analysis.sweep.breakeven` return. Parameters are named by their plain labels,
values in their own unit (money, %, FTE).
"""
from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from simulator.present.formatting import format_value
from simulator.present.plots import style as s
from simulator.results.stats import Z95
from simulator.scenario.labels import wrap

BREAKEVEN_GID = "breakeven-contour"  #: gid of the mean = 0 contour of a heatmap


def _label(r: dict[str, Any], path: str) -> str:
    return (r.get("labels") or {}).get(path, path)


def _unit(r: dict[str, Any], path: str) -> str:
    return (r.get("units") or {}).get(path, "number")


def _axis_formatter(unit: str, currency: str) -> FuncFormatter:
    if unit == "money":
        return s.money_formatter(currency)
    if unit == "percent":
        return FuncFormatter(lambda v, _p=None: f"{v * 100:.4g}%")
    return FuncFormatter(lambda v, _p=None: _tick(v))


def _half(rows: list[dict[str, Any]]) -> np.ndarray:
    """95% half-width of each point's mean: its ``summary.json`` interval where recorded
    (batch means for Latin hypercube and Sobol), else 1.96 standard errors.
    """
    return np.array([(row["ci95_high"] - row["ci95_low"]) / 2 if "ci95_high" in row
                     else Z95 * row["stderr"] for row in rows])


def _frame() -> tuple[Figure, Any, Any]:
    fig = Figure(figsize=(s.FIGSIZE[0], s.FIGSIZE[1] * 1.25), layout="constrained",
                 facecolor="white")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    for ax in (top, bottom):
        s.style_axes(ax, "y")
    return fig, top, bottom


def plot_sweep_line(r: dict[str, Any]) -> Figure:
    """Mean net savings (with its 95% band and the P5-P95 range) and P(net loss) against one
    swept parameter, the break-even (mean = 0) marked where the sweep crosses it.
    """
    path = r["parameters"][0]
    name, unit, cur = _label(r, path), _unit(r, path), r["currency"]
    x = np.array([row[path] for row in r["rows"]])
    mean = np.array([row["mean"] for row in r["rows"]])
    half = _half(r["rows"])
    p5 = np.array([row["p5"] for row in r["rows"]])
    p95 = np.array([row["p95"] for row in r["rows"]])
    ploss = np.array([row["prob_loss"] for row in r["rows"]]) * 100
    ploss_half = Z95 * np.array([row["prob_loss_stderr"] for row in r["rows"]]) * 100
    fig, top, bottom = _frame()
    top.fill_between(x, p5, p95, color=s.SAVING, alpha=0.12, linewidth=0,
                     label="P5 to P95 of net savings")
    top.fill_between(x, mean - half, mean + half, color=s.SAVING, alpha=0.35, linewidth=0,
                     label="95% interval of the mean")
    top.plot(x, mean, color=s.SAVING, linewidth=2.4, marker="o", markersize=4,
             label="Mean net savings")
    top.axhline(0.0, color=s.TEXT, linewidth=1.0)
    top.yaxis.set_major_formatter(s.money_formatter(cur))
    top.set_ylabel(f"Net savings over {s.years(r['horizon_years'])}", fontsize=s.LABEL_SIZE)
    bottom.fill_between(x, np.maximum(ploss - ploss_half, 0), ploss + ploss_half, color=s.LOSS,
                        alpha=0.25, linewidth=0)
    bottom.plot(x, ploss, color=s.LOSS, linewidth=2.2, marker="o", markersize=4)
    bottom.yaxis.set_major_formatter(s.percent_formatter())
    bottom.set_ylabel("Chance of a net loss", fontsize=s.LABEL_SIZE)
    bottom.set_xlabel(s.wrap_to_width(name, fig.get_figwidth() - 2.6, s.LABEL_SIZE),
                      fontsize=s.LABEL_SIZE)
    bottom.xaxis.set_major_formatter(_axis_formatter(unit, cur))
    crossing = zero_crossing(x, mean)
    if crossing is not None:
        for ax in (top, bottom):
            ax.axvline(crossing, color=s.TEXT, linestyle="--", linewidth=1.2, zorder=1)
        top.annotate(f"Break-even near {format_value(crossing, unit, cur)}", (crossing, 0.0),
                     xytext=(6, 6), textcoords="offset points", fontsize=s.NOTE_SIZE,
                     color=s.TEXT, fontweight="bold")
        finding = f"mean net savings turn negative near {name} = " \
                  f"{format_value(crossing, unit, cur)}"
    else:
        finding = (f"mean net savings run from {s.format_money(mean[0], cur)} to "
                   f"{s.format_money(mean[-1], cur)} as {name} goes from "
                   f"{format_value(x[0], unit, cur)} to {format_value(x[-1], unit, cur)}")
    top.legend(loc="best", frameon=False, fontsize=s.NOTE_SIZE)
    s.titles(top, f"Across the sweep, {finding}",
             f"{r['scenario']} · {r['trials']:,} trials a point · common random numbers")
    return fig


def zero_crossing(x: np.ndarray, y: np.ndarray) -> float | None:
    """Where ``y`` first crosses zero, interpolated linearly between grid points (None if it
    never does).
    """
    for i in range(len(y) - 1):
        if y[i] == 0:
            return float(x[i])
        if y[i] * y[i + 1] < 0:
            return float(x[i] - y[i] * (x[i + 1] - x[i]) / (y[i + 1] - y[i]))
    if len(y) and y[-1] == 0:
        return float(x[-1])
    return None


_zero_crossing = zero_crossing  # the name earlier versions used


def grid(r: dict[str, Any]) -> tuple[list[float], list[float], np.ndarray, np.ndarray]:
    """A two-parameter sweep as (x values, y values, mean[y, x], P(loss)[y, x])."""
    px, py = r["parameters"]
    xs = sorted({row[px] for row in r["rows"]})
    ys = sorted({row[py] for row in r["rows"]})
    mean = np.full((len(ys), len(xs)), np.nan)
    ploss = np.full_like(mean, np.nan)
    for row in r["rows"]:
        i, j = ys.index(row[py]), xs.index(row[px])
        mean[i, j], ploss[i, j] = row["mean"], row["prob_loss"]
    return xs, ys, mean, ploss


def plot_sweep_heatmap(r: dict[str, Any]) -> Figure:
    """Mean net savings and P(net loss) over a two-parameter grid, with the break-even
    contour (mean net savings = 0, interpolated between grid points) on both panels.
    """
    px, py = r["parameters"]
    cur = r["currency"]
    xs, ys, mean, ploss = grid(r)
    fig = Figure(figsize=(s.FIGSIZE[0] * 1.2, s.FIGSIZE[1] * 1.1), layout="constrained",
                 facecolor="white")
    axes = fig.subplots(1, 2)
    limit = np.nanmax(np.abs(mean)) or 1.0
    panels = ((axes[0], mean, "RdBu", (-limit, limit), "Mean net savings",
               lambda v: s.format_money(v, cur), s.money_formatter(cur)),
              (axes[1], ploss * 100, "Oranges", (0, max(np.nanmax(ploss * 100), 1e-9)),
               "Chance of a net loss", lambda v: s.format_percent(v / 100),
               s.percent_formatter()))
    crosses = np.nanmin(mean) < 0 < np.nanmax(mean)
    for ax, z, cmap, (vmin, vmax), title, fmt, ticks in panels:
        im = ax.imshow(z, origin="lower", aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax)
        ax.set_xticks(range(len(xs)), [format_value(v, _unit(r, px), cur) for v in xs],
                      fontsize=s.TICK_SIZE - 2, rotation=45 if len(xs) > 5 else 0,
                      ha="right" if len(xs) > 5 else "center", rotation_mode="anchor")
        ax.set_yticks(range(len(ys)), [format_value(v, _unit(r, py), cur) for v in ys],
                      fontsize=s.TICK_SIZE - 2)
        ax.set_xlabel(wrap(_label(r, px), 50), fontsize=s.NOTE_SIZE)
        ax.set_ylabel(wrap(_label(r, py), 40), fontsize=s.NOTE_SIZE)
        ax.set_title(title, loc="left", fontsize=s.LABEL_SIZE, color=s.TEXT)
        if z.size <= 64:
            for (i, j), v in np.ndenumerate(z):
                r_, g_, b_, _ = im.cmap(im.norm(v))
                dark = 0.299 * r_ + 0.587 * g_ + 0.114 * b_ < 0.5  # white text on dark cells
                ax.text(j, i, fmt(v), ha="center", va="center", fontsize=9,
                        color="white" if dark else s.TEXT)
        if crosses and min(mean.shape) >= 2:
            contour = ax.contour(np.arange(len(xs)), np.arange(len(ys)), mean, levels=[0.0],
                                 colors=[s.TEXT], linewidths=2.4, linestyles="--")
            contour.set_gid(BREAKEVEN_GID)
        fig.colorbar(im, ax=ax, format=ticks, shrink=0.85)
    best = np.unravel_index(np.nanargmax(mean), mean.shape)
    title = (f"Best mean net savings {s.format_money(mean[best], cur)}, at "
             f"{_label(r, px)} = {format_value(xs[best[1]], _unit(r, px), cur)} and "
             f"{_label(r, py)} = {format_value(ys[best[0]], _unit(r, py), cur)}")
    fig.suptitle(s.wrap_to_width(title, fig.get_figwidth() - 0.4, s.TITLE_SIZE, "bold"),
                 x=0.01, ha="left", fontsize=s.TITLE_SIZE, fontweight="bold", color=s.TEXT)
    key = ("Dashed line: break-even, where mean net savings = 0 (interpolated between grid "
           "points) · " if crosses else "")
    fig.supxlabel(f"{key}{r['scenario']} · {r['trials']:,} trials a point · common random "
                  "numbers", x=0.01, ha="left", fontsize=s.SUBTITLE_SIZE, color=s.MUTED)
    return fig


def plot_breakeven(b: dict[str, Any]) -> Figure:
    """The break-even search: the statistic (mean net savings, or the chance of a net loss)
    at every value evaluated, with its 95% interval, the target line, and the break-even
    value with its 95% interval as a band.
    """
    cur, unit, name = b.get("currency", "USD"), b.get("unit", "number"), b.get("label",
                                                                              b["parameter"])
    curve = b["curve"]
    x = np.array([c["value"] for c in curve])
    mean_target = b["target"] == "mean"
    if mean_target:
        y = np.array([c["mean"] for c in curve])
        half = _half(curve)
    else:
        y = np.array([c["prob_loss"] for c in curve]) * 100
        half = Z95 * np.array([c["prob_loss_stderr"] for c in curve]) * 100
    goal = b["value"] * (1 if mean_target else 100)
    root = b["breakeven"]
    lo, hi = b["ci95"]
    fig, ax = s.figure()
    s.style_axes(ax, "y")
    if np.isfinite(lo) and np.isfinite(hi):
        ax.axvspan(lo, hi, color=s.SERIES[1], alpha=0.25, linewidth=0, zorder=1,
                   label="95% interval of the break-even")
    ax.fill_between(x, y - half, y + half, color=s.SAVING, alpha=0.25, linewidth=0, zorder=2,
                    label="95% interval of the statistic")
    ax.plot(x, y, color=s.SAVING, linewidth=2.2, marker="o", markersize=5, zorder=3,
            label="Mean net savings" if mean_target else "Chance of a net loss")
    ax.axhline(goal, color=s.TEXT, linewidth=1.0, linestyle=":", zorder=2,
               label="Target")
    ax.axvline(root, color=s.TEXT, linewidth=1.6, linestyle="--", zorder=4)
    ax.plot([root], [goal], "o", color=s.TEXT, markersize=8, zorder=5)
    ax.annotate(f"{format_value(root, unit, cur)}\n(95%: {format_value(lo, unit, cur)} to "
                f"{format_value(hi, unit, cur)})", (root, goal), xytext=(8, 8),
                textcoords="offset points", fontsize=s.NOTE_SIZE, fontweight="bold",
                color=s.TEXT, bbox={"boxstyle": "round,pad=0.25", "facecolor": "white",
                                    "edgecolor": "none", "alpha": 0.9}, zorder=6)
    ax.xaxis.set_major_formatter(_axis_formatter(unit, cur))
    if mean_target:
        ax.yaxis.set_major_formatter(s.money_formatter(cur))
        ylabel = f"Mean net savings over {s.years(b.get('horizon_years', 1))}"
        stat = f"mean net savings reach {s.format_money(b['value'], cur)}"
    else:
        ax.yaxis.set_major_formatter(s.percent_formatter())
        ylabel = "Chance of a net loss"
        stat = f"the chance of a net loss reaches {s.format_percent(b['value'])}"
    s.axis_labels(ax, s.wrap_to_width(name, fig.get_figwidth() - 2.6, s.LABEL_SIZE), ylabel)
    ax.legend(loc="best", frameon=False, fontsize=s.NOTE_SIZE)
    finding = f"{stat} at {name} = {format_value(root, unit, cur)}"
    s.titles(ax, finding[0].upper() + finding[1:],
             f"{b['scenario']} · {b['trials']:,} trials an evaluation · common random numbers "
             f"· seed {b['seed']}")
    return fig


def _tick(v: float) -> str:
    """A parameter value for an axis: 30,000 / 0.105 / 38,333."""
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"


def chart_for(key: str, analysis: dict[str, Any]) -> Figure:
    """The chart of a saved analysis: ``sweep`` (line for one parameter, heatmap for two)
    or ``breakeven``.
    """
    if key == "breakeven":
        return plot_breakeven(analysis)
    if len(analysis["parameters"]) == 1:
        return plot_sweep_line(analysis)
    return plot_sweep_heatmap(analysis)
