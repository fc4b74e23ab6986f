"""Expected-value waterfall from gross wage savings, through each cost category, to net savings."""
from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple, Protocol

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from simulator.present.plots import style as s
from simulator.results.chartdata import ChartData

_RESIDUAL_SHARE = 0.005  #: show a "Not itemised" step if the bridge misses by more than this


class Step(NamedTuple):
    """One bar: ``bottom`` and signed ``height`` in currency units; kind is total/cost/credit."""

    key: str
    label: str
    bottom: float
    height: float
    kind: str

    @property
    def end(self) -> float:
        """Where the bar ends: ``bottom + height``."""
        return self.bottom + self.height


class Totals(Protocol):
    """What :func:`bridge` reads: a :class:`ChartData`, or any object with these figures."""

    @property
    def gross_mean(self) -> float:
        """Mean gross wage savings."""
        ...

    @property
    def category_costs(self) -> Mapping[str, float]:
        """Mean cost per category, in bridge order (positive = money lost)."""
        ...

    @property
    def mean(self) -> float:
        """Mean net savings."""
        ...


def bridge(d: Totals) -> list[Step]:
    """Bars from ``d.gross_mean`` down (or up, for a negative cost) through ``d.category_costs``
    in order, to ``d.mean``. If the categories do not account for the whole difference (by more
    than 0.5% of the largest amount), a "Not itemised" step closes the bridge.
    """
    costs = dict(d.category_costs)
    residual = d.gross_mean - sum(costs.values()) - d.mean
    scale = max(abs(d.gross_mean), abs(d.mean), *(abs(c) for c in costs.values()), 1e-12)
    if abs(residual) > _RESIDUAL_SHARE * scale:
        costs["not itemised"] = residual
    steps = [Step("gross", "Gross wage\nsavings", 0.0, d.gross_mean, "total")]
    level = d.gross_mean
    for name, cost in costs.items():
        label = name.replace("_", " ").capitalize().replace(" ", "\n")
        steps.append(Step(name, label, level, -cost,
                          "cost" if cost >= 0 else "credit"))
        level -= cost
    steps.append(Step("net", "Net\nsavings", 0.0, d.mean, "total"))
    return steps


def _category_labels(ax: Axes, labels: list[str]) -> None:
    """Bar names under the bars, shrunk (to 9 pt at least) to fit the bar spacing, else slanted."""
    slot_in = (s.FIGSIZE[0] - 1.6) / (len(labels) + 0.2)  # axes width / bars, roughly
    longest = max(len(line) for label in labels for line in label.split("\n"))
    size = min(s.TICK_SIZE, 0.9 * slot_in * 72 / (0.6 * longest))
    slant = size < 9.0
    if slant:
        labels = [label.replace("\n", " ") for label in labels]
    ax.set_xticks(range(len(labels)), labels, fontsize=s.TICK_SIZE if slant else size,
                  rotation=30 if slant else 0, ha="right" if slant else "center",
                  rotation_mode="anchor")
    ax.tick_params(axis="x", length=0, pad=6)


def plot_waterfall(d: ChartData) -> Figure:
    """Waterfall of mean present values (currency units): gross wage savings, one floating bar
    per cost category, net savings; each bar labelled with its amount. Bars may cross zero.
    """
    fig, ax = s.figure()
    s.style_axes(ax, "y")
    steps = bridge(d)
    colours = {"total": s.SAVING, "cost": s.LOSS, "credit": s.GAIN}
    width = 0.62
    for i, st in enumerate(steps):
        ax.bar(i, st.height, bottom=st.bottom, width=width, color=colours[st.kind], zorder=3,
               gid=f"bar-{st.key}")
        if i + 1 < len(steps):  # connector at the running level
            ax.plot([i + width / 2, i + 1 - width / 2], [st.end, st.end], color=s.MUTED,
                    linewidth=1, linestyle=(0, (3, 2)), zorder=2)
        text = s.format_money(st.height, d.currency)
        if st.kind != "total" and st.height > 0:
            text = "+" + text
        up = st.height >= 0  # label beyond the end the bar grows towards
        ax.annotate(text, (i, st.end), xytext=(0, 4 if up else -4), textcoords="offset points",
                    ha="center", va="bottom" if up else "top", fontsize=s.NOTE_SIZE,
                    color=s.TEXT, fontweight="bold" if st.kind == "total" else "normal")
    ax.axhline(0.0, color=s.TEXT, linewidth=1.0, zorder=4)

    ends = [0.0] + [v for st in steps for v in (st.bottom, st.end)]
    lo, hi = min(ends), max(ends)
    pad = 0.1 * (hi - lo or 1.0)
    ax.set_ylim(lo - (pad if lo < 0 else 0.0), hi + pad)
    ax.set_xlim(-0.6, len(steps) - 0.4)
    _category_labels(ax, [st.label for st in steps])
    ax.yaxis.set_major_formatter(s.money_formatter(d.currency))
    s.axis_labels(ax, "", f"Mean over {s.years(d.horizon_years)} (present value)")

    net = s.format_money(d.mean, d.currency)
    if d.gross_mean > 0 and d.mean <= d.gross_mean:
        share = s.format_percent((d.gross_mean - d.mean) / d.gross_mean)
        title = f"Costs and risks absorb {share} of gross wage savings; expected net {net}"
    else:
        title = f"Expected net savings over {s.years(d.horizon_years)}: {net}"
    s.titles(ax, title, s.context_line(d))
    return fig
