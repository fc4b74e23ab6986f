"""Statistics of simulated trials.

The core functions take plain numpy arrays (as SALib's analysis functions do), so they are easy
to test against closed forms; :func:`summarize` and :func:`chart_data` apply them to a
:class:`~simulator.results.result.SimulationResult`.
"""
from __future__ import annotations

import copy
import math
import os
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from simulator.results.chartdata import ChartData
from simulator.results.mcerror import Z95, batch_means, running_batch_half_widths
from simulator.results.rows import GROSS, NET, Rows
from simulator.results import select
from simulator.results.streaming import OVER_SUM, UNDER_SUM
from simulator.results.summary import (
    Band,
    ComponentBand,
    EngagementSummary,
    Headline,
    NetSavings,
    Summary,
)

if TYPE_CHECKING:
    from simulator.results.run import RunRecord
    from simulator.results.streaming import StreamSummary

PERCENTILES = (5, 10, 25, 50, 75, 90, 95)
"""The percentiles of net savings the summary reports (the keys of :class:`NetSavings`)."""
CATEGORY_ORDER = ("transition", "governance", "communication", "quality", "breach",
                  "attrition", "regulatory", "ip", "exit", "other", "controls",
                  "savings_lost_to_early_exit", "recoveries", "in-house_risks_avoided")


PARALLEL_TRIALS = 250_000
"""From this many trials a summary computes its rows' bands on all cores at once (below it,
starting the threads costs about what they save)."""


def expected_shortfall(x: np.ndarray, alpha: float = 0.05, presorted: bool = False) -> float:
    """Mean of the worst (lowest) ``alpha`` share of ``x`` (``presorted``: x is increasing).

    With n values the lowest ``alpha * n`` order statistics are averaged, the boundary one with
    its fractional weight, so the estimate is continuous in alpha (Acerbi and Tasche 2002).
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.size
    if not 0.0 < alpha <= 1.0:
        raise ValueError("alpha must be in (0, 1]")
    m = alpha * n
    k = int(math.floor(m))
    if k >= n:
        return float(x.mean())
    # The k + 1 smallest; low[k] is the (k+1)-th order statistic.
    low = x[: k + 1] if presorted else np.partition(x, k)[: k + 1]
    boundary = low[k]
    total = float(np.sort(low[:k]).sum()) + (m - k) * float(boundary)
    return total / m


def expected_shortfall_stderr(x: np.ndarray, alpha: float = 0.05,
                              presorted: bool = False) -> float:
    """Monte Carlo standard error of :func:`expected_shortfall` (currency units;
    ``presorted``: x is increasing).

    The asymptotic variance of the lower-tail mean is
    ``(Var(X | X <= q) + (1 - alpha) * (q - ES)^2) / (alpha * n)``, q the alpha-quantile:
    the spread of the tail values plus the uncertainty of where the tail starts.
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.size
    if not 0.0 < alpha <= 1.0:
        raise ValueError("alpha must be in (0, 1]")
    k = min(max(int(math.ceil(alpha * n)), 1), n)
    if n < 2 or k < 2:
        return 0.0
    tail = x[:k] if presorted else np.partition(x, k - 1)[:k]
    q, es = float(tail[-1]), float(tail.mean())
    return math.sqrt((float(tail.var(ddof=1)) + (1.0 - alpha) * (q - es) ** 2) / (alpha * n))


def prob_below(x: np.ndarray, threshold: float = 0.0) -> float:
    """Share of values strictly below ``threshold`` (for net savings: P(net loss))."""
    return float(np.count_nonzero(np.asarray(x) < threshold)) / np.asarray(x).size


def describe(x: np.ndarray, ordered: np.ndarray | None = None) -> Headline:
    """Headline statistics of net savings: mean, std, stderr (of the mean), percentiles
    p5..p95, min, max, prob_loss (P(x < 0)) with its stderr, and cvar_5.

    ``ordered``, if given, is ``np.sort(x)``: the order statistics are then read off it (same
    values, no partitioning), while sums still run over ``x`` in trial order.
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.size
    mean = float(x.mean())
    std = sample_std(x) if n > 1 else 0.0
    stderr = std / math.sqrt(n)
    xs = x if ordered is None else ordered
    pcts = (np.percentile(x, PERCENTILES) if ordered is None
            else sorted_quantiles(ordered, np.asarray(PERCENTILES) / 100))
    p_loss = (float(np.searchsorted(xs, 0.0, side="left")) / n if ordered is not None
              else prob_below(x, 0.0))
    return headline(mean, std, stderr, n, pcts,
                    float(xs[0] if ordered is not None else x.min()),
                    float(xs[-1] if ordered is not None else x.max()), p_loss,
                    expected_shortfall(xs, 0.05, presorted=ordered is not None),
                    expected_shortfall_stderr(xs, 0.05, presorted=ordered is not None))


def headline(mean: float, std: float, stderr: float, n: int, pcts: np.ndarray, lo: float,
             hi: float, p_loss: float, cvar: float, cvar_stderr: float) -> Headline:
    """The :class:`~simulator.results.summary.Headline` figures from their parts (``pcts``:
    the values at :data:`PERCENTILES`; ``n`` trials), keys in ``summary.json``'s order.
    """
    p = [float(v) for v in pcts]
    return Headline(mean=mean, std=std, stderr=stderr, p5=p[0], p10=p[1], p25=p[2], p50=p[3],
                    p75=p[4], p90=p[5], p95=p[6], min=lo, max=hi, prob_loss=p_loss,
                    prob_loss_stderr=math.sqrt(p_loss * (1 - p_loss) / n), cvar_5=cvar,
                    cvar_5_stderr=cvar_stderr,
                    ci95=[mean - Z95 * stderr, mean + Z95 * stderr])


def mean_and_band(x: np.ndarray, ordered: np.ndarray | None = None) -> Band:
    """Mean with stderr, and the 5th and 95th percentiles (units of ``x``).

    ``ordered``, if given, is ``np.sort(x)``: the percentiles are read off it; else they are
    selected from ``x`` (:func:`~simulator.results.select.quantiles`). Either way they are
    ``np.percentile(x, (5, 95))``, bit for bit; the mean and spread sum ``x`` in trial order.
    """
    x = np.asarray(x, dtype=np.float64)
    levels = np.array([0.05, 0.95])
    p5, p95 = (select.quantiles(x, levels) if ordered is None
               else sorted_quantiles(ordered, levels))
    stderr = sample_std(x) / math.sqrt(x.size) if x.size > 1 else 0.0
    return Band(mean=float(x.mean()), stderr=stderr, p5=float(p5), p95=float(p95))


_LEAF = 1 << 14  #: values squared at a time by :func:`sample_std`


def sample_std(x: np.ndarray) -> float:
    """``x.std(ddof=1)`` (n >= 2 values), bit for bit, without its temporary copy of ``x``
    (80 MB at 10M trials, whose first touch costs more than the arithmetic): numpy sums
    the squared deviations pairwise, halving at multiples of 8, so summing them leaf by
    leaf of the same halving, each leaf squared in a small buffer, adds the same numbers
    in the same order.
    """
    n = x.size
    mean = np.add.reduce(x) / n
    buf = np.empty(min(n, _LEAF))

    def squares(lo: int, m: int) -> float:
        if m <= _LEAF:
            b = buf[:m]
            np.subtract(x[lo:lo + m], mean, out=b)
            np.multiply(b, b, out=b)
            return float(np.add.reduce(b))
        half = m // 2
        half -= half % 8
        return squares(lo, half) + squares(lo + half, m - half)

    return float(np.sqrt(squares(0, n) / (n - 1)))


def sorted_quantiles(xs: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``np.quantile(xs, q)`` of an increasing array ``xs``, read off it directly.

    Parameters
    ----------
    xs : numpy.ndarray
        Shape (n,), n >= 1, increasing (``np.sort`` of the values).
    q : numpy.ndarray
        Levels in [0, 1], any shape.

    Returns
    -------
    numpy.ndarray
        The quantiles, shape of ``q``, units of ``xs``: bit for bit what ``np.quantile``
        gives (its default "linear" method, step by step: virtual index (n - 1) q, its two
        neighbours, numpy's two-sided interpolation), without the copy and partition of n
        values ``np.quantile`` makes on every call (milliseconds at a million trials).
    """
    below, above, gamma = select.quantile_ranks(xs.size, q)
    return select.interpolate(xs[below], xs[above], gamma)


def sorted_histogram(xs: np.ndarray, bins: int, lo: float, hi: float) -> np.ndarray:
    """``np.histogram(x, bins, range=(lo, hi))[0]`` (int64) from ``xs = np.sort(x)``: the same
    counts, from ``bins + 1`` binary searches instead of a pass over every value. Bins are
    half-open ``[edge, next edge)``, the last one closed, values outside the range not counted.
    """
    edges = np.linspace(lo, hi, bins + 1)
    at = np.searchsorted(xs, edges, side="left")
    at[-1] = np.searchsorted(xs, hi, side="right")  # the last bin includes its right edge
    return np.diff(at).astype(np.int64)


def sorted_exceedance_curve(xs: np.ndarray, points: int = 200
                            ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`exceedance_curve` of the values whose increasing copy is ``xs``: the same
    thresholds and probabilities, each count of losses above a threshold a binary search.
    """
    n = xs.size
    first = int(np.searchsorted(xs, 0.0, side="right"))  # the first positive loss
    if first == n:
        return np.empty(0), np.empty(0)
    lo, hi = xs[first], xs[-1]
    thresholds = np.array([lo * 0.999, lo]) if hi <= lo else np.geomspace(lo, hi, points)
    above = n - np.searchsorted(xs, thresholds, side="right")
    return thresholds, above / n


def exceedance_curve(losses: np.ndarray, points: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Loss exceedance: thresholds (log-spaced over the positive losses) and P(loss > t)."""
    losses = np.asarray(losses, dtype=np.float64)
    positive = losses[losses > 0]  # every threshold is positive: no other loss exceeds one
    if positive.size == 0:
        return np.empty(0), np.empty(0)
    lo, hi = positive.min(), positive.max()
    if hi <= lo:
        thresholds = np.array([lo * 0.999, lo])
    else:
        thresholds = np.geomspace(lo, hi, points)
    # Count, for each loss, the thresholds strictly below it (no sort of the trials needed):
    # a loss exceeds thresholds[j] exactly when more than j thresholds lie below it.
    below = _thresholds_below(thresholds, positive)
    per = np.bincount(below, minlength=thresholds.size + 1)
    above = np.cumsum(per[::-1])[::-1][1:]
    return thresholds, above / losses.size


def _thresholds_below(t: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``np.searchsorted(t, x, side="left")`` for log-spaced thresholds ``t``, in a third of
    the time: the count is read off log(x) and then corrected by one exact comparison on
    each side (rounding moves it by at most one), and checked.
    """
    m = t.size
    if m < 3:
        return np.searchsorted(t, x, side="left")
    step = math.log(t[-1] / t[0]) / (m - 1)
    c = np.clip(np.ceil(np.log(x / t[0]) / step), 0, m).astype(np.int64)
    edges = np.concatenate([[-np.inf], t, [np.inf]])  # edges[c] = t[c - 1]
    c -= edges[c] >= x
    c += edges[c + 1] < x
    if not (np.all(edges[c] < x) and np.all(x <= edges[c + 1])):
        return np.searchsorted(t, x, side="left")
    return c


def order_statistic_ci(n: int, q: float) -> tuple[int, int]:
    """0-based ranks (lo, hi) of a distribution-free 95% interval for the q-quantile of n
    trials: the number of trials below the true quantile is Binomial(n, q).
    """
    half = Z95 * math.sqrt(n * q * (1 - q))
    return max(int(math.floor(n * q - half)), 0), min(int(math.ceil(n * q + half)), n - 1)


def percentile_ci(x: np.ndarray, percentiles=PERCENTILES,
                  presorted: bool = False) -> dict[str, list[float]]:
    """Order-statistic 95% interval of each percentile of the values x (``presorted``: x is
    increasing).
    """
    n = x.size
    ranks = {p: order_statistic_ci(n, p / 100) for p in percentiles}
    kth = sorted({k for pair in ranks.values() for k in pair})
    part = x if presorted else np.partition(x, kth)
    return {f"p{p}": [float(part[lo]), float(part[hi])] for p, (lo, hi) in ranks.items()}


class _Exact:
    """Statistics of a run that kept its trials: computed from the arrays.

    Net savings are sorted once and kept (percentiles, their intervals, the tail mean, the
    quantile grid and the histogram are all read off them: numpy's vectorised sort of a
    million values costs less than one ``np.quantile`` partition of them). Other rows are
    asked for a few figures only: a band, whose two percentiles are selected from the trials
    (:mod:`~simulator.results.select`: about a third of a sort's time, and no copy), and for
    a loss row (a risk or their total) a loss exceedance curve, read off a sorted copy (the
    band with it, if not known yet) and the copy dropped. So a run that stores its trials
    never holds them twice. The figures equal what ``np.quantile``,
    ``np.histogram`` and :func:`exceedance_curve` give on the trials, bit for bit.
    """

    def __init__(self, result: RunRecord) -> None:
        self.r = result
        self.kept = result.kept
        self.rows = Rows.of(result.model)
        self._sorted_net: np.ndarray | None = None
        self._full: dict[int, NetSavings] = {}
        self._bands: dict[int, Band] = {}
        self._curves: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def row(self, v: int) -> np.ndarray:
        """Row ``v`` of the value layout (:class:`~simulator.results.rows.Rows`), per trial."""
        if v == NET:
            return self.kept.net_savings
        if v == GROSS:
            return self.kept.gross_wage_savings
        if v < self.rows.stored:
            return self.kept.component_totals[v - Rows.component(0)]
        return self.r.risk_losses

    def ordered(self, v: int) -> np.ndarray:
        """Row ``v`` in increasing order (net savings: sorted once and kept)."""
        if v != NET:
            return np.sort(self.row(v))
        if self._sorted_net is None:
            self._sorted_net = np.sort(self.kept.net_savings)
        return self._sorted_net

    def _read_row(self, v: int, curve: bool) -> None:
        """Keep row ``v``'s band and, with ``curve`` for a loss row (a risk or their total),
        its exceedance curve. Net savings, and a loss row whose curve is asked for, are read
        off a sorted copy (a curve is 200 binary searches in it, where counting the trials
        above each threshold would cost twice the sort), the band with it; other rows' bands
        without one (a summary asks for no curve: chart data does).
        """
        x = self.row(v)
        if v == NET or (curve and v in self.rows.loss_rows):
            xs = self.ordered(v)
            if v not in self._bands:
                self._bands[v] = mean_and_band(x, xs)
            if v != NET:
                self._curves[v] = sorted_exceedance_curve(xs)
        elif v not in self._bands:
            self._bands[v] = mean_and_band(x)

    def _needs(self, v: int, curve: bool) -> bool:
        return v not in self._bands or (curve and v in self.rows.loss_rows
                                        and v not in self._curves)

    def prefetch(self, curves: bool) -> None:
        """Compute what a summary reads (gross wage savings' and every component's band),
        with ``curves`` what chart data reads too (the loss rows' exceedance curves, the risk
        total's among them), and sort net savings, on every core at once.

        Each row is a few passes over its trials or a sort, in numpy calls and kernels that
        release the GIL, and the rows are independent: on two cores a 10M-trial summary took
        about half the time. Each row's figures are computed exactly as :meth:`band` and
        :meth:`exceedance` compute them, so they are the same, bit for bit.
        """
        rows = [GROSS, *(Rows.component(i) for i in range(len(self.r.model.component_names)))]
        if curves and self.rows.has_risks:
            rows.append(self.rows.risk_total)
        todo = [v for v in rows if self._needs(v, curves)]
        workers = min(os.cpu_count() or 1, len(todo) + 1)
        if workers < 2 or self.kept.net_savings.size < PARALLEL_TRIALS:
            return
        with ThreadPoolExecutor(max_workers=workers) as pool:
            jobs: list[Future[Any]] = [pool.submit(self.ordered, NET)]
            jobs += [pool.submit(self._read_row, v, curves) for v in todo]
            for job in jobs:
                job.result()

    def full(self, v: int) -> NetSavings:
        """Every headline figure of row ``v`` with its percentiles' intervals (a fresh copy)."""
        if v not in self._full:
            x, xs = self.row(v), self.ordered(v)
            self._full[v] = NetSavings(**describe(x, xs),
                                       percentile_ci95=percentile_ci(xs, presorted=True))
        return copy.deepcopy(self._full[v])

    def band(self, v: int) -> Band:
        if v not in self._bands:
            self._read_row(v, curve=False)
        return Band(**self._bands[v])

    def mean(self, v: int) -> float:
        return float(self.row(v).mean())

    def quantiles(self, v: int, levels: np.ndarray) -> np.ndarray:
        if v == NET:
            return sorted_quantiles(self.ordered(NET), levels)
        return np.quantile(self.row(v), levels)

    def histogram(self, v: int, bins: int, lo: float, hi: float) -> np.ndarray:
        if v == NET:
            return sorted_histogram(self.ordered(NET), bins, lo, hi)
        return np.histogram(self.row(v), bins=bins, range=(lo, hi))[0].astype(np.int64)

    def exceedance(self, v: int) -> tuple[np.ndarray, np.ndarray]:
        if v not in self.rows.loss_rows:
            return exceedance_curve(self.row(v))
        if v not in self._curves:
            self._read_row(v, curve=True)
        t, p = self._curves[v]
        return t.copy(), p.copy()


class _Streamed:
    """Statistics of a run that streamed: computed from its histograms and chunk sums."""

    def __init__(self, result: RunRecord) -> None:
        self.r = result
        self.s: StreamSummary = result.streamed

    def full(self, v: int) -> NetSavings:
        """Every headline figure of row ``v`` with its percentiles' intervals."""
        s, n = self.s, self.s.n(v)
        mean, std = s.mean_std(v)
        stderr = std / math.sqrt(n)
        pcts = s.quantiles(v, np.array(PERCENTILES) / 100)
        mn, mx = s.min_max(v)
        cvar = s.lower_tail_mean(v, 0.05)
        ci = {}
        for p in PERCENTILES:
            lo, hi = order_statistic_ci(n, p / 100)
            ci[f"p{p}"] = [float(x) for x in s._order_stat(v, np.array([lo, hi]))]
        return NetSavings(**headline(mean, std, stderr, n, pcts, mn, mx, s.prob_negative(v),
                                     cvar, self.tail_mean_stderr(v, 0.05, cvar)),
                          percentile_ci95=ci)

    def tail_mean_stderr(self, v: int, alpha: float, es: float) -> float:
        """:func:`expected_shortfall_stderr` from the histogram: each bin's values spread
        evenly over the bin (variance width^2 / 12 about its midpoint), under/overflow bins
        at their exact means (so a tail reaching below the histogram is slightly understated).
        """
        s, n = self.s, self.s.n(v)
        m = alpha * n
        if n < 2 or m < 2:
            return 0.0
        c = s.counts[v].astype(np.float64)
        bins = c.size - 2
        under = s.totals[v, UNDER_SUM] / c[0] if c[0] else 0.0
        over = s.totals[v, OVER_SUM] / c[-1] if c[-1] else 0.0
        mids = np.concatenate([[under], s.lo[v] + (np.arange(bins) + 0.5) * s.width[v], [over]])
        within = np.full(mids.size, s.width[v] ** 2 / 12.0)
        within[0] = within[-1] = 0.0
        cum = np.cumsum(c)
        j = int(np.searchsorted(cum, m, side="left"))
        w = c[: j + 1].copy()
        w[j] = m - (cum[j - 1] if j > 0 else 0.0)  # the boundary bin's share of the tail
        second = float(np.dot(w, mids[: j + 1] ** 2 + within[: j + 1])) / m
        var_tail = max(second - es * es, 0.0) * m / (m - 1)
        q = float(s.quantiles(v, np.array([alpha]))[0])
        return math.sqrt((var_tail + (1.0 - alpha) * (q - es) ** 2) / m)

    def band(self, v: int) -> Band:
        mean, std = self.s.mean_std(v)
        p5, p95 = self.s.quantiles(v, np.array([0.05, 0.95]))
        return Band(mean=mean, stderr=std / math.sqrt(self.s.n(v)), p5=float(p5),
                    p95=float(p95))

    def mean(self, v: int) -> float:
        return self.s.mean_std(v)[0]

    def quantiles(self, v: int, levels: np.ndarray) -> np.ndarray:
        return self.s.quantiles(v, levels)

    def histogram(self, v: int, bins: int, lo: float, hi: float) -> np.ndarray:
        # Re-bin the fine histogram: each fine bin goes wholly to the display bin of its centre.
        fine = self.s.counts[v][1:-1]
        centres = self.s.lo[v] + (np.arange(fine.size) + 0.5) * self.s.width[v]
        idx = np.floor((centres - lo) / (hi - lo) * bins).astype(np.int64)
        keep = (idx >= 0) & (idx < bins)
        return np.bincount(idx[keep], weights=fine[keep], minlength=bins).astype(np.int64)

    def exceedance(self, v: int) -> tuple[np.ndarray, np.ndarray]:
        row = int(np.flatnonzero(self.s.log_rows == v)[0])
        return self.s.exceedance(row, self.s.n(0))


def statistics_source(result: RunRecord) -> _Exact | _Streamed:
    """A new reader of ``result``'s statistics: from its trials, or from its streamed
    histograms. Use ``result.statistics``, which keeps one per result.
    """
    return _Exact(result) if result.stored else _Streamed(result)


def _source(result: RunRecord) -> _Exact | _Streamed:
    """``result``'s statistics reader, made once per record (the trials are sorted once)."""
    if "statistics" not in result.cache:
        result.cache["statistics"] = statistics_source(result)
    return result.cache["statistics"]


def category_means(result: RunRecord) -> dict[str, float]:
    """Mean cost per category (positive = money lost), in :data:`CATEGORY_ORDER`."""
    src = _source(result)
    means: dict[str, float] = {}
    for i, cat in enumerate(result.model.component_categories):
        means[cat] = means.get(cat, 0.0) + src.mean(Rows.component(i))
    return {c: means[c] for c in CATEGORY_ORDER if c in means}


def convergence(result: RunRecord) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Running mean of net savings after each chunk, with its 95% half-width: three arrays
    (trials so far, mean, half-width).
    """
    m = result.moments
    n = np.cumsum(m[:, 0])
    s = np.cumsum(m[:, 1])
    ss = np.cumsum(m[:, 2])
    mean = result.moment_shift + s / n
    var = np.maximum(ss - s * s / n, 0.0) / np.maximum(n - 1, 1)
    half = Z95 * np.sqrt(var / n)
    if result.sampling != "mc" and m.shape[0] >= 2:
        # A design's trials are not independent within a chunk: use the chunk means.
        half[1:] = running_batch_half_widths(m)[1:]
    return n, mean, half


def _design_stderr(result: RunRecord, figures: NetSavings) -> NetSavings:
    """For a Latin hypercube or Sobol run, the mean's standard error and 95% interval from the
    spread of chunk means (chunks are independent replicates; trials within one are not). The
    other intervals keep their independent-trials formulas, which such designs make
    conservative.
    """
    m = result.chunk_moments
    if result.sampling == "mc" or m is None:
        return figures
    if m.shape[0] < 2:
        figures["stderr_method"] = ("independent trials (one chunk only: too few for batch "
                                    "means; conservative for this design)")
        return figures
    mean, stderr, half = batch_means(m, result.moment_shift)
    figures["stderr"] = stderr
    figures["ci95"] = [figures["mean"] - half, figures["mean"] + half]
    figures["stderr_method"] = f"batch means over {m.shape[0]} chunks ({result.sampling})"
    return figures


def summarize(result: RunRecord) -> Summary:
    """The dictionary written to ``summary.json`` (keys: :class:`~simulator.results.summary.
    Summary`). Money: present value over the horizon, in the scenario's currency.

    Parameters
    ----------
    result : RunRecord
        A finished run, kept or streamed.

    Returns
    -------
    Summary
        The figures, JSON-ready (plain floats, ints, strings and lists).
    """
    info = result.scenario.scenario
    src = _source(result)
    if isinstance(src, _Exact):
        src.prefetch(curves=False)
    components = {}
    for i, (name, cat) in enumerate(zip(result.model.component_names,
                                        result.model.component_categories, strict=True)):
        components[name] = ComponentBand(category=cat, **src.band(Rows.component(i)))
    # Built in summary.json's key order: the fixed keys, the optional ones, warnings last.
    head: dict[str, Any] = {
        "scenario": info.name,
        "currency": info.currency,
        "trials": result.trials,
        "seed": result.seed,
        "horizon_years": info.horizon_years,
        "discount_rate": info.discount_rate,
        "cash_flow_timing": info.cash_flow_timing,
        "net_savings": _design_stderr(result, src.full(NET)),
        "gross_wage_savings": src.band(GROSS),
        "components": components,
        "categories": category_means(result),
        "provenance": result.provenance(),
    }
    extra: dict[str, Any] = {}
    if result.precision is not None:
        extra["precision"] = result.precision
    model = result.model
    if len(model.copula_inputs):
        # The rank correlations the run used (the declared ones, or their nearest valid repair).
        extra["correlations"] = {"inputs": [model.input_names[j] for j in model.copula_inputs],
                                 "rank": model.copula_rank.round(6).tolist()}
    engagement = engagement_summary(result)
    if engagement is not None:
        extra["engagement"] = engagement
    if result.controls is not None:
        extra["controls"] = result.controls
    if result.scenario.tolerance is not None:
        extra["tolerance"] = tolerance_check(result, src)
    warnings = [*result.scenario.semantic_warnings(), *result.model.warnings]
    # mypy cannot follow a TypedDict through ** of plain dicts; the keys are the ones above.
    out = cast(Summary, {**head, **extra, "warnings": warnings})
    return out


def engagement_summary(result: RunRecord) -> EngagementSummary | None:
    """How long the engagement ran, for a scenario with a risk that ends it: the share of
    trials with an exit (and its standard error), the mean years run, and by year the share
    of trials still running at the year's end and the mean share of the year run. None for a
    scenario that cannot end early.
    """
    e = result.model.engagement
    g = result.engagement_sums
    if e is None or not e.has_exit or g is None:
        return None
    n = result.trials
    h = result.model.horizon
    exits = float(g[:, 0].sum()) / n
    return {  # an EngagementSummary
        "exit_share": exits,
        "exit_share_stderr": math.sqrt(exits * (1 - exits) / n),
        "mean_years_run": math.fsum(g[:, 1]) / n,
        "running_share": [float(x) / n for x in g[:, 2 + h:].sum(axis=0)],
        "year_share": [math.fsum(g[:, 2 + t]) / n for t in range(h)],
    }


def tolerance_check(result: RunRecord, src: _Exact | _Streamed) -> dict[str, Any]:
    """Pass or fail against the scenario's risk tolerance, each test with its margin (limit
    minus value: negative when it fails).
    """
    tol = result.scenario.tolerance
    if tol is None:
        raise ValueError("the scenario sets no [tolerance]")
    out: dict[str, Any] = {}
    ok = True
    if tol.max_prob_loss is not None:
        p = src.full(NET)["prob_loss"] if isinstance(src, _Streamed) else prob_below(
            result.kept.net_savings, 0.0)
        out["prob_loss"] = {"limit": tol.max_prob_loss, "value": p,
                            "margin": tol.max_prob_loss - p, "pass": p <= tol.max_prob_loss}
        ok &= p <= tol.max_prob_loss
    points = []
    if tol.loss_exceedance:
        rows = Rows.of(result.model)
        t, q = src.exceedance(rows.risk_total) if rows.has_risks else (np.empty(0),
                                                                       np.empty(0))
        for point in tol.loss_exceedance:
            p = _exceedance_at(result, src, t, q, point.loss)
            points.append({"loss": point.loss, "max_probability": point.max_probability,
                           "probability": p, "margin": point.max_probability - p,
                           "pass": p <= point.max_probability})
            ok &= p <= point.max_probability
        out["loss_exceedance"] = points
    out["pass"] = bool(ok)
    return out


def _exceedance_at(result: RunRecord, src: _Exact | _Streamed, t: np.ndarray,
                   q: np.ndarray, loss: float) -> float:
    """P(total risk loss > loss): exact from the trials, or read off the streamed curve
    (log-linear between its bin edges).
    """
    if not len(result.model.risk_names):
        return 0.0
    if isinstance(src, _Exact):
        return float(np.mean(result.risk_losses > loss))
    if t.size == 0 or loss > t[-1]:
        return 0.0
    if loss <= t[0]:
        return float(q[0])
    return float(np.interp(np.log(loss), np.log(t), q))


def chart_data(result: RunRecord, bins: int = 120, quantiles: int = 1001) -> ChartData:
    """Reduce a result to the small :class:`ChartData` every chart is drawn from."""
    info = result.scenario.scenario
    src = _source(result)
    if isinstance(src, _Exact):
        src.prefetch(curves=True)
    d = src.full(NET)
    levels = np.linspace(0.0, 1.0, quantiles)
    qv = src.quantiles(NET, levels)
    # Bin the central 99% so a long tail of rare disasters cannot flatten the histogram.
    lo, hi = src.quantiles(NET, np.array([0.005, 0.995]))
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    counts = src.histogram(NET, bins, float(lo), float(hi))
    exceedance = {}
    rows = Rows.of(result.model)
    if rows.has_risks:
        exceedance["All risk events"] = src.exceedance(rows.risk_total)
        for i in result.model.provider_risks:  # an in-house risk's row is a saving
            exceedance[result.model.risk_names[i]] = src.exceedance(rows.first_risk + i)
    return ChartData(
        scenario_name=info.name, currency=info.currency, horizon_years=info.horizon_years,
        trials=result.trials, hist_edges=np.linspace(lo, hi, bins + 1), hist_counts=counts,
        mean=d["mean"], p5=d["p5"], p50=d["p50"], p95=d["p95"], prob_loss=d["prob_loss"],
        cvar_5=d["cvar_5"], quantile_levels=levels, quantile_values=qv,
        gross_mean=src.mean(GROSS), category_costs=category_means(result), exceedance=exceedance,
        convergence=convergence(result),
        tolerance=[(p.loss, p.max_probability) for p in result.scenario.tolerance.loss_exceedance]
        if result.scenario.tolerance is not None else [])
