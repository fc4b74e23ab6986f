"""numba kernels of the model: the per-trial arithmetic (wages, costs, event counts and
losses, the engagement as a state) and the engine's own streams (SFC64 seeding, copula, Latin
hypercube).

Every kernel takes plain arrays; which distribution family, which parameters and which model
structure apply is decided before a kernel runs (see :mod:`simulator.scenario.compiled`), so one
set of compiled kernels serves every scenario and the numba cache makes later processes start
quickly. Draws are inverse-CDF throughout, through :mod:`simulator.distributions.ppf` (imported
here, so ``kernels.fill_ppf`` is the same function): a kernel maps uniforms ``u`` in [0, 1) to
``x = F^-1(u)``, the uniforms coming from per-input streams drawn outside the kernels, which is
what lets correlation, Latin hypercube designs and common random numbers plug in without
touching the kernels.
"""
from __future__ import annotations

import math
from typing import Any

import numba as nb
import numpy as np

from simulator.codes import (
    CONSTANT,
    DISCRETE,
    RATE_BERNOULLI,
    RATE_POISSON,
    RECOVER_EVENT,
    RECOVER_YEAR,
    TIMING_END,
    TIMING_START,
)
from simulator.distributions.ppf import (  # noqa: F401 (re-exported)
    _BLOCK,
    _discrete_ppf,
    _jit,
    _vec,
    fill_ppf,
    norm_ppf,
    norm_ppf_into,
    ppf,
)

# numba's options as a plain ``dict[str, Any]``: its stubs type each keyword of njit, which a
# dict of mixed values cannot match; numba checks the values itself when it compiles.
_JIT: dict[str, Any] = dict(_jit)  #: scalar kernels: nogil, cached
_VEC: dict[str, Any] = dict(_vec)  #: array kernels, as ppf's

_MASK32 = np.uint64(0xFFFFFFFF)
_S16 = np.uint64(16)


@nb.njit(**_JIT)
def _hashmix(value: np.uint64, hash_const: np.ndarray) -> np.uint64:
    value = (value ^ hash_const[0]) & _MASK32
    hash_const[0] = (hash_const[0] * np.uint64(0x931E8875)) & _MASK32
    value = (value * hash_const[0]) & _MASK32
    return value ^ (value >> _S16)


@nb.njit(**_JIT)
def _mix(x: np.uint64, y: np.uint64) -> np.uint64:
    r = ((np.uint64(0xCA01F9DD) * x) - (np.uint64(0x4973F715) * y)) & _MASK32
    return r ^ (r >> _S16)


@nb.njit(**_JIT)
def sfc64_seed(entropy: np.ndarray, state: np.ndarray) -> None:
    """Write into ``state`` (4,) uint64 the SFC64 state that ``numpy.random.SFC64(ss)`` starts
    from, for the SeedSequence whose assembled entropy (32-bit words, run entropy padded to
    four words, then the spawn key) is ``entropy``: numpy's SeedSequence pool mixing,
    ``generate_state(3, uint64)`` and SFC64's twelve warm-up rounds, about 10x cheaper than
    building the numpy objects (which hold the GIL).
    """
    pool = np.zeros(4, np.uint64)
    hash_const = np.array([0x43B0D7E5], np.uint64)
    for i in range(4):
        pool[i] = _hashmix(entropy[i] if i < entropy.shape[0] else np.uint64(0), hash_const)
    for i_src in range(4):
        for i_dst in range(4):
            if i_src != i_dst:
                pool[i_dst] = _mix(pool[i_dst], _hashmix(pool[i_src], hash_const))
    for i_src in range(4, entropy.shape[0]):
        for i_dst in range(4):
            pool[i_dst] = _mix(pool[i_dst], _hashmix(entropy[i_src], hash_const))
    words = np.zeros(6, np.uint64)
    mult = np.uint64(0x8B51F9DD)
    for i in range(6):
        v = (pool[i % 4] ^ mult) & _MASK32
        mult = (mult * np.uint64(0x58F38DED)) & _MASK32
        v = (v * mult) & _MASK32
        words[i] = v ^ (v >> _S16)
    s32 = np.uint64(32)
    state[0] = words[0] | (words[1] << s32)
    state[1] = words[2] | (words[3] << s32)
    state[2] = words[4] | (words[5] << s32)
    state[3] = np.uint64(1)
    scratch = np.empty(12)
    sfc64_uniforms(state, scratch)  # SFC64's seeding discards its first 12 outputs


@nb.njit(**_JIT)
def sfc64_uniforms(state: np.ndarray, out: np.ndarray) -> None:
    """Fill ``out`` (n,) with uniforms in [0, 1) from an SFC64 ``state`` (a, b, c, counter as
    numpy seeds it), advancing the state: the same numbers, bit for bit, as numpy's
    ``Generator(SFC64(...)).random``, at about a third of its cost here (no call per array
    through numpy's generic fill).
    """
    a, b, c, w = state[0], state[1], state[2], state[3]
    s3, s11, s24, s40 = np.uint64(3), np.uint64(11), np.uint64(24), np.uint64(40)
    one = np.uint64(1)
    for i in range(out.shape[0]):
        tmp = a + b + w
        w += one
        a = b ^ (b >> s11)
        b = c + (c << s3)
        c = ((c << s24) | (c >> s40)) + tmp
        out[i] = (tmp >> s11) * (1.0 / 9007199254740992.0)  # numpy's next_double
    state[0], state[1], state[2], state[3] = a, b, c, w




@nb.njit(**_VEC)
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
    # Blocks of trials, year by year inside a block: every inner loop runs over the trials of
    # the block without a branch and vectorises (a loop per trial over years and cost kinds
    # did not), while the yearly bills of a block stay in L1 cache. Each trial's arithmetic is
    # the same sequence of operations as year by year per trial, so the results are too.
    on = np.empty((horizon, _BLOCK))
    off = np.empty((horizon, _BLOCK))
    gross = np.empty((horizon, _BLOCK))
    factor = np.empty(_BLOCK)
    for b in range(0, n, _BLOCK):
        on_fte, on_cost = levels[wf[0], b:b + _BLOCK], levels[wf[1], b:b + _BLOCK]
        off_fte, off_cost = levels[wf[2], b:b + _BLOCK], levels[wf[3], b:b + _BLOCK]
        g_on, g_off = levels[wf[4], b:b + _BLOCK], levels[wf[5], b:b + _BLOCK]
        ramp = levels[wf[6], b:b + _BLOCK]
        total = gross_out[b:b + _BLOCK]
        m = total.shape[0]
        for k in range(m):
            on[0, k] = on_fte[k] * on_cost[k]
            off[0, k] = off_fte[k] * off_cost[k]
            total[k] = 0.0
        for t in range(1, horizon):
            for k in range(m):
                on[t, k] = on[t - 1, k] * (1.0 + g_on[k])
                off[t, k] = off[t - 1, k] * (1.0 + g_off[k])
        for t in range(horizon):
            d = disc[t]
            for k in range(m):
                # Share of year t still in ramp-up: both teams are paid, nothing is saved.
                f = (ramp[k] - 12.0 * t) / 12.0
                f = 0.0 if f < 0.0 else (1.0 if f > 1.0 else f)
                gross[t, k] = (1.0 - f) * on[t, k] - off[t, k]
                total[k] += d * gross[t, k]
        for c in range(n_costs):
            x = levels[cost_input[c], b:b + _BLOCK]
            growth = levels[cost_growth[c], b:b + _BLOCK]
            kind = cost_kind[c]
            cost = cost_out[c, b:b + _BLOCK]
            for k in range(m):
                cost[k] = 0.0
                factor[k] = 1.0
            for t in range(cost_first[c], cost_last[c] + 1):
                d = disc[t]
                if kind == 0:
                    for k in range(m):
                        cost[k] += d * (x[k] * factor[k])
                        factor[k] *= 1.0 + growth[k]
                elif kind == 1:
                    for k in range(m):
                        cost[k] += d * (x[k] * off[t, k])
                elif kind == 2:
                    for k in range(m):
                        cost[k] += d * (x[k] * on[t, k])
                else:
                    for k in range(m):
                        g = gross[t, k]
                        cost[k] += d * (x[k] * (g if g > 0.0 else 0.0))


@nb.njit(**_JIT)
def event_counts(u: np.ndarray, code: int, p: np.ndarray, data: np.ndarray,
                 counts: np.ndarray, tmp: np.ndarray) -> int:
    """Events per (year, trial) from uniforms u of shape (years, n) into counts (years, n);
    returns the total. ``tmp``: scratch of 2n.
    """
    n = u.shape[1]
    flat = tmp[:n]
    total = 0
    if code == DISCRETE and p[3] == 0.0:  # counts 0..K-1 (Poisson, negative binomial)
        # _discrete_ppf straight into the integer counts (no float round trip: 2x faster).
        off, k, g = int(p[0]), int(p[1]), int(p[2])
        cdf = data[off:off + k]
        guide = data[off + k:off + k + g]
        for t in range(u.shape[0]):
            for i in range(n):
                x = u[t, i]
                j = int(guide[int(x * g)])
                while cdf[j] <= x:
                    j += 1
                counts[t, i] = j
                total += j
        return total
    for t in range(u.shape[0]):
        fill_ppf(u[t], code, p, data, flat, tmp[n:])
        for i in range(u.shape[1]):
            k = int(flat[i])
            counts[t, i] = k
            total += k
    return total


FIXED_EVENTS = 8
"""Events per trial and year that the branch-free paths below handle; scratch for a block's
events needs this many slots past the last (they may be read, never used)."""
EVENT_BLOCK = 2048
"""Trials per block of :func:`risk_losses`: a block's counts, uniforms and events (a few
thousand) stay in L1/L2 cache, where the whole chunk's (65,536 trials, up to several hundred
thousand events) streamed through L3 between the four passes of an unfused pipeline."""


@nb.njit(**_JIT)
def _cells(counts: np.ndarray, cells: np.ndarray) -> int:
    """Write the indices of ``counts`` (m,) with at least one event into ``cells``, in order;
    returns how many. Collected without a branch: for a rare risk, a loop that skips empty
    cells one by one mispredicts on every few cells; the loops after it visit only the cells
    with events.
    """
    m = 0
    for c in range(counts.shape[0]):
        cells[m] = c
        m += counts[c] != 0
    return m


@nb.njit(**_JIT)
def _block_event_uniforms(counts: np.ndarray, cells: np.ndarray, n_cells: int,
                          first: np.ndarray, rest: np.ndarray, out: np.ndarray) -> None:
    """The uniforms of a block's events (one year), in event order, into ``out``: cell c's
    first event takes ``first[c]``, later ones the next of ``rest``.

    Tying the first (for rare risks, almost every) event's draw to its (year, trial) keeps
    severities paired between two scenarios whose event counts differ elsewhere: common
    random numbers for a control that changes a rate, or options with different frequencies.
    """
    j = 0
    m = 0
    n_out = out.shape[0]
    n_rest = rest.shape[0]
    for q in range(n_cells):
        c = cells[q]
        k = counts[c]
        out[j] = first[c]
        if k <= FIXED_EVENTS and j + FIXED_EVENTS <= n_out and m + FIXED_EVENTS - 1 <= n_rest:
            # Copy a fixed FIXED_EVENTS - 1 uniforms whatever k is (later events overwrite the
            # surplus): a loop of k - 1 steps mispredicts its exit about once per trial.
            for r in range(FIXED_EVENTS - 1):
                out[j + 1 + r] = rest[m + r]
            j += k
            m += k - 1
        else:
            j += 1
            for _ in range(k - 1):
                out[j] = rest[m]
                m += 1
                j += 1


@nb.njit(**_JIT)
def _severities(counts: np.ndarray, cells: np.ndarray, n_cells: int, first: np.ndarray,
                rest_state: np.ndarray, rest: np.ndarray, code: int, p: np.ndarray,
                data: np.ndarray, scale: float, size: np.ndarray, size_mode: int,
                out: np.ndarray, tmp: np.ndarray) -> None:
    """A block's severities in event order into ``out`` (its events): the quantiles of the
    first-event uniforms ``first`` and the rest stream's next numbers (into scratch ``rest``),
    times ``scale``, times the trial's size factor (``size_mode`` 1: ``size[i]``, 2:
    exp(size[i]), 0: none). A constant severity draws nothing: its streams serve no other
    number, so skipping them changes no result, and a risk such as a fixed cost per staff
    departure costs a third.
    """
    if code == CONSTANT:
        for j in range(out.shape[0]):
            out[j] = p[0]
    else:
        rb = rest[:out.shape[0] - n_cells]
        sfc64_uniforms(rest_state, rb)
        _block_event_uniforms(counts, cells, n_cells, first, rb, out)
        fill_ppf(out, code, p, data, out, tmp)
    if scale != 1.0:
        for j in range(out.shape[0]):
            out[j] *= scale
    if size_mode != 0:
        scale_events(counts.reshape(1, counts.shape[0]), size, size_mode == 2, out)


@nb.njit(**_JIT)
def _block_losses(counts: np.ndarray, cells: np.ndarray, n_cells: int, events: int,
                  severity: np.ndarray, cap_event: float, cap_year: float, d: float,
                  out: np.ndarray) -> None:
    """One year's losses of a block (``events`` in its ``n_cells`` cells with any): add
    d * min(sum of min(S, cap_event), cap_year) to ``out[c]`` of each cell with events,
    severities in event order.
    """
    j = 0
    n_sev = severity.shape[0]
    # A block of mostly single events (a rare risk) sums two terms a cell, not FIXED_EVENTS:
    # the terms are a chain of dependent additions, eight of them cost more than the rest of
    # a cell's work, and whether k <= 2 is then a well-predicted branch.
    short = events * 4 <= n_cells * 5
    for q in range(n_cells):
        c = cells[q]
        k = counts[c]
        year = 0.0
        if short and k <= 2 and j + 2 <= n_sev:
            s = severity[j]
            year += s if s < cap_event else cap_event
            s = severity[j + 1]
            s = s if s < cap_event else cap_event
            year += s if k > 1 else 0.0
            j += k
        elif k <= FIXED_EVENTS and j + FIXED_EVENTS <= n_sev:
            # A fixed FIXED_EVENTS terms, those past the k-th adding exactly 0.0: the same sum,
            # in the same order, as a loop of k steps without its mispredicted exit.
            for r in range(FIXED_EVENTS):
                s = severity[j + r]
                s = s if s < cap_event else cap_event
                year += s if r < k else 0.0
            j += k
        else:
            for _ in range(k):
                s = severity[j]
                j += 1
                year += s if s < cap_event else cap_event
        if year > cap_year:
            year = cap_year
        out[c] += d * year


@nb.njit(**_VEC)
def risk_losses(n: int, count_state: np.ndarray, first_state: np.ndarray,
                rest_state: np.ndarray, count_code: int, count_p: np.ndarray,
                rate: np.ndarray, rate_family: int, rate_factor: float, rate_r: float,
                sev_code: int, sev_p: np.ndarray, data: np.ndarray, sev_scale: float,
                size: np.ndarray, size_mode: int, cap_event: float, cap_year: float,
                disc: np.ndarray, out: np.ndarray, scratch: np.ndarray) -> int:
    """One risk of the plain model, fused: its events' counts, severities and capped,
    discounted losses per trial, block by block, without the chunk-sized arrays of uniforms,
    counts and severities that separate passes need. Returns the number of events.

    Block by block it runs :func:`event_counts` (or :func:`event_counts_at_rates` when
    ``rate_family >= 0``: trial i's rate is ``rate_factor * rate[i]``), the event uniforms
    (:func:`_block_event_uniforms`), :func:`fill_ppf`, the scale and :func:`scale_events`
    (``size_mode`` 1: times ``size[i]``, 2: times exp(size[i]), 0: none). The three streams
    (SFC64 states, advanced in place) are drawn in the order of the unfused passes it
    replaced, count and first-event uniforms year by year and trial by trial, the others
    event by event, so the results are theirs, bit for bit. disc (years,): the
    discount factors of the years the risk is live; out (n,) gets the present value. scratch
    (3 or more, size): a block's events (fresh memory faults on every call, serialising the
    threads; a block with more events than it holds allocates its own).
    """
    years = disc.shape[0]
    bsize = EVENT_BLOCK if n > EVENT_BLOCK else n
    u = np.empty(bsize)
    first = np.empty(bsize)
    tmp = np.empty(2 * bsize)
    counts = np.empty(bsize, np.int64)
    cells = np.empty(bsize, np.int64)
    cap = scratch.shape[1] - FIXED_EVENTS
    for i in range(n):
        out[i] = 0.0
    total = 0
    for t in range(years):
        d = disc[t]
        for b in range(0, n, bsize):
            m = min(bsize, n - b)
            ub = u[:m]
            cb = counts[:m]
            sfc64_uniforms(count_state, ub)
            if rate_family >= 0:
                events = event_counts_at_rates(ub.reshape(1, m), rate_family, rate[b:b + m],
                                               rate_factor, rate_r, cb.reshape(1, m))
            else:
                events = event_counts(ub.reshape(1, m), count_code, count_p, data,
                                      cb.reshape(1, m), tmp)
            fb = first[:m]
            if sev_code != CONSTANT:  # a constant severity needs no uniforms (see below)
                sfc64_uniforms(first_state, fb)  # drawn for every cell, events or not
            if events == 0:
                continue
            total += events
            n_cells = _cells(cb, cells)
            if events > cap:
                cap = 2 * events
                scratch = np.empty((3, cap + FIXED_EVENTS))
            _severities(cb, cells, n_cells, fb, rest_state, scratch[0], sev_code, sev_p, data,
                        sev_scale, size[b:b + m], size_mode, scratch[1, :events], scratch[2])
            _block_losses(cb, cells, n_cells, events, scratch[1], cap_event, cap_year, d,
                          out[b:b + m])
    return total


@nb.njit(**_JIT)
def shifted_sums(x: np.ndarray, shift: float) -> tuple[float, float]:
    """Sum of (x - shift) and of its squares, without allocating."""
    s = 0.0
    ss = 0.0
    for i in range(x.shape[0]):
        d = x[i] - shift
        s += d
        ss += d * d
    return s, ss


@nb.njit(**_VEC)
def net_and_risk_total(values: np.ndarray, n_costs: int) -> None:
    """Finish a chunk's value matrix (V, n) in one pass: row 0 (net) = row 1 (gross) minus the
    sum of the component rows 2 .. 2 + C + R - 1, and, when there are risks (R > 0), the last
    row = the sum of the R risk rows. Sums run row by row in order, as numpy's
    ``sum(axis=0)`` does, so the results are those of the two numpy calls, bit for bit.
    """
    n_comp = values.shape[0] - 2 - (1 if values.shape[0] - 2 - n_costs > 0 else 0)
    has_risks = n_comp > n_costs
    for b in range(0, values.shape[1], _BLOCK):
        net = values[0, b:b + _BLOCK]
        gross = values[1, b:b + _BLOCK]
        risk = values[values.shape[0] - 1, b:b + _BLOCK]
        m = net.shape[0]
        if n_comp == 0:
            for i in range(m):
                net[i] = gross[i]
            continue
        first = values[2, b:b + _BLOCK]
        for i in range(m):
            net[i] = first[i]
        for c in range(1, n_comp):
            row = values[2 + c, b:b + _BLOCK]
            for i in range(m):
                net[i] += row[i]
        if has_risks:
            first = values[2 + n_costs, b:b + _BLOCK]
            for i in range(m):
                risk[i] = first[i]
            for c in range(n_costs + 1, n_comp):
                row = values[2 + c, b:b + _BLOCK]
                for i in range(m):
                    risk[i] += row[i]
        for i in range(m):
            net[i] = gross[i] - net[i]


# Counts whose rate varies from trial to trial: the RATE_* families of simulator.codes.
_SEQUENTIAL_MAX_MEAN = 30.0  # below this, search up from 0; above, from the mode


@nb.njit(**_JIT)
def _pmf_up(k: int, mean: float, r: float, family: int) -> float:
    """p(k + 1) / p(k): the recurrences of the Poisson and negative binomial pmfs."""
    if family == RATE_POISSON:
        return mean / (k + 1)
    return (k + r) / (k + 1) * (mean / (mean + r))


@nb.njit(**_JIT)
def _stirlerr(k: float) -> float:
    """log(k!) - (k + 1/2) log k + k - log(sqrt(2 pi)), for k >= 15 (Loader 2000)."""
    k2 = k * k
    return (1.0 / 12 - (1.0 / 360 - (1.0 / 1260 - (1.0 / 1680 - 1.0 / (1188 * k2)) / k2)
                        / k2) / k2) / k


@nb.njit(**_JIT)
def _log_pmf(k: int, mean: float, r: float, family: int) -> float:
    if family == RATE_POISSON:
        # Loader's saddle-point form: accurate to a few ulps where k is near the mean, where
        # -mean + k log(mean) - lgamma(k + 1) would lose about log10(k) digits.
        x = float(k)
        bd0 = x * math.log1p((x - mean) / mean) - (x - mean)
        return -_stirlerr(x) - bd0 - 0.5 * math.log(2.0 * math.pi * x)
    q = mean / (mean + r)
    return (math.lgamma(k + r) - math.lgamma(r) - math.lgamma(k + 1.0)
            + r * math.log1p(-q) + k * math.log(q))


@nb.njit(**_JIT)
def count_ppf(u: float, mean: float, r: float, family: int) -> int:
    """Smallest k with P(count <= k) >= u for a Poisson (``family`` RATE_POISSON) or negative
    binomial with dispersion ``r`` (RATE_NEGBIN) of the given mean: exact inversion.

    Small means sum the pmf up from 0; larger ones start at the mode, get P(count <= mode) by
    summing down until the terms no longer change it, and walk from there, so the cost grows
    with the standard deviation, not the mean.
    """
    if mean <= 0.0:
        return 0
    if mean < _SEQUENTIAL_MAX_MEAN:
        if family == RATE_POISSON:
            p = math.exp(-mean)
        else:
            p = math.exp(r * math.log(r / (mean + r)))
        cdf = p
        k = 0
        while u > cdf:
            p *= _pmf_up(k, mean, r, family)
            k += 1
            if k > mean and cdf + p == cdf:  # u is within rounding of 1: the tail is spent
                break
            cdf += p
        return k
    m = int(mean)
    pm = math.exp(_log_pmf(m, mean, r, family))
    cdf = pm
    p = pm
    j = m
    while j > 0:
        p /= _pmf_up(j - 1, mean, r, family)
        j -= 1
        if cdf + p == cdf:
            break
        cdf += p
    k = m
    p = pm
    if u <= cdf:
        # Walk down while the cdf below k still reaches u: F(k - 1) = F(k) - p(k).
        while k > 0 and cdf - p >= u:
            cdf -= p
            p /= _pmf_up(k - 1, mean, r, family)
            k -= 1
        return k
    while u > cdf:
        p *= _pmf_up(k, mean, r, family)
        k += 1
        if cdf + p == cdf:  # u is within rounding of 1: the tail is spent
            break
        cdf += p
    return k


@nb.njit(**_JIT)
def event_counts_at_rates(u: np.ndarray, family: int, rate: np.ndarray, factor: float,
                          r: float, counts: np.ndarray) -> int:
    """Events per (year, trial) from uniforms u (years, n) into counts (years, n) when trial
    i's rate is ``factor * rate[i]`` (a Poisson or negative binomial mean, or a Bernoulli p);
    ``r`` is the negative binomial's dispersion. Returns the total.
    """
    total = 0
    for t in range(u.shape[0]):
        for i in range(u.shape[1]):
            x = factor * rate[i]
            if family == RATE_BERNOULLI:
                k = 1 if u[t, i] < x else 0
            else:
                k = count_ppf(u[t, i], x, r, family)
            counts[t, i] = k
            total += k
    return total


@nb.njit(**_JIT)
def gaussian_copula(u: np.ndarray, factor: np.ndarray, z: np.ndarray) -> None:
    """Correlate the rows of uniforms u (D, n) in place: z = Phi^-1(u), u = Phi(factor @ z).

    ``factor`` (D, D) is a square root of the normal-space correlation matrix (rows of unit
    length), so each row stays uniform while the rows get the wanted rank correlation.
    ``z`` is scratch of shape (D, n).
    """
    d, n = u.shape
    for j in range(d):
        norm_ppf_into(u[j], z[j])
    sqrt_half = math.sqrt(0.5)
    for i in range(n):
        for j in range(d):
            y = 0.0
            for k in range(d):
                y += factor[j, k] * z[k, i]
            # Phi(y) from erfc keeps full relative precision in the lower tail.
            v = 0.5 * math.erfc(-y * sqrt_half)
            u[j, i] = min(max(v, 2.0 ** -60), 1.0 - 2.0 ** -53)


@nb.njit(**_JIT)
def latin_hypercube(u: np.ndarray, out: np.ndarray) -> None:
    """One Latin hypercube column of n = out.size points from 2n uniforms u: out[i] lies in
    stratum perm[i] of [0, 1) cut into n equal strata, at a uniform position within it, where
    perm is a uniformly random permutation (Fisher-Yates, driven by u[:n]).
    """
    n = out.size
    perm = out.view(np.int64)  # built in place, then overwritten stratum by stratum
    for i in range(n):
        perm[i] = i
    for i in range(n - 1, 0, -1):
        j = int(u[i] * (i + 1))
        perm[i], perm[j] = perm[j], perm[i]
    for i in range(n):
        out[i] = (perm[i] + u[n + i]) / n


@nb.njit(**_JIT)
def scale_events(counts: np.ndarray, values: np.ndarray, log_scale: bool,
                 severity: np.ndarray) -> None:
    """Multiply every event's severity by its trial's factor: ``values[i]`` for trial i, or
    exp(values[i]) with ``log_scale`` (a lognormal's mu). Events are in event order, year by
    year and trial by trial; counts (years, n).
    """
    idx = 0
    for t in range(counts.shape[0]):
        for i in range(counts.shape[1]):
            k = counts[t, i]
            if k == 0:
                continue
            f = math.exp(values[i]) if log_scale else values[i]
            for _ in range(k):
                severity[idx] *= f
                idx += 1


# ---------------------------------------------------------------------------------------------
# Model 0.2: the engagement as a state (exit), knock-on raises, recoveries, in-house risks, FX.
# These kernels run only for scenarios that use those terms (see CompiledModel.engaged); a
# scenario without them takes the kernels above, bit for bit as before. docs/model.md, "The
# deal as it unfolds", writes out what they compute.


@nb.njit(**_JIT)
def counts_year(u: np.ndarray, t: int, code: int, p: np.ndarray, data: np.ndarray,
                rate: np.ndarray, use_rate: bool, factor: float, family: int, r: float,
                base: float, mult: np.ndarray, use_mult: bool, end_idx: np.ndarray,
                stops: bool, out: np.ndarray) -> None:
    """One risk's events in year ``t`` (0-based) for every trial, from uniforms u (n,) into
    out (n,).

    The count is the same inversion as :func:`event_counts` / :func:`event_counts_at_rates`
    (so a year that is not raised draws exactly what the plain model draws); in a raised
    year (``mult[i] != 1``) it is the exact inversion at the raised rate (base or the trial's
    rate, times ``mult[i]``; a bernoulli p capped at 1). A risk that ``stops`` at an exit has
    no events in the years after the trial's exit year ``end_idx[i]``.
    """
    is_table = code == DISCRETE and p[3] == 0.0
    off, k_out, g = int(p[0]), int(p[1]), int(p[2])
    for i in range(u.shape[0]):
        if stops and end_idx[i] < t:
            out[i] = 0
            continue
        x = u[i]
        m = mult[i] if use_mult else 1.0
        if use_rate:
            lam = factor * rate[i]
            if m != 1.0:
                lam *= m
            if family == RATE_BERNOULLI:
                k = 1 if x < lam else 0
            else:
                k = count_ppf(x, lam, r, family)
        elif m != 1.0:
            lam = base * m
            if family == RATE_BERNOULLI:
                k = 1 if x < lam else 0
            else:
                k = count_ppf(x, lam, r, family)
        elif is_table:
            k = int(data[off + k_out + int(x * g)])
            while data[off + k] <= x:
                k += 1
        else:
            k = int(ppf(x, code, p, data))
        out[i] = k


@nb.njit(**_JIT)
def exit_update(t: int, r: int, counts: np.ndarray, end_idx: np.ndarray,
                exit_risk: np.ndarray, horizon: int) -> None:
    """Ending risk ``r``'s events of year ``t`` (counts (n,), changed in place): the first
    event of a trial still running ends it (``end_idx[i] = t``, ``exit_risk[i] = r``) and
    counts once; an ending risk declared later than the one that ended the trial this year
    does not fire.
    """
    for i in range(counts.shape[0]):
        if counts[i] == 0:
            continue
        if end_idx[i] == horizon:
            end_idx[i] = t
            exit_risk[i] = r
            counts[i] = 1
        else:
            counts[i] = 0


@nb.njit(**_JIT)
def record_raises(t: int, counts: np.ndarray, years: int, until: np.ndarray) -> None:
    """A raising risk's events of year ``t``: its target's rate is raised up to year
    ``t + years`` in the trials where it had an event.
    """
    for i in range(counts.shape[0]):
        if counts[i] > 0:
            until[i] = t + years


@nb.njit(**_JIT)
def raise_multipliers(t: int, factor: float, until: np.ndarray, mult: np.ndarray) -> None:
    """Multiply a target's year-``t`` rate multipliers by ``factor`` where the link is live."""
    for i in range(mult.shape[0]):
        if until[i] >= t:
            mult[i] *= factor


@nb.njit(**_JIT)
def engagement_end(end_idx: np.ndarray, exit_risk: np.ndarray, timing: np.ndarray,
                   v: np.ndarray, horizon: int, tend: np.ndarray) -> None:
    """When each trial's engagement ends, in years from the start (``horizon`` if it runs to
    the end): the exit year's end, its start, or a uniform point ``v[r, i]`` in it, as the
    ending risk's ``timing`` says.
    """
    for i in range(end_idx.shape[0]):
        e = end_idx[i]
        if e >= horizon:
            tend[i] = horizon
            continue
        kind = timing[exit_risk[i]]
        if kind == TIMING_END:
            tend[i] = e + 1.0
        elif kind == TIMING_START:
            tend[i] = float(e)
        else:
            tend[i] = e + v[exit_risk[i], i]


@nb.njit(**_VEC)
def running_shares(tend: np.ndarray, a: np.ndarray) -> None:
    """A (H, n): share of year t (0-based) under the engagement, clamp(T_end - t, 0, 1)."""
    for t in range(a.shape[0]):
        for i in range(a.shape[1]):
            x = tend[i] - t
            a[t, i] = 0.0 if x < 0.0 else (1.0 if x > 1.0 else x)


@nb.njit(**_VEC)
def wage_and_costs_engaged(levels: np.ndarray, wf: np.ndarray, disc: np.ndarray,
                           cost_kind: np.ndarray, cost_input: np.ndarray,
                           cost_growth: np.ndarray, cost_first: np.ndarray,
                           cost_last: np.ndarray, cost_stops: np.ndarray,
                           cost_fx: np.ndarray, a: np.ndarray, off_factor: np.ndarray,
                           conv: np.ndarray, gross_out: np.ndarray, lost_out: np.ndarray,
                           cost_out: np.ndarray) -> None:
    """:func:`wage_and_costs` with the engagement's running share a (H, n) and exchange
    rates: the provider bill is multiplied by ``off_factor`` (H, n) (its currency mix at each
    year's rate), an amount line in the provider currency (``cost_fx``) by ``conv`` (H, n)
    (1 / rate), and a line that stops at an exit (``cost_stops``) by a_t. gross_out gets the
    whole engagement's savings, lost_out the part an exit forgoes: sum_t d_t (gross_t - run_t)
    with run_t = on_t max(0, a_t - f_t) - off_t a_t (f_t the year's ramp-up share).
    """
    n = levels.shape[1]
    horizon = disc.shape[0]
    n_costs = cost_kind.shape[0]
    # Blocks of trials, year by year inside a block, as in wage_and_costs: every inner loop
    # runs over the block's trials without a branch on the trial and vectorises; each trial's
    # arithmetic is the same sequence of operations as year by year per trial.
    on = np.empty((horizon, _BLOCK))
    off = np.empty((horizon, _BLOCK))
    gross = np.empty((horizon, _BLOCK))
    actual = np.empty((horizon, _BLOCK))  # the gross savings of the part of each year run
    factor = np.empty(_BLOCK)
    for b in range(0, n, _BLOCK):
        on_fte, on_cost = levels[wf[0], b:b + _BLOCK], levels[wf[1], b:b + _BLOCK]
        off_fte, off_cost = levels[wf[2], b:b + _BLOCK], levels[wf[3], b:b + _BLOCK]
        g_on, g_off = levels[wf[4], b:b + _BLOCK], levels[wf[5], b:b + _BLOCK]
        ramp = levels[wf[6], b:b + _BLOCK]
        total = gross_out[b:b + _BLOCK]
        lost = lost_out[b:b + _BLOCK]
        m = total.shape[0]
        for k in range(m):
            on[0, k] = on_fte[k] * on_cost[k]
            off[0, k] = off_fte[k] * off_cost[k]
            total[k] = 0.0
            lost[k] = 0.0
        for t in range(1, horizon):
            for k in range(m):
                on[t, k] = on[t - 1, k] * (1.0 + g_on[k])
                off[t, k] = off[t - 1, k] * (1.0 + g_off[k])
        for t in range(horizon):
            d = disc[t]
            at = a[t, b:b + _BLOCK]
            mix = off_factor[t, b:b + _BLOCK]
            for k in range(m):
                off[t, k] *= mix[k]
                f = (ramp[k] - 12.0 * t) / 12.0
                f = 0.0 if f < 0.0 else (1.0 if f > 1.0 else f)
                gross[t, k] = (1.0 - f) * on[t, k] - off[t, k]
                total[k] += d * gross[t, k]
                # The year's ramp-up comes first: of the share a run, a - f saved the onshore
                # bill, and the provider was paid throughout (a = 1 gives gross exactly).
                run = at[k]
                saved = run - f if run > f else 0.0
                actual[t, k] = on[t, k] * saved - off[t, k] * run
                lost[k] += d * (gross[t, k] - actual[t, k])
        for c in range(n_costs):
            x = levels[cost_input[c], b:b + _BLOCK]
            growth = levels[cost_growth[c], b:b + _BLOCK]
            kind = cost_kind[c]
            stops = cost_stops[c]
            in_fx = cost_fx[c]
            cost = cost_out[c, b:b + _BLOCK]
            for k in range(m):
                cost[k] = 0.0
                factor[k] = 1.0
            for t in range(cost_first[c], cost_last[c] + 1):
                d = disc[t]
                at = a[t, b:b + _BLOCK]
                cv = conv[t, b:b + _BLOCK]
                if kind == 0:
                    for k in range(m):
                        y = x[k] * factor[k]
                        factor[k] *= 1.0 + growth[k]
                        if in_fx:
                            y *= cv[k]
                        if stops:
                            y *= at[k]
                        cost[k] += d * y
                elif kind == 1:
                    for k in range(m):
                        y = x[k] * off[t, k]
                        if stops:
                            y *= at[k]
                        cost[k] += d * y
                elif kind == 2:
                    for k in range(m):
                        y = x[k] * on[t, k]
                        if stops:
                            y *= at[k]
                        cost[k] += d * y
                elif stops:  # a gain-share fee on the savings of the part run
                    for k in range(m):
                        g = actual[t, k]
                        cost[k] += d * (x[k] * (g if g > 0.0 else 0.0))
                else:
                    for k in range(m):
                        g = gross[t, k]
                        cost[k] += d * (x[k] * (g if g > 0.0 else 0.0))


@nb.njit(**_JIT)
def reentry_costs(levels: np.ndarray, wf: np.ndarray, disc: np.ndarray, r: int,
                  cost_in: int, months_in: int, overrun_in: int, end_idx: np.ndarray,
                  exit_risk: np.ndarray, tend: np.ndarray, out: np.ndarray) -> None:
    """Present value of taking the work back after ending risk ``r``'s exit, per trial: the
    re-entry cost in the exit year, and the onshore bill times the overrun over the re-entry
    months after the engagement's end (cut at the horizon).
    """
    horizon = disc.shape[0]
    for k in range(out.shape[0]):
        out[k] = 0.0
        if exit_risk[k] != r or end_idx[k] >= horizon:
            continue
        total = disc[end_idx[k]] * levels[cost_in, k]
        months = levels[months_in, k]
        overrun = levels[overrun_in, k]
        if months > 0.0 and overrun != 0.0:
            start = tend[k]
            stop = start + months / 12.0
            on = levels[wf[0], k] * levels[wf[1], k]
            g = levels[wf[4], k]
            for t in range(horizon):
                lo = start if start > t else float(t)
                hi = stop if stop < t + 1.0 else t + 1.0
                if hi > lo:
                    total += disc[t] * (overrun * on * (hi - lo))
                on *= 1.0 + g
        out[k] = total


@nb.njit(**_JIT)
def secondary_losses(severity: np.ndarray, occurs: np.ndarray, probability: float,
                     extra: np.ndarray, scale: float) -> None:
    """Add each event's secondary loss where its uniform ``occurs`` falls below the
    probability: severity += scale * extra (all (events,)).
    """
    for j in range(severity.shape[0]):
        if occurs[j] < probability:
            severity[j] += scale * extra[j]


@nb.njit(**_JIT)
def _block_losses_engaged(counts: np.ndarray, cells: np.ndarray, n_cells: int,
                          severity: np.ndarray, cap_event: float, cap_year: float, d: float,
                          share: np.ndarray, conv: np.ndarray, rec_per: np.ndarray,
                          rec_ded: np.ndarray, rec_share: np.ndarray, rec_limit: np.ndarray,
                          loss_out: np.ndarray, rec_out: np.ndarray) -> None:
    """One year's losses and recoveries of a block (counts, share, conv, loss_out and rec_out
    (m,)): the year's loss G = min(sum min(S, cap_event), cap_year) and what the recovery
    layers take back of it (event layers first, each on what the ones before left; see
    docs/model.md), both weighted d a_t conv_t and added to loss_out and rec_out.
    """
    j = 0
    n_sev = severity.shape[0]
    n_layers = rec_per.shape[0]
    event_layers = 0
    for q in range(n_layers):
        event_layers += rec_per[q] == RECOVER_EVENT
    for p in range(n_cells):
        i = cells[p]
        k = counts[i]
        year = 0.0
        rec_events = 0.0
        if event_layers == 0 and k <= FIXED_EVENTS and j + FIXED_EVENTS <= n_sev:
            # As _block_losses: a fixed FIXED_EVENTS terms, those past the k-th adding 0.0 (the
            # same sum, without the mispredicted exit of a k-step loop).
            for r in range(FIXED_EVENTS):
                s = severity[j + r]
                s = s if s < cap_event else cap_event
                year += s if r < k else 0.0
            j += k
            k = 0
        for _ in range(k):
            s = severity[j]
            j += 1
            s = s if s < cap_event else cap_event
            year += s
            x = s
            for q in range(n_layers):
                if rec_per[q] == RECOVER_EVENT:
                    got = rec_share[q] * max(0.0, x - rec_ded[q])
                    x -= min(got, rec_limit[q])
            rec_events += s - x
        if year > cap_year:
            year = cap_year
        if rec_events > year:
            rec_events = year
        x = year - rec_events
        for q in range(n_layers):
            if rec_per[q] == RECOVER_YEAR:
                got = rec_share[q] * max(0.0, x - rec_ded[q])
                x -= min(got, rec_limit[q])
        w = d * share[i] * conv[i]
        loss_out[i] += w * year
        rec_out[i] += w * (year - x)


@nb.njit(**_VEC)
def risk_losses_engaged(counts: np.ndarray, first_state: np.ndarray, rest_state: np.ndarray,
                        sev_code: int, sev_p: np.ndarray, data: np.ndarray, sev_scale: float,
                        size: np.ndarray, size_mode: int, sec_prob: float,
                        occurs_state: np.ndarray, extra_state: np.ndarray, sec_code: int,
                        sec_p: np.ndarray, cap_event: float, cap_year: float,
                        disc: np.ndarray, share: np.ndarray, conv: np.ndarray,
                        rec_per: np.ndarray, rec_ded: np.ndarray, rec_share: np.ndarray,
                        rec_limit: np.ndarray, loss_out: np.ndarray, rec_out: np.ndarray,
                        scratch: np.ndarray) -> None:
    """One risk of the model with an engagement (docs/model.md, "The deal as it unfolds"):
    severities and the present value of losses and recoveries per trial, given its event
    counts (years, n), block by block as :func:`risk_losses` does.

    Each event's severity is the quantile of its uniform (a (year, trial)'s first event takes
    the first-event stream's number of that cell, drawn for every cell; later ones the next
    of the rest stream, in event order), times ``sev_scale``, times the trial's size factor
    (``size_mode`` as in risk_losses); with ``sec_prob > 0``, plus ``sev_scale`` times a
    secondary loss (quantile of the extra stream's next number) where the occurrence
    stream's next number falls below ``sec_prob``. disc (years,), share and conv (years, n):
    the years the risk is live. loss_out and rec_out (n,) get the present values; scratch
    (5, size) holds a block's events (a block with more allocates its own).
    """
    years, n = counts.shape
    bsize = EVENT_BLOCK if n > EVENT_BLOCK else n
    first = np.empty(bsize)
    cells = np.empty(bsize, np.int64)
    cap = scratch.shape[1] - FIXED_EVENTS
    for i in range(n):
        loss_out[i] = 0.0
        rec_out[i] = 0.0
    for t in range(years):
        d = disc[t]
        for b in range(0, n, bsize):
            m = min(bsize, n - b)
            cb = counts[t, b:b + m]
            fb = first[:m]
            if sev_code != CONSTANT:
                sfc64_uniforms(first_state, fb)  # drawn for every cell, events or not
            n_cells = _cells(cb, cells)
            if n_cells == 0:
                continue
            events = 0
            for q in range(n_cells):
                events += cb[cells[q]]
            if events > cap:
                cap = 2 * events
                scratch = np.empty((5, cap + FIXED_EVENTS))
            sev, tmp = scratch[1, :events], scratch[2]
            _severities(cb, cells, n_cells, fb, rest_state, scratch[0], sev_code, sev_p, data,
                        sev_scale, size[b:b + m], size_mode, sev, tmp)
            if sec_prob > 0.0:
                occurs, extra = scratch[3, :events], scratch[4, :events]
                sfc64_uniforms(occurs_state, occurs)
                sfc64_uniforms(extra_state, extra)
                fill_ppf(extra, sec_code, sec_p, data, extra, tmp)
                secondary_losses(sev, occurs, sec_prob, extra, sev_scale)
            _block_losses_engaged(cb, cells, n_cells, scratch[1], cap_event, cap_year, d,
                                  share[t, b:b + m], conv[t, b:b + m], rec_per, rec_ded,
                                  rec_share, rec_limit, loss_out[b:b + m], rec_out[b:b + m])


@nb.njit(**_VEC)
def net_and_risk_rows(values: np.ndarray, n_comp: int, risk_rows: np.ndarray) -> None:
    """:func:`net_and_risk_total` with the rows that make the total risk-event loss named:
    row 0 = row 1 - sum of component rows 2 .. 2 + n_comp - 1; the last row = the sum of the
    component rows ``risk_rows`` (indices counted from the first component row), in order.
    """
    last = values.shape[0] - 1
    for b in range(0, values.shape[1], _BLOCK):
        net = values[0, b:b + _BLOCK]
        gross = values[1, b:b + _BLOCK]
        m = net.shape[0]
        for i in range(m):
            net[i] = 0.0 if n_comp == 0 else values[2, b + i]
        for c in range(1, n_comp):
            row = values[2 + c, b:b + _BLOCK]
            for i in range(m):
                net[i] += row[i]
        if risk_rows.shape[0] == 0 and last > 1 + n_comp:  # risks, none of them provider-side
            risk = values[last, b:b + _BLOCK]
            for i in range(m):
                risk[i] = 0.0
        elif risk_rows.shape[0]:
            risk = values[last, b:b + _BLOCK]
            first = values[2 + risk_rows[0], b:b + _BLOCK]
            for i in range(m):
                risk[i] = first[i]
            for c in range(1, risk_rows.shape[0]):
                row = values[2 + risk_rows[c], b:b + _BLOCK]
                for i in range(m):
                    risk[i] += row[i]
        for i in range(m):
            net[i] = gross[i] - net[i] if n_comp else gross[i]
