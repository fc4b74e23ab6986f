"""Charts of a comparison of options: overlaid S-curves, a box per option, and the per-trial
difference of each pair. They draw a :class:`~simulator.analysis.compare.CompareChartData` (quantile
grids, box statistics and histogram counts), never trials.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MultipleLocator

from simulator.present.plots import style as s
from simulator.results.mcerror import Z95

if TYPE_CHECKING:
    from simulator.analysis.compare import CompareChartData, OptionCurve
    from simulator.results.chartdata import ChartData

BOX_WHISKERS = (5, 95)  #: percentiles the box plot's whiskers reach


def _short(name: str, width: int = 60) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def _colour(i: int) -> str:
    return s.SERIES[i % len(s.SERIES)]


def _horizon(cd: CompareChartData) -> str:
    h = set(cd.horizon_years)
    return f"over {s.years(h.pop())}" if len(h) == 1 else "over each option's horizon"


def _context(cd: CompareChartData) -> str:
    return (f"{len(cd.options)} options · {cd.trials:,} trials each, on common random numbers "
            f"· present values in {cd.currency}")


def _dominates(a: OptionCurve, b: OptionCurve) -> bool:
    """Whether ``a``'s quantiles are at least ``b``'s at every level (a's S-curve is never
    left of b's): first-order stochastic dominance, as far as the grids show.
    """
    return bool(np.all(a.quantile_values >= b.quantile_values))


def plot_compare_scurves(cd: CompareChartData) -> Figure:
    """P(net savings >= x) in % against x (currency units), one line per option, with the loss
    side shaded; the title names the option with the highest mean and whether it is ahead at
    every level of confidence.
    """
    fig, ax = s.figure()
    s.style_axes(ax, "y")
    lo, hi = 0.0, 0.0
    for o in cd.options:
        # P1 to P99.5: a rare-disaster tail would otherwise flatten every curve.
        q_lo, q_hi = np.interp((0.01, 0.995), o.quantile_levels, o.quantile_values)
        lo, hi = min(lo, q_lo, o.p5), max(hi, q_hi, o.p95)
    pad = 0.03 * (hi - lo or 1.0)
    xlim = (lo - pad, hi + pad)
    ax.set_xlim(xlim)
    ax.axvspan(xlim[0], 0.0, color=s.LOSS, alpha=0.08, linewidth=0, zorder=1)
    ax.axvline(0.0, color=s.TEXT, linewidth=1.2, zorder=3)
    if -xlim[0] / (xlim[1] - xlim[0]) > 0.06:
        ax.annotate("Loss", (0, 0), xycoords="axes fraction", xytext=(8, 8),
                    textcoords="offset points", ha="left", va="bottom", color=s.LOSS,
                    fontsize=s.NOTE_SIZE, fontweight="bold")
    for i, o in enumerate(cd.options):
        levels, values = o.quantile_levels, o.quantile_values
        x = np.concatenate(([min(xlim[0], values[0])], values, [max(xlim[1], values[-1])]))
        y = np.concatenate(([100.0], (1.0 - levels) * 100.0, [0.0]))
        ax.plot(x, y, color=_colour(i), linewidth=2.5, zorder=4 + i * 0.01,
                label=f"{_short(o.name)}: mean {s.format_money(o.mean, cd.currency)}, "
                      f"{s.format_percent(o.prob_loss)} chance of a loss")
        # Where the curve meets zero: the chance of saving money.
        ax.plot([0.0], [(1.0 - o.prob_loss) * 100.0], "o", color=_colour(i), markersize=7,
                markeredgecolor="white", zorder=5)
    ax.set_ylim(0.0, 102.0)
    ax.xaxis.set_major_formatter(s.money_formatter(cd.currency))
    ax.yaxis.set_major_locator(MultipleLocator(25))
    ax.yaxis.set_major_formatter(s.percent_formatter())
    s.axis_labels(ax, f"Net savings {_horizon(cd)} (present value)",
                  "Chance of saving at least this")
    fig.legend(loc="outside lower center", ncols=1, frameon=False, fontsize=s.NOTE_SIZE,
               handlelength=1.6)

    order = sorted(range(len(cd.options)), key=lambda k: -cd.options[k].mean)
    best, rest = cd.options[order[0]], [cd.options[k] for k in order[1:]]
    m = s.format_money(best.mean, cd.currency)
    m2 = s.format_money(rest[0].mean, cd.currency)
    others = "the others" if len(rest) > 1 else _short(rest[0].name)
    versus = f"{m} vs {m2}" + (f" for {_short(rest[0].name)}" if len(rest) > 1 else "")
    verdicts = {(h.a, h.b): h.dominance for h in cd.pairs}

    def dominates(a: OptionCurve, b: OptionCurve) -> bool:
        verdict = verdicts.get((a.name, b.name)) or {"a": "b", "b": "a"}.get(
            verdicts.get((b.name, a.name), ""), "")
        return verdict == "a" if verdict else _dominates(a, b)

    if all(dominates(best, o) for o in rest):
        title = (f"{_short(best.name)} saves more than {others} at every level of confidence: "
                 f"mean {versus}")
    else:
        title = (f"{_short(best.name)} has the highest expected savings ({versus}), "
                 "but the curves cross")
    s.titles(ax, title, _context(cd))
    return fig


def box_stats(o: OptionCurve) -> dict:
    """``Axes.bxp`` statistics of one option from its percentiles: box P25-P75, median line,
    whiskers at :data:`BOX_WHISKERS`, the mean, no outliers.
    """
    levels = np.array(BOX_WHISKERS) / 100.0
    lo, hi = np.interp(levels, o.quantile_levels, o.quantile_values)
    return {"label": _short(o.name, 34), "med": o.p50, "q1": o.p25, "q3": o.p75,
            "whislo": float(lo), "whishi": float(hi), "mean": o.mean, "fliers": []}


def plot_compare_boxes(cd: CompareChartData) -> Figure:
    """One horizontal box per option (first option on top): P25-P75 box, median line,
    P5-P95 whiskers, mean diamond; currency units on x, zero marked.
    """
    fig, ax = s.figure()
    s.style_axes(ax, "x")
    k = len(cd.options)
    stats = [box_stats(o) for o in cd.options][::-1]  # bxp draws bottom-up
    pos = np.arange(1, k + 1)
    artists = ax.bxp(stats, positions=pos, orientation="horizontal", widths=0.5,
                     showmeans=True, meanline=False, showfliers=False, patch_artist=True,
                     medianprops={"color": s.TEXT, "linewidth": 2.2},
                     whiskerprops={"color": s.MUTED, "linewidth": 1.4},
                     capprops={"color": s.MUTED, "linewidth": 1.4},
                     meanprops={"marker": "D", "markerfacecolor": "white",
                                "markeredgecolor": s.TEXT, "markersize": 7})
    for box, i in zip(artists["boxes"], range(k - 1, -1, -1), strict=False):
        box.set(facecolor=_colour(i), alpha=0.85, edgecolor=s.TEXT, linewidth=0.8)
    ax.axvline(0.0, color=s.TEXT, linewidth=1.2, zorder=1)
    lo = min(0.0, *(st["whislo"] for st in stats))
    hi = max(0.0, *(st["whishi"] for st in stats))
    span = hi - lo or 1.0
    ax.set_xlim(lo - 0.16 * span, hi + 0.16 * span)
    ax.set_ylim(0.4, k + 0.6)
    for p, st in zip(pos, stats, strict=False):  # the figures a reader wants, beside each box
        for x, ha, dx in ((st["whislo"], "right", -6), (st["whishi"], "left", 6)):
            ax.annotate(s.format_money(x, cd.currency), (x, p), xytext=(dx, 0),
                        textcoords="offset points", ha=ha, va="center",
                        fontsize=s.NOTE_SIZE, color=s.MUTED)
        ax.annotate(f"median {s.format_money(st['med'], cd.currency)}", (st["med"], p + 0.25),
                    xytext=(0, 3), textcoords="offset points", ha="center", va="bottom",
                    fontsize=s.NOTE_SIZE, color=s.TEXT, fontweight="bold")
    ax.tick_params(axis="y", length=0, labelsize=s.LABEL_SIZE)
    ax.xaxis.set_major_formatter(s.money_formatter(cd.currency))
    s.axis_labels(ax, f"Net savings {_horizon(cd)} (present value)")
    handles = [Patch(facecolor=s.MUTED, alpha=0.5, label="Middle half (P25 to P75)"),
               Line2D([], [], color=s.TEXT, linewidth=2.2, label="Median"),
               Line2D([], [], linestyle="none", marker="D", markerfacecolor="white",
                      markeredgecolor=s.TEXT, label="Mean"),
               Line2D([], [], color=s.MUTED, linewidth=1.4,
                      label=f"Whiskers: P{BOX_WHISKERS[0]} to P{BOX_WHISKERS[1]}")]
    fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False,
               fontsize=s.NOTE_SIZE, handlelength=1.4)
    best = max(cd.options, key=lambda o: o.p50)
    spread = sorted((st["whishi"] - st["whislo"], i) for i, st in enumerate(stats[::-1]))
    title = (f"{_short(best.name)} has the highest median net savings, "
             f"{s.format_money(best.p50, cd.currency)}")
    # Say so only when the best is clearly (10%) the most spread out.
    if k > 1 and cd.options[spread[-1][1]] is best and spread[-1][0] > 1.1 * spread[-2][0]:
        title += f", but also the widest P{BOX_WHISKERS[0]}-P{BOX_WHISKERS[1]} range"
    s.titles(ax, title, _context(cd))
    return fig


def _split_at_zero(edges: np.ndarray, share: np.ndarray):
    """The histogram's parts left and right of zero, as (values, edges) for ``Axes.stairs``;
    a bin that straddles zero is split at zero (None for an empty side).
    """
    left = right = None
    n = int(np.count_nonzero(edges[:-1] < 0))  # bins that start below zero
    if n:
        left = share[:n], np.minimum(edges[: n + 1], 0.0)
    m = int(np.count_nonzero(edges[1:] > 0))  # bins that end above zero
    if m:
        right = share[-m:], np.maximum(edges[-m - 1:], 0.0)
    return left, right


def plot_difference(cd: CompareChartData, pair: int = 0) -> Figure:
    """Histogram of option A's net savings minus option B's, trial by trial (currency units),
    with the side where A is ahead in A's colour and where B is ahead in B's; zero line,
    mean difference marked, P(A beats B) in the title.
    """
    h = cd.pairs[pair]
    names = [o.name for o in cd.options]
    ca, cb = _colour(names.index(h.a)), _colour(names.index(h.b))
    a, b = _short(h.a, 36), _short(h.b, 36)
    fig, ax = s.figure()
    s.style_axes(ax, "y")
    edges = np.asarray(h.edges, dtype=np.float64)
    share = np.asarray(h.counts, dtype=np.float64) / max(cd.trials, 1) * 100.0
    left, right = _split_at_zero(edges, share)
    handles = []
    if right is not None and right[0].sum() > 0:
        ax.stairs(*right, fill=True, color=ca, alpha=0.9, linewidth=0, zorder=2)
        handles.append(Patch(color=ca, label=f"{a} ahead"))
    if left is not None and left[0].sum() > 0:
        ax.stairs(*left, fill=True, color=cb, alpha=0.9, linewidth=0, zorder=2)
        handles.append(Patch(color=cb, label=f"{b} ahead"))
    if h.prob_tie > 0:  # ties drawn apart, as a grey bar one bin wide centred on zero
        width = edges[1] - edges[0]
        ax.bar(0.0, h.prob_tie * 100.0, width=width, color=s.MUTED, alpha=0.8, zorder=2.5)
        handles.append(Patch(color=s.MUTED, alpha=0.8,
                             label=f"Tied ({s.format_percent(h.prob_tie)} of trials)"))
        share = np.append(share, h.prob_tie * 100.0)
    ax.axvline(0.0, color=s.TEXT, linewidth=1.2, zorder=4)
    ax.set_xlim(edges[0], edges[-1])
    top = float(share.max()) if share.size else 1.0
    # Headroom for the mean's label (none when every trial ties).
    ax.set_ylim(0.0, (top or 1.0) * (1.05 if h.prob_tie == 1.0 else 1.3))
    if h.prob_tie < 1.0:
        ax.axvline(h.mean, color=s.TEXT, linestyle="--", linewidth=1.6, zorder=4)
        span = edges[-1] - edges[0]
        right_side = (h.mean - edges[0]) / span < 0.7
        ax.annotate(f"Mean difference {s.format_money(h.mean, cd.currency)}\n"
                    f"{s.format_error(Z95 * h.stderr, cd.currency)} (95%)",
                    (h.mean, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(8 if right_side else -8, -6), textcoords="offset points",
                    ha="left" if right_side else "right", va="top", fontsize=s.NOTE_SIZE,
                    color=s.TEXT, fontweight="bold", zorder=6,
                    bbox={"boxstyle": "round,pad=0.25", "facecolor": "white",
                          "edgecolor": "none", "alpha": 0.9})
    ax.xaxis.set_major_formatter(s.money_formatter(cd.currency))
    ax.yaxis.set_major_formatter(s.percent_formatter())
    s.axis_labels(ax, f"Net savings of {a} minus {b}, per trial", "Share of trials")
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False,
                   fontsize=s.NOTE_SIZE, handlelength=1.2)

    money = s.format_money(abs(h.mean), cd.currency)
    if h.prob_tie == 1.0:
        title = f"{a} and {b} are identical in every trial: the difference is exactly zero"
    else:
        winner = a if h.mean >= 0 else b
        title = (f"{a} beats {b} in {s.format_percent(h.prob_a_beats_b)} of trials; "
                 f"{winner} saves {money} more on average")
    subtitle = (f"Per trial, on common random numbers · {cd.trials:,} trials · present values "
                f"in {cd.currency}")
    if h.below or h.above:
        subtitle += " · middle 99% shown"
    s.titles(ax, title, subtitle)
    return fig


def plot_compare_waterfalls(names: Sequence[str], data: Sequence[ChartData]) -> Figure:
    """One waterfall per option, side by side on one money axis (so bar heights compare):
    mean gross wage savings, each cost category, mean net savings; every option shows the
    same categories in the same order (a category an option lacks is a zero step).
    """
    from simulator.present.plots.waterfall import bridge

    k = len(data)
    cols = min(k, 3)
    rows = -(-k // cols)
    fig = Figure(figsize=(s.FIGSIZE[0], s.FIGSIZE[1] * (1 if rows == 1 else 0.85 * rows)),
                 layout="constrained", facecolor="white")
    s.constrained(fig).set(w_pad=0.08, h_pad=0.1)
    axes = np.atleast_1d(fig.subplots(rows, cols, sharey=True, squeeze=False)).ravel()
    categories = [c for c in dict.fromkeys(c for d in data for c in d.category_costs)]
    levels = []
    colours = {"total": s.SAVING, "cost": s.LOSS, "credit": s.GAIN}
    for i, (name, d) in enumerate(zip(names, data, strict=False)):
        ax = axes[i]
        s.style_axes(ax, "y")
        full = replace_costs(d, {c: d.category_costs.get(c, 0.0) for c in categories})
        steps = bridge(full)
        for j, st in enumerate(steps):
            ax.bar(j, st.height, bottom=st.bottom, width=0.66, color=colours[st.kind], zorder=3)
            levels += [st.bottom, st.end]
            if st.kind == "total":
                ax.annotate(s.format_money(st.height, d.currency), (j, st.end),
                            xytext=(0, 3 if st.height >= 0 else -3), textcoords="offset points",
                            ha="center", va="bottom" if st.height >= 0 else "top",
                            fontsize=s.NOTE_SIZE - 1, fontweight="bold", color=s.TEXT)
        ax.axhline(0.0, color=s.TEXT, linewidth=1.0, zorder=4)
        labels = [st.label.replace("\n", " ") for st in steps]
        ax.set_xticks(range(len(steps)), labels, rotation=55, ha="right",
                      rotation_mode="anchor", fontsize=s.TICK_SIZE - 2.5)
        ax.tick_params(axis="x", length=0)
        ax.set_title(_short(name, 40), loc="left", fontsize=s.LABEL_SIZE, fontweight="bold",
                     color=_colour(i))
        ax.yaxis.set_major_formatter(s.money_formatter(d.currency))
    for ax in axes[k:]:
        ax.set_visible(False)
    lo, hi = min([0.0, *levels]), max([0.0, *levels])
    pad = 0.12 * (hi - lo or 1.0)
    axes[0].set_ylim(lo - (pad if lo < 0 else 0.0), hi + pad)
    axes[0].set_ylabel("Mean, present value", fontsize=s.LABEL_SIZE)
    best = int(np.argmax([d.mean for d in data]))
    title = (f"Where the money goes: {_short(names[best])} keeps the most, "
             f"{s.format_money(data[best].mean, data[best].currency)} of "
             f"{s.format_money(data[best].gross_mean, data[best].currency)} gross wage savings")
    fig.suptitle(s.wrap_to_width(title, fig.get_figwidth() - 0.4, s.TITLE_SIZE, "bold"),
                 x=0.01, ha="left", fontsize=s.TITLE_SIZE, fontweight="bold", color=s.TEXT)
    fig.supxlabel("Blue: gross wage savings and net savings · orange: the mean cost of each "
                  "category · green: a credit · present values", x=0.01, ha="left",
                  fontsize=s.SUBTITLE_SIZE, color=s.MUTED)
    return fig


def replace_costs(d: ChartData, costs: dict[str, float]) -> ChartData:
    """``d`` with its category costs replaced (the same categories for every option)."""
    from dataclasses import replace

    return replace(d, category_costs=costs)


def plot_compare_exceedance(names: Sequence[str], data: Sequence[ChartData]) -> Figure:
    """The loss exceedance of all risk events of each option, overlaid on log-log axes (the
    chance that the risk events cost more than x over the horizon).
    """
    from matplotlib.ticker import LogLocator

    from simulator.present.plots.exceedance import ALL_RISKS, _positive, _threshold_at
    from simulator.present.plots.ticks import minor_tick_marks

    fig, ax = s.figure()
    s.style_axes(ax, "y")
    drawn, lows, highs, floors = [], [], [], []
    for i, (name, d) in enumerate(zip(names, data, strict=False)):
        if ALL_RISKS not in d.exceedance:
            continue
        t, p = _positive(*d.exceedance[ALL_RISKS])
        if not t.size:
            continue
        ax.plot(t, p * 100, color=_colour(i), linewidth=2.5, label=_short(name))
        drawn.append((name, d, t, p))
        lows.append(max(t.min(), t.max() * 1e-4))
        highs.append(t.max())
        floors.append(max(min(p.min(), 1.0 / max(d.trials, 1)) * 100, 1e-3))
    if not drawn:
        ax.set_axis_off()
        ax.text(0.5, 0.5, "No risk event caused a loss in any option", transform=ax.transAxes,
                ha="center", va="center", fontsize=s.LABEL_SIZE + 2, color=s.MUTED)
        s.titles(ax, "Risk events: no losses in any option", _context_names(data))
        return fig
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(min(lows) / 1.2, max(highs) * 1.2)
    ax.set_ylim(min(floors) / 1.5, 130.0)
    ax.xaxis.set_major_locator(LogLocator(base=10))
    ax.xaxis.set_major_formatter(s.money_formatter(data[0].currency))
    minor_tick_marks(ax.xaxis)
    ax.yaxis.set_major_locator(LogLocator(base=10))
    ax.yaxis.set_major_formatter(s.log_percent_formatter())
    minor_tick_marks(ax.yaxis)
    s.axis_labels(ax, "Loss from risk events over the horizon (present value, log scale)",
                  "Chance of losing more (log scale)")
    ax.legend(loc="lower left", frameon=True, facecolor="white", edgecolor="none",
              framealpha=0.9, fontsize=s.NOTE_SIZE)
    worst = [(float(_threshold_at(t, p, 0.01)) if p[0] > 0.01 else 0.0, name)
             for name, d, t, p in drawn]
    amount, name = max(worst)
    title = (f"Risk events: {_short(name)} has the heaviest tail, a 1 in 100 chance of "
             f"costing more than {s.format_money(amount, data[0].currency)}" if amount > 0 else
             "Risk events: no option has a 1 in 100 chance of any loss")
    s.titles(ax, title, _context_names(data))
    return fig


def _context_names(data: Sequence[ChartData]) -> str:
    return (f"{len(data)} options · {data[0].trials:,} trials each, on common random numbers "
            f"· present values in {data[0].currency}")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:40] or "option"


def difference_stems(names: Sequence[str], keys: Sequence[str] | None = None) -> list[str]:
    """File stems of the pairs' difference charts, in pair order (i < j):
    ``difference_<a>_vs_<b>`` from each option's key (default its slugged name), with a
    suffix where two pairs would share one.
    """
    import itertools

    keys = [_slug(k) for k in (keys or names)]
    out: list[str] = []
    for n, (i, j) in enumerate(itertools.combinations(range(len(names)), 2)):
        stem = f"difference_{keys[i]}_vs_{keys[j]}"
        out.append(stem if stem not in out else f"{stem}_{n + 1}")
    return out


def write_compare_charts(cd: CompareChartData, out_dir: Path,
                         keys: Sequence[str] | None = None,
                         formats: Iterable[str] = ("png", "svg"),
                         dpi: int = 150,
                         option_data: Sequence[ChartData] | None = None
                         ) -> dict[str, list[Path]]:
    """Write ``s_curves``, ``box_plot`` and one ``difference_<a>_vs_<b>`` chart per pair to
    ``out_dir`` (``keys``: a short file-name key per option, default their slugged names),
    and with each option's :class:`~simulator.results.chartdata.ChartData` (``option_data``) the
    side-by-side ``waterfalls`` and the overlaid ``loss_exceedance``; returns
    ``{stem: [paths]}``.
    """
    formats = tuple(formats)
    names = [o.name for o in cd.options]
    out = {"s_curves": s.save(plot_compare_scurves(cd), out_dir, "s_curves", formats, dpi),
           "box_plot": s.save(plot_compare_boxes(cd), out_dir, "box_plot", formats, dpi)}
    for i, stem in enumerate(difference_stems(names, keys)):
        out[stem] = s.save(plot_difference(cd, i), out_dir, stem, formats, dpi)
    if option_data is not None:
        names = [o.name for o in cd.options]
        out["waterfalls"] = s.save(plot_compare_waterfalls(names, option_data), out_dir,
                                   "waterfalls", formats, dpi)
        out["loss_exceedance"] = s.save(plot_compare_exceedance(names, option_data), out_dir,
                                        "loss_exceedance", formats, dpi)
    return out
