"""Exact order statistics of a large array without sorting it.

A component's band (mean, 5th and 95th percentiles) needs four order statistics of its
trials; sorting a copy of every row to read them cost most of a summary (a 10M-trial row:
about 80 ms of sort and 80 MB of fresh memory, whose first touch can cost as much again).
:func:`order_statistics` finds them in a few passes instead: one for the range, one that
counts the values in each of :data:`BINS` equal bins of it, then, for each asked rank, one
that gathers the values of the bin holding it and sorts those few. A bin too full to gather
(values crowded in one bin) is narrowed to the range of its own values and counted again;
a run of equal values at the bottom of a range (a loss row's zeros) is set aside first, as
it would crowd every narrower bin too. Values spread so unevenly that narrowing does not
pay are left to numpy (:data:`SLOW_NARROWINGS`). The values returned are the array's own,
so they equal ``np.sort(x)[ranks]`` bit for bit; :func:`quantiles` turns them into
``np.quantile``'s figures, bit for bit as well.
"""
from __future__ import annotations

import math

import numba as nb
import numpy as np

BINS = 4_096
"""Bins a pass counts into: few enough to stay in the first-level cache's neighbourhood."""
GATHER_MAX = 1 << 16
"""The most values gathered and sorted from one bin before it is narrowed instead."""
SLOW_NARROWINGS = 2
"""After this many narrowings that did not halve the values in range, the search gives up
(:func:`order_statistics` says so and :func:`quantiles` asks ``np.quantile``): values spread
over hundreds of orders of magnitude would otherwise be narrowed a 4,096th of the range at
a time, two passes each. Money amounts need at most one such narrowing (a heavy tail's
bottom bin)."""


@nb.njit(nogil=True, cache=True)
def _bin(v: float, a: float, scale: float) -> int:
    """The bin of ``v`` in [a, b] cut in BINS bins (``scale`` = BINS / (b - a)): monotone in
    v, so every bin's values lie between the previous bin's and the next one's.
    """
    t = (v - a) * scale
    if t >= BINS:
        return BINS - 1
    return int(t) if t > 0.0 else 0  # 0 * inf (b - a subnormal) is NaN: bin 0


@nb.njit(nogil=True, cache=True)
def _near(a: float, b: float, j: int) -> tuple[float, float]:
    """Values outside these cannot be in bin ``j`` of [a, b] (a bin's width of slack each side
    for rounding): a pass tests them first, and computes the bin of the few between. A bin
    narrow next to the rounding of a and b gets no shortcut: [a, b].
    """
    width = (b - a) / BINS
    if not width > 1e-12 * max(abs(a), abs(b)):
        return a, b
    return max(a, a + (j - 1) * width), min(b, a + (j + 2) * width)


@nb.njit(nogil=True, cache=True)
def _count(x: np.ndarray, a: float, b: float, counts: np.ndarray) -> None:
    counts[:] = 0
    scale = BINS / (b - a)
    for v in x:
        if a <= v <= b:
            counts[_bin(v, a, scale)] += 1


@nb.njit(nogil=True, cache=True)
def _narrow(x: np.ndarray, a: float, b: float, j: int) -> tuple[float, int, float, float]:
    """The values of bin ``j`` of [a, b] (all of ``x`` with j = -1): their least, how many
    equal it, the next larger one (inf if none) and their greatest.
    """
    scale = BINS / (b - a) if j >= 0 else 0.0
    near_lo, near_hi = _near(a, b, j) if j >= 0 else (-math.inf, math.inf)
    least, ties, next_up, most = math.inf, 0, math.inf, -math.inf
    for v in x:
        if j < 0 or (near_lo <= v <= near_hi and _bin(v, a, scale) == j):
            if v < least:
                next_up = least
                least, ties = v, 1
            elif v == least:
                ties += 1
            elif v < next_up:
                next_up = v
            most = max(most, v)
    return least, ties, next_up, most


@nb.njit(nogil=True, cache=True)
def order_statistics(x: np.ndarray, ranks: np.ndarray) -> tuple[np.ndarray, bool]:
    """``np.sort(x)[ranks]`` without sorting ``x``, and whether it was found: False where
    the values are spread too unevenly for counting to pay (:data:`SLOW_NARROWINGS`); sort
    or partition then.

    ``x``: shape (n,), finite values (NaN has no rank). ``ranks``: increasing integers in
    [0, n). Returns float64 values, shape of ``ranks``, each one of ``x``'s own values.
    """
    out = np.empty(ranks.size)
    if ranks.size == 0:
        return out, True
    for i in range(ranks.size):
        if not 0 <= ranks[i] < x.size or (i > 0 and ranks[i] < ranks[i - 1]):
            raise ValueError("ranks must be increasing, each in [0, n)")
    # A range [a, b] holding `inside` values, `below` values under a, counted in `counts`:
    # first the whole array less the run of ties at its bottom (a loss row's zeros, which
    # would otherwise crowd every bin the search narrows to).
    lo, ties, first_a, first_b = _narrow(x, 0.0, 0.0, -1)
    first = np.zeros(BINS, np.int64)
    if first_a < first_b:
        _count(x, first_a, first_b, first)
    a, b, below, inside = first_a, first_b, ties, x.size - ties
    counts = first.copy()
    work = np.empty(BINS, np.int64)
    # Rank runs answered last: ranks [known_from, known_from + known.size) are known's
    # values (neighbouring ranks, as a percentile's two, usually share a bin).
    known = np.full(min(ties, GATHER_MAX), lo)
    known_from = 0
    for i in range(ranks.size):
        k = ranks[i]
        slow = 0  # narrowings for rank k that did not halve the values in range
        if known_from <= k < known_from + known.size:
            out[i] = known[k - known_from]
            continue
        if k < ties:
            out[i] = lo
            continue
        # Start from the narrowest range counted so far that holds rank k, else the whole.
        if not below <= k < below + inside:
            a, b, below, inside = first_a, first_b, ties, x.size - ties
            counts[:] = first
        while True:
            if a == b:  # every value in range is a
                known, known_from = np.full(min(inside, GATHER_MAX), a), below
                out[i] = a
                break
            j, at = 0, below
            while at + counts[j] <= k:
                at += counts[j]
                j += 1
            m = counts[j]
            if m > GATHER_MAX:  # too many to sort: narrow to this bin's values, less ties
                if 2 * m > inside:
                    slow += 1
                    if slow > SLOW_NARROWINGS:
                        return out, False
                least, run, next_up, most = _narrow(x, a, b, j)
                if k < at + run:
                    known, known_from = np.full(min(run, GATHER_MAX), least), at
                    out[i] = least
                    break
                a, b, below, inside = next_up, most, at + run, m - run
                if a < b:
                    _count(x, a, b, work)
                    counts, work = work, counts
                continue
            scale = BINS / (b - a)
            near_lo, near_hi = _near(a, b, j)
            gathered = np.empty(m)
            c = 0
            for v in x:
                if near_lo <= v <= near_hi and _bin(v, a, scale) == j:
                    gathered[c] = v
                    c += 1
            gathered.sort()
            known, known_from = gathered, at
            out[i] = gathered[k - at]
            break
    return out, True


def quantile_ranks(n: int, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``np.quantile``'s "linear" method for ``n`` sorted values at levels ``q``: the ranks of
    the two neighbours of each virtual index and the weight of the upper one, with numpy's
    conventions at the top end (index n - 1 from the last level on).
    """
    q = np.asarray(q, dtype=np.float64)
    virtual = (n - 1) * q
    below = np.floor(virtual).astype(np.intp)
    above = below + 1
    top = virtual >= n - 1
    below[top] = above[top] = -1
    gamma = virtual - below
    return below, above, gamma


def interpolate(a: np.ndarray, b: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    """The two-sided linear interpolation numpy uses between neighbours ``a`` and ``b``."""
    diff = b - a
    out = a + diff * gamma
    np.subtract(b, diff * (1 - gamma), out=out, where=gamma >= 0.5)
    return out


def quantiles(x: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``np.quantile(x, q)`` (its default "linear" method), bit for bit, by
    :func:`order_statistics` instead of a partition of a copy of ``x``. ``x``: shape (n,),
    n >= 1, finite.
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    n = x.size
    below, above, gamma = quantile_ranks(n, q)
    # Rank -1 is numpy's "the largest value".
    wanted = np.unique(np.concatenate([below, above]) % n)
    values, found = order_statistics(x, wanted.astype(np.int64))
    if not found:
        return np.quantile(x, q)
    # values[j] is the wanted[j]-th smallest: look each neighbour's rank up in wanted.
    return interpolate(values[np.searchsorted(wanted, below % n)],
                       values[np.searchsorted(wanted, above % n)], gamma)
