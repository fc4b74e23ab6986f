"""Histogram of net savings, drawn from the precomputed bins (never re-binned)."""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from simulator.present.plots import style as s
from simulator.results.chartdata import ChartData

LOSS_GID = "loss-region"  #: gid of the shaded loss area, for tests and SVG post-processing
_ROW = 0.085  #: height of one row of marker labels, axes fraction


def loss_region(edges: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The part of a histogram below zero: ``(values, edges)`` of every bin that starts below
    zero, the edge of a bin that straddles zero clipped to 0; None if no bin starts below zero.
    """
    n = int(np.count_nonzero(edges[:-1] < 0))
    if n == 0:
        return None
    return values[:n], np.minimum(edges[: n + 1], 0.0)


def _label_rows(xs: list[float], widths: list[float]) -> list[int]:
    """Rows for labels centred at axes fractions ``xs`` with ``widths``, placed in the given
    (priority) order each in the first row where it overlaps no label; returns rows (0 = top).
    """
    placed: list[list[tuple[float, float]]] = []  # per row, (left, right) of its labels
    rows = []
    for x, w in zip(xs, widths, strict=False):
        left, right = x - w / 2, x + w / 2
        row = next((r for r, spans in enumerate(placed)
                    if all(right < a or left > b for a, b in spans)), len(placed))
        if row == len(placed):
            placed.append([])
        placed[row].append((left, right))
        rows.append(row)
    return rows


def _mark_lines(ax: Axes, d: ChartData, xlim: tuple[float, float]) -> int:
    """Vertical lines for mean, P5, P50, P95 with money labels stacked in rows at the top of
    the axes; returns the number of rows used.
    """
    marks = [  # label, x, line style, bold; in order of priority for the top row
        ("Mean", d.mean, "-", True), ("P50", d.p50, "--", False),
        ("P5", d.p5, ":", False), ("P95", d.p95, ":", False),
    ]
    span = xlim[1] - xlim[0]
    axes_width_in = s.FIGSIZE[0] - 1.4  # figure width less y axis and margins, roughly
    texts = [f"{name} {s.format_money(x, d.currency)}" for name, x, _, _ in marks]
    widths = [(len(t) * (0.62 if bold else 0.56) * s.NOTE_SIZE / 72 + 0.12) / axes_width_in
              for t, (_, _, _, bold) in zip(texts, marks, strict=False)]
    xs = [(x - xlim[0]) / span for _, x, _, _ in marks]
    rows = _label_rows(xs, widths)
    for (_, x, ls, bold), text, frac, w, row in zip(marks, texts, xs, widths, rows,
                                                    strict=False):
        ax.axvline(x, color=s.TEXT if bold else s.MUTED, linestyle=ls,
                   linewidth=2.2 if bold else 1.4, zorder=3)
        frac = min(max(frac, w / 2), 1 - w / 2)  # keep the label inside the axes
        ax.text(frac, 0.98 - row * _ROW, text, transform=ax.transAxes, ha="center", va="top",
                fontsize=s.NOTE_SIZE, color=s.TEXT, fontweight="bold" if bold else "normal",
                bbox={"boxstyle": "round,pad=0.25", "facecolor": "white",
                      "edgecolor": "none", "alpha": 0.9}, zorder=5)
    return max(rows) + 1


def plot_distribution(d: ChartData) -> Figure:
    """Histogram of net savings (currency units, present value) with the loss area shaded,
    a zero line, and mean / P5 / P50 / P95 marked; y is the share of all trials per bin (%).
    """
    fig, ax = s.figure()
    s.style_axes(ax, "y")
    edges = np.asarray(d.hist_edges, dtype=np.float64)
    share = np.asarray(d.hist_counts, dtype=np.float64) / max(d.trials, 1) * 100.0

    ax.stairs(share, edges, fill=True, color=s.SAVING, alpha=0.85, linewidth=0, zorder=2)
    handles = [Patch(color=s.SAVING, alpha=0.85, label="Net saving")]
    loss = loss_region(edges, share)
    if loss is not None:
        ax.stairs(*loss, fill=True, color=s.LOSS, linewidth=0, zorder=2.5, gid=LOSS_GID)
        handles.append(Patch(color=s.LOSS,
                             label=f"Net loss ({s.format_percent(d.prob_loss)} of trials)"))
    ax.axvline(0.0, color=s.TEXT, linewidth=1.0, zorder=4)

    marks = (edges[0], edges[-1], 0.0, d.mean, d.p5, d.p95)
    lo, hi = min(marks), max(marks)
    pad = 0.02 * (hi - lo or 1.0)
    xlim = (lo - pad, hi + pad)
    ax.set_xlim(xlim)
    rows = _mark_lines(ax, d, xlim)
    top = float(share.max()) if share.size else 1.0
    ax.set_ylim(0.0, (top or 1.0) / (1.0 - rows * _ROW - 0.05))

    ax.xaxis.set_major_formatter(s.money_formatter(d.currency))
    ax.yaxis.set_major_formatter(s.percent_formatter())
    s.axis_labels(ax, f"Net savings over {s.years(d.horizon_years)} (present value)",
                  "Share of trials")
    fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False,
               fontsize=s.NOTE_SIZE, handlelength=1.2)
    loss_text = (f"{s.format_percent(d.prob_loss)} chance of a loss" if d.prob_loss > 0
                 else f"no loss in {d.trials:,} trials")
    s.titles(ax, f"Net savings over {s.years(d.horizon_years)}: mean "
             f"{s.format_money(d.mean, d.currency)}; {loss_text}", s.context_line(d))
    return fig
