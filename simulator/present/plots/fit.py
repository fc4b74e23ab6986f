"""The fit chart of ``kposim fit``: the sample's histogram with the fitted densities (or, for
counts, observed shares with the fitted probabilities), and a Q-Q plot of the best fit.
"""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from simulator.analysis.fit import FitReport
from simulator.present.plots import style as s

SHOWN = 4  #: fitted families drawn over the histogram at most (best first)


def _bins(n: int) -> int:
    # Freedman-Diaconis would be noisy for small samples; sqrt(n) capped keeps bars readable.
    return int(min(max(np.sqrt(n), 12), 60))


def plot_fit(report: FitReport, label: str = "value") -> Figure:
    """Left: histogram of the sample (density, or share per count) with the ``SHOWN`` best
    fits; right: sample quantiles against the best fit's quantiles at (i - 0.5) / n.
    """
    fig = Figure(figsize=s.FIGSIZE, layout="constrained", facecolor="white")
    s.constrained(fig).set(w_pad=0.12, h_pad=0.1)
    left, right = fig.subplots(1, 2, width_ratios=[1.6, 1.0])
    x = report.sample
    counts = report.kind == "counts"
    fits = report.fits[:SHOWN]

    s.style_axes(left, "y")
    if counts:
        ks = np.arange(int(x.max()) + 1)
        share = np.bincount(x.astype(np.int64), minlength=ks.size) / x.size
        left.bar(ks, share, width=0.8, color=s.MUTED, alpha=0.45, label="observed", zorder=2)
        for f, colour in zip(fits, s.SERIES, strict=False):
            left.plot(ks, f.frozen.pmf(ks), "o-", color=colour, linewidth=1.6, markersize=4,
                      label=f.family, zorder=3)
        s.axis_labels(left, label, "share of periods")
    else:
        left.hist(x, bins=_bins(x.size), density=True, color=s.MUTED, alpha=0.45,
                  label="observed", zorder=2)
        lo, hi = float(x.min()), float(x.max())
        grid = np.linspace(lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo), 400)
        for f, colour in zip(fits, s.SERIES, strict=False):
            left.plot(grid, f.frozen.pdf(grid), color=colour, linewidth=2.0, label=f.family,
                      zorder=3)
        s.axis_labels(left, label, "density")
        left.set_yticks([])  # density units (1 / value) mean nothing to a reader; shape does
        left.xaxis.set_major_formatter(s.count_formatter())
    left.legend(frameon=False, fontsize=s.NOTE_SIZE)
    left.set_title("Sample and fitted distributions", loc="left", fontsize=s.SUBTITLE_SIZE,
                   color=s.MUTED)

    best = report.best
    s.style_axes(right, "both")
    theory = best.frozen.ppf((np.arange(1, x.size + 1) - 0.5) / x.size)
    right.scatter(theory, x, s=12, color=s.SERIES[0], zorder=3)
    ends = [min(theory.min(), x.min()), max(theory.max(), x.max())]
    right.plot(ends, ends, color=s.TEXT, linewidth=1.0, zorder=2)
    s.axis_labels(right, f"{best.family} quantile", "sample quantile")
    right.xaxis.set_major_formatter(s.count_formatter())
    right.yaxis.set_major_formatter(s.count_formatter())
    right.set_title(f"Q-Q plot of the best fit ({best.family})", loc="left",
                    fontsize=s.SUBTITLE_SIZE, color=s.MUTED)

    p = "" if best.p_value is None else f", bootstrap KS p = {best.p_value:.3f}"
    fig.suptitle(f"{best.family} fits {report.n:,} values best (lowest AIC){p}",
                 x=0.01, ha="left", fontsize=s.TITLE_SIZE, fontweight="bold", color=s.TEXT)
    return fig
