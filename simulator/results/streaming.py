"""Statistics accumulated chunk by chunk, so memory does not grow with the number of trials.

Each tracked variable (net savings, gross wage savings, every component, total risk loss) gets

* a fixed-range histogram of equal bins (``BINS`` for net savings, ``BINS_OTHER`` for the rest)
  plus an underflow and an overflow bin, its range set from the first chunk of the run (the
  pilot);
* per-chunk scalars: count, sum and sum of squares (shifted by the pilot mean for precision),
  min, max, count below zero, and the exact sums of the values that under/overflow.

Histogram counts are integers, so each thread (or cluster worker) keeps its own and the totals
do not depend on which thread ran which chunk. The float scalars are kept per chunk for one
batch of chunks and then added to running totals in chunk order, so they do not depend on
scheduling either: a streamed run is bit-identical for any thread count, and its memory does
not grow with trials.

Accuracy: a quantile is located in its bin exactly and interpolated within it, so it is within
one bin width (1.5 x the pilot's central 99.98% range / number of bins) of the exact quantile of
the same trials, and in practice within a tenth of that; tail means use bin midpoints, within half
a bin width. Loss variables also get a log-like histogram (16 bins a doubling) for loss exceedance
curves, exact at its bin edges.
"""
from __future__ import annotations

import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numba as nb
import numpy as np

BINS = 65_536
"""Bins of the net savings histogram (the headline percentiles and tail mean)."""
BINS_OTHER = 4_096
"""Bins of every other variable's histogram: small enough to stay in cache, which matters
more than resolution for component bands (measured: 65,536 bins cost about 13 ns a value here,
mostly cache misses)."""
LOG_SUB_BITS = 4
LOG_SUB = 1 << LOG_SUB_BITS  # bins per doubling (3% to 6% wide)
LOG_BINS = 50 * LOG_SUB  # 1 .. 2^50 (about 1e15) currency units
# Per-chunk scalars of each variable.
N, SUM, SUMSQ, MIN, MAX, NEG, UNDER_SUM, OVER_SUM = range(8)
N_SCALARS = 8

_jit: dict[str, Any] = dict(nogil=True, cache=True)  # numba checks the option values


@nb.njit(**_jit)
def accumulate(values: np.ndarray, lo: np.ndarray, inv_width: np.ndarray, shift: np.ndarray,
               counts: np.ndarray, scalars: np.ndarray) -> None:
    """Add a chunk's values (V, n) to histograms counts (V, B + 2) and write the chunk's
    scalars (V, N_SCALARS). Bin 0 is underflow, bin B + 1 overflow.
    """
    bins = counts.shape[1] - 2
    for v in range(values.shape[0]):
        s = 0.0
        ss = 0.0
        mn = math.inf
        mx = -math.inf
        neg = 0
        under = 0.0
        over = 0.0
        for i in range(values.shape[1]):
            x = values[v, i]
            d = x - shift[v]
            s += d
            ss += d * d
            mn = min(mn, x)
            mx = max(mx, x)
            if x < 0.0:
                neg += 1
            pos = (x - lo[v]) * inv_width[v]
            if pos < 0.0:
                counts[v, 0] += 1
                under += x
            elif pos >= bins:
                counts[v, bins + 1] += 1
                over += x
            else:
                counts[v, int(pos) + 1] += 1
        scalars[v, N] = values.shape[1]
        scalars[v, SUM] = s
        scalars[v, SUMSQ] = ss
        scalars[v, MIN] = mn
        scalars[v, MAX] = mx
        scalars[v, NEG] = neg
        scalars[v, UNDER_SUM] = under
        scalars[v, OVER_SUM] = over


@nb.njit(**_jit)
def accumulate_log(values: np.ndarray, counts: np.ndarray) -> None:
    """Log-spaced histogram of losses: counts (V, LOG_BINS + 1). Bin 0 holds values <= 0; bin
    j = 16 e + m + 1 holds [2^e (1 + m/16), 2^e (1 + (m+1)/16)), read straight from the
    float's exponent e and top four mantissa bits m (no logarithm). Values below 1 go to bin 1,
    values beyond the top to the last.
    """
    top = counts.shape[1] - 1
    for v in range(values.shape[0]):
        bits = values[v].view(np.int64)
        for i in range(values.shape[1]):
            if values[v, i] <= 0.0:
                counts[v, 0] += 1
                continue
            b = bits[i]
            j = (((b >> 52) & 0x7FF) - 1023) * LOG_SUB + ((b >> (52 - LOG_SUB_BITS)) & (LOG_SUB - 1)) + 1  # noqa: E501 - a kernel, kept as written
            counts[v, max(1, min(j, top))] += 1


@dataclass
class Histograms:
    """Integer histograms of one or more chunks: summing two gives the histograms of both, in
    any order, so threads and cluster workers each keep their own and the totals are merged.
    """

    net: np.ndarray  #: (1, BINS + 2) int64, net savings
    rest: np.ndarray  #: (V - 1, BINS_OTHER + 2) int64, every other variable
    logs: np.ndarray  #: (len(log_rows), LOG_BINS + 1) int64, log-spaced, loss rows

    @classmethod
    def zeros(cls, n_vars: int, n_log: int) -> Histograms:
        """Empty histograms for ``n_vars`` linear rows and ``n_log`` loss rows."""
        return cls(np.zeros((1, BINS + 2), dtype=np.int64),
                   np.zeros((n_vars - 1, BINS_OTHER + 2), dtype=np.int64),
                   np.zeros((n_log, LOG_BINS + 1), dtype=np.int64))

    def __iadd__(self, other: Histograms) -> Histograms:
        self.net += other.net
        self.rest += other.rest
        self.logs += other.logs
        return self


@dataclass(frozen=True)
class StreamRanges:
    """The fixed histogram ranges and moment shifts of a streamed run, set by its pilot chunk:
    all a thread or a cluster worker needs to turn a chunk's values into mergeable partials.
    """

    lo: np.ndarray  #: (V,) histogram lower edge
    width: np.ndarray  #: (V,) bin width
    shift: np.ndarray  #: (V,) shift for the sums (pilot mean)
    log_rows: np.ndarray  #: indices of loss rows: consecutive (risks, then their total)

    def histograms(self) -> Histograms:
        """Empty histograms for these variables."""
        return Histograms.zeros(self.lo.size, self.log_rows.size)

    def add(self, values: np.ndarray, hist: Histograms, scalars: np.ndarray) -> None:
        """Add one chunk's values (V', n) (V' >= V: rows past V, e.g. total risk loss, only
        reach the log histograms) to ``hist`` and write its scalars (V, N_SCALARS).
        """
        inv = 1.0 / self.width
        v = self.lo.size
        accumulate(values[:1], self.lo[:1], inv[:1], self.shift[:1], hist.net, scalars[:1])
        accumulate(values[1:v], self.lo[1:], inv[1:], self.shift[1:], hist.rest, scalars[1:])
        if self.log_rows.size:
            # The loss rows are consecutive: a view, not a 2 MB copy per chunk.
            accumulate_log(values[self.log_rows[0]:self.log_rows[-1] + 1], hist.logs)


def fold_scalars(totals: np.ndarray, scalars: Iterable[np.ndarray]) -> None:
    """Add per-chunk scalars (k of (V, N_SCALARS)) to running ``totals`` (V, N_SCALARS), strictly
    in chunk order: float sums depend on their order, so every process that reduces the same
    chunks this way gets the same bits.
    """
    for p in scalars:
        for k in (N, SUM, SUMSQ, NEG, UNDER_SUM, OVER_SUM):
            totals[:, k] += p[:, k]
        totals[:, MIN] = np.minimum(totals[:, MIN], p[:, MIN])
        totals[:, MAX] = np.maximum(totals[:, MAX], p[:, MAX])


@dataclass
class Streamer:
    """Collects streaming statistics of V variables, chunk by chunk.

    ``log_rows`` are the rows (loss variables) that also get a log-spaced histogram. Chunks
    are added in batches of ``batch`` (any thread, any order within a batch); :meth:`fold`
    then adds the batch's scalars to the running totals in chunk order, so memory stays flat.
    Partials computed elsewhere (a cluster worker) join with :meth:`merge` and
    :func:`fold_scalars` on :attr:`totals`, in chunk order.
    """

    lo: np.ndarray  #: (V,) histogram lower edge
    width: np.ndarray  #: (V,) bin width
    shift: np.ndarray  #: (V,) shift for the sums (pilot mean)
    log_rows: np.ndarray  #: indices of loss rows
    batch: int
    pending: np.ndarray = field(init=False)  #: (batch, V, N_SCALARS) scalars of the batch
    totals: np.ndarray = field(init=False)  #: (V, N_SCALARS) running totals
    _local: threading.local = field(init=False, default_factory=threading.local)
    _all: list = field(init=False, default_factory=list)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)
    _merged: Histograms | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        v = self.lo.size
        self.pending = np.zeros((self.batch, v, N_SCALARS))
        self.totals = np.zeros((v, N_SCALARS))
        self.totals[:, MIN] = np.inf
        self.totals[:, MAX] = -np.inf

    @classmethod
    def from_pilot(cls, pilot: np.ndarray, log_rows: np.ndarray, batch: int) -> Streamer:
        """Fix the histogram ranges from a pilot chunk's values (V, n): the rows that get linear
        histograms and scalars. Later chunks may carry more rows, for ``log_rows`` only.
        """
        # The central 99.98% of the pilot, widened by a quarter of its span each side: rare
        # extremes fall in the under/overflow bins, whose exact sums and counts are kept.
        mn, mx = np.quantile(pilot, [1e-4, 1 - 1e-4], axis=1)
        span = mx - mn
        pad = np.where(span > 0, 0.25 * span, np.maximum(np.abs(mx), 1.0))
        lo = mn - pad
        hi = mx + pad
        bins = np.full(lo.size, BINS_OTHER)
        bins[0] = BINS
        width = (hi - lo) / bins
        log_rows = np.asarray(log_rows, dtype=np.int64)
        if log_rows.size and not np.array_equal(log_rows, np.arange(log_rows[0],
                                                                  log_rows[-1] + 1)):
            raise ValueError("log_rows must be consecutive rows")
        return cls(lo, width, pilot.mean(axis=1), log_rows, batch)

    @property
    def ranges(self) -> StreamRanges:
        """The fixed ranges, to ship to whoever computes chunks."""
        return StreamRanges(self.lo, self.width, self.shift, self.log_rows)

    def histograms(self) -> Histograms:
        """The calling thread's histograms (one set per thread, merged at the end)."""
        hist = getattr(self._local, "hist", None)
        if hist is None:
            hist = self._local.hist = Histograms.zeros(self.lo.size, self.log_rows.size)
            with self._lock:
                self._all.append(hist)
        return hist

    def add(self, chunk: int, values: np.ndarray) -> None:
        """Add one chunk's values (V, n); safe to call from several threads."""
        self.ranges.add(values, self.histograms(), self.pending[chunk % self.batch])

    def merge(self, hist: Histograms) -> None:
        """Add histograms computed elsewhere (integer sums: any order) into one running total,
        so memory stays flat however many tasks report.
        """
        with self._lock:
            if self._merged is None:
                self._merged = Histograms.zeros(self.lo.size, self.log_rows.size)
                self._all.append(self._merged)
            self._merged += hist

    def fold(self, chunks: range) -> None:
        """Add the scalars of ``chunks`` (a whole batch, all added) in chunk order."""
        fold_scalars(self.totals, (self.pending[c % self.batch] for c in chunks))

    def finish(self) -> StreamSummary:
        """The run's reduced statistics, once every chunk is added and folded."""
        net = sum(h.net for h in self._all)
        rest = sum(h.rest for h in self._all)
        counts = [net[0], *rest]
        logs = sum(h.logs for h in self._all) if self.log_rows.size else None
        return StreamSummary(lo=self.lo, width=self.width, shift=self.shift, counts=counts,
                             log_rows=self.log_rows, log_counts=logs, totals=self.totals.copy())


@dataclass(frozen=True)
class StreamSummary:
    """The reduced statistics of a streamed run; plain arrays, small."""

    lo: np.ndarray
    width: np.ndarray
    shift: np.ndarray
    counts: list[np.ndarray]  #: per variable, (bins + 2,) int64
    log_rows: np.ndarray
    log_counts: np.ndarray | None  #: (len(log_rows), L + 2) int64
    totals: np.ndarray  #: (V, N_SCALARS)

    def n(self, v: int) -> int:
        """Trials counted for variable ``v``."""
        return int(self.totals[v, N])

    def mean_std(self, v: int) -> tuple[float, float]:
        """Mean and sample standard deviation of variable v."""
        n, s, ss = self.totals[v, N], self.totals[v, SUM], self.totals[v, SUMSQ]
        mean = self.shift[v] + s / n
        var = max(ss - s * s / n, 0.0) / (n - 1) if n > 1 else 0.0
        return float(mean), math.sqrt(var)

    def min_max(self, v: int) -> tuple[float, float]:
        """Smallest and largest value of variable ``v``."""
        return float(self.totals[v, MIN]), float(self.totals[v, MAX])

    def prob_negative(self, v: int) -> float:
        """Share of trials with variable ``v`` below 0."""
        return float(self.totals[v, NEG] / self.totals[v, N])

    def _order_stat(self, v: int, k: np.ndarray) -> np.ndarray:
        """Estimated k-th smallest values (0-based), k an array."""
        counts = self.counts[v]
        cum = np.cumsum(counts)
        b = np.searchsorted(cum, k, side="right")  # bin holding order statistic k
        before = np.where(b > 0, cum[np.maximum(b - 1, 0)], 0)
        frac = (k - before + 0.5) / np.maximum(counts[b], 1)
        mn, mx = self.min_max(v)
        bins = counts.size - 2
        lo = self.lo[v] + (b - 1) * self.width[v]
        x = lo + frac * self.width[v]
        x = np.where(b == 0, mn + frac * (self.lo[v] - mn), x)
        top = self.lo[v] + bins * self.width[v]
        x = np.where(b == bins + 1, top + frac * (mx - top), x)
        return np.clip(x, mn, mx)

    def quantiles(self, v: int, q: np.ndarray) -> np.ndarray:
        """Quantiles at levels q with numpy's default ('linear') definition."""
        q = np.asarray(q, dtype=float)
        n = self.n(v)
        h = q * (n - 1)
        k = np.floor(h).astype(np.int64)
        a = self._order_stat(v, k)
        b = self._order_stat(v, np.minimum(k + 1, n - 1))
        return a + (h - k) * (b - a)

    def lower_tail_mean(self, v: int, alpha: float) -> float:
        """Mean of the lowest alpha share (expected shortfall), boundary bin weighted; each
        bin's values are taken at its midpoint, under/overflow at their exact means.
        """
        m = alpha * self.n(v)
        c = self.counts[v].astype(np.float64)
        bins = c.size - 2
        under = self.totals[v, UNDER_SUM]
        over = self.totals[v, OVER_SUM]
        means = np.concatenate([[under / c[0] if c[0] else 0.0],
                                self.lo[v] + (np.arange(bins) + 0.5) * self.width[v],
                                [over / c[-1] if c[-1] else 0.0]])
        cum = np.cumsum(c)
        j = int(np.searchsorted(cum, m, side="left"))
        before = cum[j - 1] if j > 0 else 0.0
        return float((np.dot(c[:j], means[:j]) + (m - before) * means[j]) / m)

    def exceedance(self, row: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Loss exceedance of log row ``row``: thresholds (the log bins' lower edges) and
        P(loss >= threshold), exact at those thresholds for losses of 1 or more.
        """
        if self.log_counts is None:
            raise ValueError("this run streamed no loss rows (the scenario has no risks)")
        counts = self.log_counts[row]
        at_or_above = counts[::-1].cumsum()[::-1]  # trials in bin j and higher
        k = np.arange(counts.size - 1)  # bin k + 1
        edges = 2.0 ** (k // LOG_SUB) * (1.0 + (k % LOG_SUB) / LOG_SUB)
        p = at_or_above[1:] / n
        keep = p > 0
        return edges[keep], p[keep]
