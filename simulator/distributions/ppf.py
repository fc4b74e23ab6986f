"""numba inverse-CDF kernels: ``x = F^-1(u)`` for every family code of :mod:`simulator.codes`.

The distributions draw through these (:meth:`Distribution.sample`) and so does the engine, so
a distribution's own draws and a run's are the same numbers. Plain arrays in, plain arrays out:
the family and its parameters are compiled (:meth:`Distribution.compile`) before a kernel runs.
"""
from __future__ import annotations

import math
from typing import Any

import numba as nb
import numpy as np

from simulator.codes import (
    BERNOULLI,
    CONSTANT,
    DISCRETE,
    LOGNORMAL,
    NORMAL,
    TABLE,
    TRIANGULAR,
    UNIFORM,
)

_jit: dict[str, Any] = dict(nogil=True, cache=True)
# Kernels whose loops should vectorise: numba's default ("python") error model checks every
# float division for a zero divisor, which stops LLVM vectorising the loop (measured 4-6x).
# No division in these kernels can meet a zero divisor, and none relies on the exception.
_vec: dict[str, Any] = dict(nogil=True, cache=True, error_model="numpy")


@nb.njit(**_vec)
def _norm_central(q: float) -> float:
    r = 0.180625 - q * q
    num = (((((((2509.0809287301226727 * r + 33430.575583588128105) * r
                + 67265.770927008700853) * r + 45921.953931549871457) * r
              + 13731.693765509461125) * r + 1971.5909503065514427) * r
            + 133.14166789178437745) * r + 3.387132872796366608)
    den = (((((((5226.495278852545925 * r + 28729.085735721942674) * r
                + 39307.89580009271061) * r + 21213.794301586595867) * r
              + 5394.1960214247511077) * r + 687.1870074920579083) * r
            + 42.313330701600911252) * r + 1.0)
    return q * num / den


@nb.njit(**_vec)
def _norm_tail(p: float) -> float:
    # AS241's two tail branches for |p - 0.5| > 0.425, written without a branch on the sign
    # of p - 0.5: that sign is random, and mispredicting it cost more than the arithmetic.
    q = p - 0.5
    r = min(p, 1.0 - p)
    if r <= 0.0:
        # p is exactly 0 or 1 only where a uniform is: the streams give 0.0 once in 2^53
        # draws, and a window [ua, 1) can round up to 1. It counts as the most extreme
        # uniform validation allows for (EXTREME_U = 2^-53), not as an infinite draw that
        # would stop the run.
        r = 1.1102230246251565e-16
    r = math.sqrt(-math.log(r))
    if r <= 5.0:
        r -= 1.6
        num = (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r
                    + 0.24178072517745061177) * r + 1.27045825245236838258) * r
                  + 3.64784832476320460504) * r + 5.7694972214606914055) * r
                + 4.6303378461565452959) * r + 1.42343711074968357734)
        den = (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r
                    + 0.0151986665636164571966) * r + 0.14810397642748007459) * r
                  + 0.68976733498510000455) * r + 1.6763848301838038494) * r
                + 2.05319162663775882187) * r + 1.0)
    else:
        r -= 5.0
        num = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r
                    + 0.0012426609473880784386) * r + 0.026532189526576123093) * r
                  + 0.29656057182850489123) * r + 1.7848265399172913358) * r
                + 5.4637849111641143699) * r + 6.6579046435011037772)
        den = (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r
                    + 1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r
                  + 0.0148753612908506148525) * r + 0.13692988092273580531) * r
                + 0.59983220655588793769) * r + 1.0)
    return math.copysign(num / den, q)


@nb.njit(**_vec)
def norm_ppf(p: float) -> float:
    """Standard normal quantile, Wichura's AS241 (PPND16), relative error about 1e-16."""
    q = p - 0.5
    if abs(q) <= 0.425:
        return _norm_central(q)
    return _norm_tail(p)


_BLOCK = 512  # trials per block of the two-pass kernels: their scratch stays in L1 cache
# _IN_PLACE: a loop whose input and output are the same array (the engine maps severities in
# place) fails LLVM's runtime overlap check and runs unvectorised, about 2x slower; writing a
# block into L1 scratch and copying it back keeps both loops vectorised.


@nb.njit(**_vec)
def norm_ppf_into(u: np.ndarray, out: np.ndarray) -> None:
    """``out[i] = norm_ppf(u[i])``, bit-identical to :func:`norm_ppf` but several times faster.

    Block by block, the central branch (85% of uniforms) runs for every element in a loop
    without branches, which the compiler vectorises; the indices of the tail elements are then
    collected without a branch and only those are recomputed (a branch per element on a random
    15% condition costs more in mispredictions than the tail arithmetic). ``u`` and ``out``
    must not be the same array.
    """
    n = u.shape[0]
    tails = np.empty(_BLOCK, np.int64)
    for b in range(0, n, _BLOCK):
        # Slices, not index ranges: with i in range(b, e) numba's negative-index wraparound
        # survives and the loop does not vectorise.
        ub = u[b:b + _BLOCK]
        ob = out[b:b + _BLOCK]
        for i in range(ub.shape[0]):
            ob[i] = _norm_central(ub[i] - 0.5)
        k = 0
        for i in range(ub.shape[0]):
            tails[k] = i
            k += abs(ub[i] - 0.5) > 0.425
        for j in range(k):
            i = tails[j]
            ob[i] = _norm_tail(ub[i])


@nb.njit(**_jit)
def _table_ppf(u: float, data: np.ndarray, off: int, n: int, t: int, m: int) -> float:
    # Main grid: n + 1 knots at u = i / n, linear in between. The m cells at each end are
    # covered instead by t + 1 knots at distance s = 2^(-j/2) * m / n from that end, with
    # log-log interpolation (exact for power-law tails), so tails stay accurate in x too.
    x = u * n
    if x >= m and x < n - m:
        i = int(x)
        w = x - i
        a = data[off + i]
        return a + w * (data[off + i + 1] - a)
    if x < m:
        base = off + n + 1
        s = x / m
    else:
        base = off + n + 1 + t + 1
        s = (1.0 - u) * n / m
    if s <= 0.0:
        return data[base + t]
    pos = -2.0 * math.log2(s)  # knot j sits at pos = j
    j = int(pos)
    if j >= t:
        return data[base + t]
    w = pos - j
    a = data[base + j]
    b = data[base + j + 1]
    if a > 0.0 and b > 0.0:
        return a * (b / a) ** w
    if a < 0.0 and b < 0.0:
        return a * (b / a) ** w
    return a + w * (b - a)


@nb.njit(**_vec)
def _table_fill(u: np.ndarray, data: np.ndarray, off: int, n: int, t: int, m: int,
                out: np.ndarray) -> None:
    # _table_ppf over an array, bit-identical: block by block, the tail uniforms (under 1%)
    # are set aside without a branch, the main-grid interpolation runs for every element with
    # a clamped cell index (a loop without branches, which vectorises), then the tails are
    # redone. The tail uniforms are saved first, so ``out`` may be ``u``.
    main = data[off:off + n + 1]
    tails = np.empty(_BLOCK, np.int64)
    tail_u = np.empty(_BLOCK)
    block = np.empty(_BLOCK)  # results go via this scratch: see _IN_PLACE
    for b in range(0, u.shape[0], _BLOCK):
        ub = u[b:b + _BLOCK]
        ob = out[b:b + _BLOCK]
        k = 0
        for i in range(ub.shape[0]):
            x = ub[i] * n
            tails[k] = i
            tail_u[k] = ub[i]
            k += not (x >= m and x < n - m)
        for i in range(ub.shape[0]):
            x = ub[i] * n
            j = int(min(max(x, float(m)), float(n - m - 1)))
            w = x - j
            a = main[j]
            block[i] = a + w * (main[j + 1] - a)
        for i in range(ub.shape[0]):
            ob[i] = block[i]
        for j in range(k):
            ob[tails[j]] = _table_ppf(tail_u[j], data, off, n, t, m)


@nb.njit(**_jit)
def _discrete_ppf(u: float, data: np.ndarray, off: int, k: int, g: int, has_values: bool) -> float:
    # The guide cell of u names the first outcome whose cdf can exceed u; a short linear
    # search (under two steps on average) finds the exact one.
    j = int(data[off + k * (2 if has_values else 1) + int(u * g)])
    while data[off + j] <= u:
        j += 1
    return data[off + k + j] if has_values else float(j)


@nb.njit(**_jit)
def ppf(u: float, code: int, p: np.ndarray, data: np.ndarray) -> float:
    """Quantile ``F^-1(u)`` of the distribution ``(code, p)`` at ``u`` in [0, 1)."""
    if code == CONSTANT:
        return p[0]
    if code == UNIFORM:
        return p[0] + u * p[1]
    if code == TRIANGULAR:
        a = p[0]
        c = p[1]
        b = p[2]
        if u < p[3]:
            return a + math.sqrt(u * (b - a) * (c - a))
        return b - math.sqrt((1.0 - u) * (b - a) * (b - c))
    if code == NORMAL:
        return p[0] + p[4] * p[1] * norm_ppf(p[2] + u * p[3])
    if code == LOGNORMAL:
        return math.exp(p[0] + p[1] * norm_ppf(u))
    if code == TABLE:
        return _table_ppf(u, data, int(p[0]), int(p[1]), int(p[2]), int(p[3]))
    if code == BERNOULLI:
        return 1.0 if u < p[0] else 0.0
    if code == DISCRETE:
        return _discrete_ppf(u, data, int(p[0]), int(p[1]), int(p[2]), p[3] != 0.0)
    return math.nan


@nb.njit(**_vec)
def fill_ppf(u: np.ndarray, code: int, p: np.ndarray, data: np.ndarray, out: np.ndarray,
             tmp: np.ndarray) -> None:
    """``out[i] = F^-1(u[i])`` for one distribution; shapes (n,); ``tmp`` is scratch of at
    least n (``out`` may be ``u``, but neither may be ``tmp``).

    The family is chosen once, outside the loop: a call of the general :func:`ppf` per draw
    costs several times the arithmetic of the cheap families. Scratch comes from the caller
    because fresh memory is slow here (page faults serialise threads).
    """
    n = u.shape[0]
    if code == CONSTANT:
        for i in range(n):
            out[i] = p[0]
    elif code == UNIFORM:
        for i in range(n):
            out[i] = p[0] + u[i] * p[1]
    elif code == TRIANGULAR:
        a, c, b, fc = p[0], p[1], p[2], p[3]
        left, right = (b - a) * (c - a), (b - a) * (b - c)
        block = np.empty(_BLOCK)  # see _IN_PLACE
        for start in range(0, n, _BLOCK):
            ub = u[start:start + _BLOCK]
            ob = out[start:start + _BLOCK]
            for i in range(ub.shape[0]):
                x = ub[i]
                block[i] = a + math.sqrt(x * left) if x < fc else b - math.sqrt((1.0 - x) * right)
            for i in range(ub.shape[0]):
                ob[i] = block[i]
    elif code == NORMAL:
        scale = p[4] * p[1]
        if p[2] == 0.0 and p[3] == 1.0:  # not truncated: p2 + u * p3 is u, bit for bit
            z = tmp[:n]
            norm_ppf_into(u, z)
            for i in range(n):
                out[i] = p[0] + scale * z[i]
        else:
            v = tmp[:n]
            for i in range(n):
                v[i] = p[2] + u[i] * p[3]
            norm_ppf_into(v, out)
            for i in range(n):
                out[i] = p[0] + scale * out[i]
    elif code == LOGNORMAL:
        z = tmp[:n]
        norm_ppf_into(u, z)
        for i in range(n):
            out[i] = math.exp(p[0] + p[1] * z[i])
    elif code == TABLE:
        _table_fill(u, data, int(p[0]), int(p[1]), int(p[2]), int(p[3]), out)
    elif code == BERNOULLI:
        for i in range(n):
            out[i] = 1.0 if u[i] < p[0] else 0.0
    elif code == DISCRETE:
        off, k, g, has_values = int(p[0]), int(p[1]), int(p[2]), p[3] != 0.0
        for i in range(n):
            out[i] = _discrete_ppf(u[i], data, off, k, g, has_values)
    else:
        for i in range(n):
            out[i] = ppf(u[i], code, p, data)

