"""numba kernels: inverse-CDF sampling and the per-trial model arithmetic.

Every kernel takes plain arrays; which distribution family, which parameters and which model
structure apply is decided before a kernel runs (see :mod:`simulator.compiled`), so one set of
compiled kernels serves every scenario and the numba cache makes later processes start quickly.

Sampling is inverse-CDF throughout: a kernel maps uniforms ``u`` in [0, 1) to draws
``x = F^-1(u)``. The uniforms come from per-input streams drawn outside the kernels, which is what
lets correlation, Latin hypercube designs and common random numbers plug in later without
touching the kernels.
"""
from __future__ import annotations

import math

import numba as nb
import numpy as np

# Distribution codes. Parameters live in a row of 8 float64 values, laid out per code as noted;
# ``data`` is one flat float64 array holding tables referred to by offset.
CONSTANT = 0  # p0 = value
UNIFORM = 1  # p0 = min, p1 = max - min
TRIANGULAR = 2  # p0 = min, p1 = mode, p2 = max, p3 = (mode - min) / (max - min)
NORMAL = 3  # x = p0 + p4 * p1 * Phi^-1(p2 + u * p3); p2, p3 truncate; p4 = +-1 (tail flip)
LOGNORMAL = 4  # x = exp(p0 + p1 * Phi^-1(u))
TABLE = 5  # tabulated quantile: p0 = offset in data, p1 = cells N, p2 = tail knots T,
#           p3 = end cells M handled by the tail knots
POISSON = 6  # p0 = mean, p1 = mode, p2 = pmf(mode), p3 = cdf(mode)
BERNOULLI = 7  # p0 = probability of 1
NEGBIN = 8  # p0 = dispersion r, p1 = mean / (r + mean), p2 = mode, p3 = pmf(mode), p4 = cdf(mode)
DISCRETE = 9  # p0 = offset in data, p1 = K; data[off:off+K] values, data[off+K:off+2K] cdf

N_PARAMS = 8

_jit = dict(nogil=True, cache=True)


@nb.njit(**_jit)
def norm_ppf(p: float) -> float:
    """Standard normal quantile, Wichura's AS241 (PPND16), relative error about 1e-16."""
    q = p - 0.5
    if abs(q) <= 0.425:
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
    r = p if q < 0.0 else 1.0 - p
    if r <= 0.0:
        return -math.inf if q < 0.0 else math.inf
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
    x = num / den
    return -x if q < 0.0 else x


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


@nb.njit(**_jit)
def _count_from_mode(u: float, code: int, p: np.ndarray) -> int:
    # Inversion by sequential search starting at the mode, with the pmf and cdf at the mode
    # precomputed: exact, one uniform per draw, about sqrt(mean) steps for large means.
    if code == POISSON:
        lam = p[0]
        k = int(p[1])
        pk = p[2]
        cdf = p[3]
    else:
        r = p[0]
        q = p[1]
        k = int(p[2])
        pk = p[3]
        cdf = p[4]
    if u < cdf:
        # Walk down: smallest k with cdf(k) > u.
        while k > 0:
            below = cdf - pk
            if u >= below:
                return k
            if code == POISSON:
                pk = pk * k / lam
            else:
                pk = pk * k / ((k - 1 + r) * q)
            cdf = below
            k -= 1
        return 0
    # Walk up until the cdf passes u; stop if the pmf underflows (u within rounding of 1).
    while u >= cdf:
        if code == POISSON:
            pk = pk * lam / (k + 1)
        else:
            pk = pk * (k + r) / (k + 1) * q
        k += 1
        if pk <= 0.0:
            break
        cdf += pk
    return k


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
    if code == POISSON or code == NEGBIN:
        return float(_count_from_mode(u, code, p))
    if code == BERNOULLI:
        return 1.0 if u < p[0] else 0.0
    if code == DISCRETE:
        off = int(p[0])
        k = int(p[1])
        # First category whose cdf exceeds u (binary search).
        lo = 0
        hi = k - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if data[off + k + mid] > u:
                hi = mid
            else:
                lo = mid + 1
        return data[off + lo]
    return math.nan


@nb.njit(**_jit)
def fill_ppf(u: np.ndarray, code: int, p: np.ndarray, data: np.ndarray, out: np.ndarray) -> None:
    """``out[i] = F^-1(u[i])`` for one distribution; shapes (n,).

    The family is chosen once, outside the loop: a call of the general :func:`ppf` per draw
    costs several times the arithmetic of the cheap families.
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
        for i in range(n):
            x = u[i]
            out[i] = a + math.sqrt(x * left) if x < fc else b - math.sqrt((1.0 - x) * right)
    elif code == NORMAL:
        for i in range(n):
            out[i] = p[0] + p[4] * p[1] * norm_ppf(p[2] + u[i] * p[3])
    elif code == LOGNORMAL:
        for i in range(n):
            out[i] = math.exp(p[0] + p[1] * norm_ppf(u[i]))
    elif code == TABLE:
        off, cells, knots, ends = int(p[0]), int(p[1]), int(p[2]), int(p[3])
        for i in range(n):
            out[i] = _table_ppf(u[i], data, off, cells, knots, ends)
    elif code == BERNOULLI:
        for i in range(n):
            out[i] = 1.0 if u[i] < p[0] else 0.0
    elif code == POISSON or code == NEGBIN:
        # Most draws of a rare event land at 0: settle those without the search.
        if code == POISSON:
            mode, cdf_mode = p[1], p[3]
        else:
            mode, cdf_mode = p[2], p[4]
        zero = cdf_mode if mode == 0.0 else -1.0
        for i in range(n):
            x = u[i]
            out[i] = 0.0 if x < zero else float(_count_from_mode(x, code, p))
    else:
        for i in range(n):
            out[i] = ppf(u[i], code, p, data)


@nb.njit(**_jit)
def wage_and_costs(levels: np.ndarray, wf: np.ndarray, disc: np.ndarray,
                   cost_kind: np.ndarray, cost_input: np.ndarray, cost_growth: np.ndarray,
                   cost_first: np.ndarray, cost_last: np.ndarray,
                   gross_out: np.ndarray, cost_out: np.ndarray) -> None:
    """Present value of gross wage savings and of each cost line, per trial.

    levels: (n_inputs, n) per-trial input values; wf: indices of the seven workforce inputs
    (onshore fte, onshore cost, offshore fte, offshore cost, onshore growth, offshore growth,
    ramp-up months); disc: (horizon,) discount factor per year. Cost kinds: 0 amount,
    1/2/3 share of that year's offshore bill / onshore bill / positive gross savings.
    Writes gross_out (n,) and cost_out (n_costs, n), in currency, positive cost = money lost.
    """
    n = levels.shape[1]
    horizon = disc.shape[0]
    n_costs = cost_kind.shape[0]
    for i in range(n):
        on0 = levels[wf[0], i] * levels[wf[1], i]
        off0 = levels[wf[2], i] * levels[wf[3], i]
        g_on = 1.0 + levels[wf[4], i]
        g_off = 1.0 + levels[wf[5], i]
        ramp = levels[wf[6], i]
        gross = 0.0
        for c in range(n_costs):
            cost_out[c, i] = 0.0
        on_t = on0
        off_t = off0
        for t in range(horizon):
            # Share of year t still in ramp-up: both teams are paid, nothing is saved.
            f = (ramp - 12.0 * t) / 12.0
            f = 0.0 if f < 0.0 else (1.0 if f > 1.0 else f)
            gross_t = (1.0 - f) * on_t - off_t
            gross += disc[t] * gross_t
            for c in range(n_costs):
                if t < cost_first[c] or t > cost_last[c]:
                    continue
                x = levels[cost_input[c], i]
                kind = cost_kind[c]
                if kind == 0:
                    x *= (1.0 + levels[cost_growth[c], i]) ** (t - cost_first[c])
                elif kind == 1:
                    x *= off_t
                elif kind == 2:
                    x *= on_t
                else:
                    x *= gross_t if gross_t > 0.0 else 0.0
                cost_out[c, i] += disc[t] * x
            on_t *= g_on
            off_t *= g_off
        gross_out[i] = gross


@nb.njit(**_jit)
def event_counts(u: np.ndarray, code: int, p: np.ndarray, data: np.ndarray,
                 counts: np.ndarray) -> int:
    """Events per (year, trial) from uniforms u of shape (years, n); returns the total."""
    flat = np.empty(u.shape[1])
    total = 0
    for t in range(u.shape[0]):
        fill_ppf(u[t], code, p, data, flat)
        for i in range(u.shape[1]):
            k = int(flat[i])
            counts[t, i] = k
            total += k
    return total


@nb.njit(**_jit)
def event_losses(counts: np.ndarray, severity: np.ndarray, cap_event: float, cap_year: float,
                 disc: np.ndarray, out: np.ndarray) -> None:
    """Present value of one risk's losses per trial.

    counts: (years, n) events; severity: (counts.sum(),) loss per event, in the order of the
    events year by year, trial by trial; disc: (years,) discount factors of the years the risk
    is live. Each event loses min(severity, cap_event); each year's total is capped at cap_year.
    Writes out (n,).
    """
    j = 0
    for i in range(counts.shape[1]):
        out[i] = 0.0
    for t in range(counts.shape[0]):
        for i in range(counts.shape[1]):
            k = counts[t, i]
            if k == 0:
                continue
            year = 0.0
            for _ in range(k):
                s = severity[j]
                j += 1
                year += s if s < cap_event else cap_event
            if year > cap_year:
                year = cap_year
            out[i] += disc[t] * year
