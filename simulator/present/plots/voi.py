"""What is worth finding out before deciding: the expected value of perfect information about
each input (EVPPI) as bars, with the EVPI (everything at once) as a reference line.

Drawn from the dictionary :func:`simulator.analysis.voi.analyze` returns (``voi.json``), never from
trials.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from simulator.present.plots import style as s
from simulator.results.mcerror import Z95
from simulator.scenario.labels import wrap

TOP = 12  #: bars shown at most; the rest are in voi.json


def plot_voi(v: dict[str, Any]) -> Figure:
    """EVPPI of each input (currency, present value) with its 95% interval, largest on top;
    the EVPI as a dashed line, and a pilot's value where one was analysed.
    """
    cur = v["currency"]
    worth = [r for r in v["inputs"] if r["value"] > 1e-3 * v["evpi"]["value"]]
    rows = (worth or v["inputs"])[:TOP][::-1]
    nothing = len(v["inputs"]) - len(worth)
    fig, ax = s.figure()
    s.style_axes(ax, "x")
    y = np.arange(len(rows))
    values = np.array([r["value"] for r in rows])
    err = Z95 * np.array([r["stderr"] for r in rows])
    ax.barh(y, values, xerr=err, color=s.SERIES[1], height=0.6, capsize=3,
            error_kw={"ecolor": s.MUTED})
    ax.set_yticks(y, [wrap(r.get("label") or r["input"], 40) for r in rows],
                  fontsize=s.NOTE_SIZE)
    evpi = v["evpi"]["value"]
    ax.axvline(evpi, color=s.LOSS, linestyle="--", linewidth=1.2,
               label=f"Everything known (EVPI) {s.format_money(evpi, cur)}")
    pilot = v.get("pilot")
    if pilot:
        ax.axvline(pilot["value"]["value"], color=s.SAVING, linestyle=":", linewidth=1.5,
                   label=f"A {pilot['pilot_years']:g}-year pilot, net of its cost "
                         f"{s.format_money(pilot['value']['value'], cur)}")
    ax.set_xlim(left=0)
    ax.xaxis.set_major_formatter(s.money_formatter(cur))
    s.axis_labels(ax, "Expected value of knowing it before deciding (present value)")
    ax.legend(loc="lower right", frameon=False, fontsize=s.NOTE_SIZE)
    if worth:
        name = worth[0].get("label") or worth[0]["input"]
        title = (f"Most worth finding out: {name} "
                 f"({s.format_money(worth[0]['value'], cur)})")
    else:
        title = "No single input is worth finding out before deciding"
    note = f"; {nothing} more inputs worth (about) nothing" if worth and nothing else ""
    s.titles(ax, title, f"Decide now: {v['decision_now']} · {v['trials']:,} trials{note}")
    return fig


CHARTS = {"voi": plot_voi}
