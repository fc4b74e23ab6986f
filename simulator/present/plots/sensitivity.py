"""Charts of what drives net savings: tornado, contribution to variance, tail drivers.

They draw the dictionaries :func:`simulator.analysis.sensitivity.analyze` returns, never trials.
Inputs are named by their plain labels (the assumptions table's,
:mod:`simulator.scenario.labels`), wrapped over up to three lines rather than cut short; an
analysis written before labels existed falls back to the parameter paths.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from simulator.present.formatting import format_value
from simulator.present.plots import style as s
from simulator.scenario.labels import wrap

TOP = 12  #: bars shown at most; the rest are listed in sensitivity.json
LABEL_WIDTH = 40  #: characters per line of a bar's label
_LINE_IN = 0.17  #: inches per line of a NOTE_SIZE label


def _label(row: dict[str, Any], key: str = "input") -> str:
    return row.get("label") or row.get(key) or row.get("name", "")


def _subtitle(a: dict[str, Any], trials: int) -> str:
    return f"{a['scenario']} · {trials:,} trials a run · present values in {a['currency']}"


def _bar_figure(labels: list[str]) -> tuple[Figure, Any]:
    """A figure tall enough for every wrapped bar label (at least the house size): bars are
    evenly spaced, so each slot must hold the longest label.
    """
    most = max((label.count("\n") + 1 for label in labels), default=1)
    slot = max(0.4, most * _LINE_IN + 0.12)
    fig, ax = s.figure()
    fig.set_size_inches(s.FIGSIZE[0], max(s.FIGSIZE[1], 2.3 + len(labels) * slot))
    return fig, ax


def plot_tornado(a: dict[str, Any]) -> Figure:
    """Mean net savings with each input at its P10 and P90 (currency units), largest swing on
    top, around the base mean.
    """
    t = a["tornado"]
    rows = t["rows"][:TOP][::-1]  # barh draws bottom-up
    labels = [wrap(_label(r), LABEL_WIDTH) for r in rows]
    fig, ax = _bar_figure(labels)
    s.style_axes(ax, "x")
    base = t["base_mean"]
    y = np.arange(len(rows))
    for i, r in enumerate(rows):
        for value, colour, label in ((r["mean_at_p10"], s.SERIES[1], "Input at its P10"),
                                     (r["mean_at_p90"], s.SERIES[0], "Input at its P90")):
            ax.barh(i, value - base, left=base, color=colour, height=0.6,
                    label=label if i == 0 else None)
    ax.axvline(base, color=s.TEXT, linewidth=1.2)
    ax.set_yticks(y, labels, fontsize=s.NOTE_SIZE)
    ax.xaxis.set_major_formatter(s.money_formatter(a["currency"]))
    s.axis_labels(ax, f"Mean net savings over {s.years(a['horizon_years'])} (present value)")
    if rows:
        ax.legend(loc="lower right", frameon=False, fontsize=s.NOTE_SIZE)
        top = t["rows"][0]
        title = (f"{_label(top)} moves mean net savings by "
                 f"{s.format_money(top['swing'], a['currency'])} between its P10 and P90")
    else:
        title = "No uncertain inputs: nothing to swing"
    s.titles(ax, title, _subtitle(a, t["trials"]))
    return fig


def _row_label(r: dict[str, Any]) -> str:
    if r.get("label"):
        return r["label"]
    return r["name"] + (" (total)" if r["kind"] == "component" else "")


def _ranked_bars(a: dict[str, Any], key: str, xlabel: str, title: str, fmt,
                 by_sign: bool) -> Figure:
    d = a["drivers"]
    rows = sorted(d["rows"], key=lambda r: abs(r[key]), reverse=True)[:TOP][::-1]
    labels = [wrap(_row_label(r), LABEL_WIDTH) for r in rows]
    fig, ax = _bar_figure(labels)
    s.style_axes(ax, "x")
    values = np.array([r[key] for r in rows])
    # By sign when the sign says which way net savings move; else one neutral colour.
    colours = [s.LOSS if v < 0 else s.SAVING for v in values] if by_sign else s.SERIES[1]
    ax.barh(np.arange(len(rows)), values, color=colours, height=0.6)
    ax.axvline(0.0, color=s.TEXT, linewidth=1.0)
    ax.set_yticks(np.arange(len(rows)), labels, fontsize=s.NOTE_SIZE)
    ax.xaxis.set_major_formatter(fmt)
    s.axis_labels(ax, xlabel)
    s.titles(ax, title, _subtitle(a, d["trials_used"]))
    return fig


def plot_drivers(a: dict[str, Any]) -> Figure:
    """Contribution to variance of net savings (squared rank correlations normalised to 100%,
    signed), inputs and component totals, largest first.
    """
    rows = a["drivers"]["rows"]
    if rows:
        top = max(rows, key=lambda r: abs(r["contribution_to_variance"]))
        title = (f"{_row_label(top)} drives "
                 f"{s.format_percent(abs(top['contribution_to_variance']))} of the variation "
                 "in net savings")
    else:
        title = "Nothing varies: no drivers"
    return _ranked_bars(a, "contribution_to_variance",
                        "Contribution to variance (sign: direction of the effect)", title,
                        FuncFormatter(lambda v, _: f"{v:.0%}"), by_sign=True)


def tail_words(row: dict[str, Any], currency: str, alpha: float) -> str:
    """What the worst trials have in common, in the input's own unit: "in the worst 5% of
    trials, Client data breach at the provider: total loss averages $1.20M, against $108K
    over all trials".
    """
    unit = row.get("unit", "number")
    return (f"in the worst {alpha:.0%} of trials, {_row_label(row)} averages "
            f"{format_value(row['tail_mean'], unit, currency)}, against "
            f"{format_value(row['mean'], unit, currency)} over all trials")


def plot_tail_drivers(a: dict[str, Any]) -> Figure:
    """How far each input and component sits from its usual value in the worst trials, in
    standard deviations; the title says it for the first in the input's own unit.
    """
    d = a["drivers"]
    rows = d["rows"]
    pct = f"{d['alpha']:.0%}"
    if rows:
        top = max(rows, key=lambda r: abs(r["tail_shift_sd"]))
        words = tail_words(top, a["currency"], d["alpha"])
        title = words[0].upper() + words[1:]
    else:
        title = "Nothing varies: no tail drivers"
    return _ranked_bars(a, "tail_shift_sd",
                        f"How far from its average in the worst {pct} of trials (in standard "
                        "deviations)", title, FuncFormatter(lambda v, _: f"{v:+.1f}"),
                        by_sign=False)


CHARTS = {"tornado": plot_tornado, "drivers": plot_drivers, "tail_drivers": plot_tail_drivers}
