"""The Monte Carlo engine: runs a compiled scenario over chunks of trials.

Reproducibility contract: trials are cut into chunks of :data:`CHUNK_SIZE`. Within chunk ``c``
every uncertain input (and each risk's counts and severities) draws from its own stream
``SFC64(SeedSequence(seed, spawn_key=(c, key)))``, where ``key`` is a hash of the input's name.
A chunk's results therefore depend only on (scenario, seed, chunk index), never on how many
threads ran or in which order chunks finished: the same scenario and seed give bit-identical
results on any machine with the same library versions. Changing CHUNK_SIZE changes the draws.

Streams keyed by input name also give common random numbers: an input with the same name in
two scenarios draws the same uniforms trial by trial.
"""
from __future__ import annotations

import itertools
import math
import os
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from . import kernels as K
from .compiled import CompiledModel, compile_scenario
from .result import SimulationResult, batch_means
from .sampling import SAMPLING, sampling_design, stream, uniforms  # noqa: F401 (re-exported)
from .scenario import Scenario
from .streaming import Streamer

CHUNK_SIZE = 65_536
"""Trials per chunk; part of the seed contract (see module docstring)."""
DEFAULT_SEED = 20_260_101
"""Seed used when none is given, so two runs of the same file agree by default."""
BIT_GENERATOR = "SFC64"
MAX_MEMORY_BYTES = 8 * 2**30
"""Largest per-trial storage a run that keeps every trial may allocate."""


class Workspace:
    """Scratch arrays for one thread's chunks of ``n`` trials, reused from chunk to chunk.

    Fresh memory is expensive on these machines (page faults, and they serialise threads), so
    a chunk allocates nothing: ``values`` (V, n) holds net, gross, each component and the total
    risk loss (rows as in :func:`value_rows`); ``inputs`` (I, n) the drawn inputs; ``design``
    (D, n) the uniforms behind the drawn ones (rows in the order of ``drawn``).
    """

    def __init__(self, model: CompiledModel, n: int) -> None:
        years = int((model.risk_last - model.risk_first).max()) + 1 if len(model.risk_names) else 1
        self.n = n
        self.n_costs = len(model.cost_names)
        self.n_components = len(model.component_names)
        self.values = np.empty((value_rows(model), n))
        self.inputs = np.empty((len(model.input_names), n))
        # Inputs that get uniforms: the random ones, and correlated ones even when a
        # sensitivity run holds them fixed, so the others keep their numbers.
        self.drawn = np.union1d(model.random_inputs, model.copula_inputs).astype(np.int64)
        row = {int(j): r for r, j in enumerate(self.drawn)}
        self.copula_rows = np.array([row[int(j)] for j in model.copula_inputs], dtype=np.int64)
        self.design = np.empty((self.drawn.size, n))
        self.copula_u = np.empty((self.copula_rows.size, n))
        self.copula_z = np.empty((self.copula_rows.size, n))
        self.u = np.empty(n)
        self.tmp = np.empty(2 * n)
        self.u_counts = np.empty((years, n))
        self.u_first = np.empty((years, n))
        self.counts = np.empty((years, n), dtype=np.int64)
        self.severity = np.empty(4 * n)
        self.severity_rest = np.empty(4 * n)
        self.severity_tmp = np.empty(4 * n)
        self.constants_of: CompiledModel | None = None  # the model whose constants are filled

    @property
    def net(self) -> np.ndarray:
        return self.values[0]

    @property
    def gross(self) -> np.ndarray:
        return self.values[1]

    @property
    def components(self) -> np.ndarray:
        return self.values[2:2 + self.n_components]

    def severities(self, total: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Scratch for ``total`` events: their severities, the uniforms of all but each
        (year, trial)'s first event, and the quantile kernel's scratch. Grown, never shrunk,
        so a chunk allocates only when it has more events than any before it."""
        if total > self.severity.size:
            size = max(total, 2 * self.severity.size)
            self.severity, self.severity_rest, self.severity_tmp = (
                np.empty(size), np.empty(size), np.empty(size))
        return self.severity[:total], self.severity_rest, self.severity_tmp[:total]


def value_rows(model: CompiledModel) -> int:
    """Rows of a chunk's value matrix: net, gross, each component, and total risk loss."""
    return 2 + len(model.component_names) + (1 if len(model.risk_names) else 0)


def run_chunk(model: CompiledModel, seed: int, chunk: int, ws: Workspace,
              sampling: str = "mc") -> None:
    """Simulate one chunk of ``ws.n`` trials into ``ws.values`` and ``ws.inputs``."""
    levels = ws.inputs
    design = ws.design
    sampling_design(model.input_keys[ws.drawn], seed, chunk, sampling, design, ws.tmp)
    if ws.copula_rows.size:
        np.take(design, ws.copula_rows, axis=0, out=ws.copula_u)
        K.gaussian_copula(ws.copula_u, model.copula_factor, ws.copula_z)
        design[ws.copula_rows] = ws.copula_u
    drawn = {int(j): r for r, j in enumerate(ws.drawn)}
    refill = ws.constants_of is not model  # constant rows stay put from chunk to chunk
    for j in range(levels.shape[0]):
        code = int(model.input_codes[j])
        if code != K.CONSTANT:
            K.fill_ppf(design[drawn[j]], code, model.input_params[j], model.data, levels[j],
                       ws.tmp)
        elif refill:
            levels[j] = model.input_params[j, 0]
    ws.constants_of = model

    n_costs = ws.n_costs
    K.wage_and_costs(levels, model.workforce, model.discount, model.cost_kind, model.cost_input,
                     model.cost_growth, model.cost_first, model.cost_last, ws.gross,
                     ws.components[:n_costs])

    for r in range(len(model.risk_names)):
        first, last = int(model.risk_first[r]), int(model.risk_last[r])
        # Year-major draws: a risk's first years draw the same numbers whatever the horizon.
        u = ws.u_counts[:last - first + 1]
        counts = ws.counts[:last - first + 1]
        uniforms(seed, chunk, model.risk_freq_keys[r], u)
        rate = int(model.risk_rate_input[r])
        if rate >= 0:  # an uncertain rate: counts at each trial's drawn rate
            total = K.event_counts_at_rates(u, int(model.risk_rate_family[r]), levels[rate],
                                            float(model.risk_rate_factor[r]),
                                            float(model.risk_rate_dispersion[r]), counts)
        else:
            total = K.event_counts(u, int(model.risk_freq_code[r]), model.risk_freq_params[r],
                                   model.data, counts, ws.tmp)
        severity, rest, tmp = ws.severities(total)
        first_u = ws.u_first[:last - first + 1]
        uniforms(seed, chunk, model.risk_first_keys[r], first_u)
        n_events_after_first = total - int(np.count_nonzero(counts))
        rest = uniforms(seed, chunk, model.risk_sev_keys[r], rest[:n_events_after_first])
        K.severity_uniforms(counts, first_u, rest, severity)
        K.fill_ppf(severity, int(model.risk_sev_code[r]), model.risk_sev_params[r], model.data,
                   severity, tmp)
        if model.risk_sev_scale[r] != 1.0:
            severity *= model.risk_sev_scale[r]
        K.event_losses(counts, severity, float(model.risk_cap_event[r]),
                       float(model.risk_cap_year[r]), model.discount[first:last + 1],
                       ws.components[n_costs + r])

    K.net_and_risk_total(ws.values, n_costs)


def bytes_per_trial(model: CompiledModel, keep_inputs: bool) -> int:
    """Memory that keeping every trial costs per trial, bytes."""
    rows = 2 + len(model.component_names) + (len(model.input_names) if keep_inputs else 0)
    return 8 * rows


@dataclass(frozen=True)
class Precision:
    """Stop a run once the 95% confidence half-width of mean net savings is at most
    ``relative`` x |mean| or ``absolute`` (currency); checked every :data:`CHECK_EVERY` chunks."""

    relative: float | None = None
    absolute: float | None = None

    @classmethod
    def parse(cls, text: str) -> "Precision":
        """``"0.5%"`` (relative) or ``"10000"`` (absolute, currency)."""
        t = text.strip()
        try:
            if t.endswith("%"):
                value = float(t[:-1]) / 100
                if not 0 < value < 1:
                    raise ValueError
                return cls(relative=value)
            value = float(t)
            if not value > 0 or not np.isfinite(value):
                raise ValueError
            return cls(absolute=value)
        except ValueError:
            raise ValueError(f"precision must be a percentage like 0.5% or a positive amount "
                             f"like 10000 (got {text!r})") from None

    def met(self, mean: float, half_width: float) -> bool:
        if self.relative is not None:
            return half_width <= self.relative * abs(mean)
        return half_width <= self.absolute

    def describe(self) -> str:
        if self.relative is not None:
            return f"{self.relative * 100:g}% of the mean"
        return f"{self.absolute:g}"


CHECK_EVERY = 8
"""Chunks per batch; a precision target is checked after each whole batch, so where a run
stops depends only on the seed, never on the thread count. Also the most chunks in flight."""
EXACT_LIMIT_BYTES = 2 * 2**30
"""Runs whose trials fit in this are kept in memory (exact statistics) unless told otherwise."""
Z95 = 1.959963984540054
MAX_TRIALS = 10**11
"""Most trials one run may ask for: per-chunk moments (24 bytes a chunk) are kept."""


def simulate(scenario: Scenario, trials: int = 1_000_000,
             seed: int = DEFAULT_SEED, threads: int | None = None, keep_inputs: bool = False,
             store_trials: bool | None = None, precision: Precision | None = None,
             progress: Callable[[int], None] | None = None,
             model: CompiledModel | None = None, sampling: str = "mc") -> SimulationResult:
    """Run up to ``trials`` Monte Carlo trials of a scenario.

    Parameters
    ----------
    scenario : a validated :class:`Scenario` (from :func:`load_scenario`).
    trials : number of trials (>= 1); with ``precision``, the most to run.
    seed : non-negative integer; the same scenario and seed give bit-identical results.
    threads : worker threads (default: all cores). Does not change the results.
    keep_inputs : also keep every per-trial input value (``result.inputs``, shape (I, trials)).
    store_trials : keep every trial (exact statistics; memory grows with trials) or stream
        statistics in fixed memory. Default: keep them when they fit in 2 GiB.
    precision : stop early once the mean's 95% half-width meets this target.
    progress : called with the number of trials just finished, after each chunk.
    model : the scenario's compiled form, if already built (or deliberately altered, as the
        sensitivity analysis does to hold one input fixed).
    sampling : design of the per-trial inputs, one of :data:`SAMPLING`: "mc" (plain Monte
        Carlo), "lhs" (Latin hypercube) or "sobol" (scrambled Sobol), each chunk its own
        replicate. Event counts and severities are always plain Monte Carlo.

    Returns a :class:`SimulationResult`. Money is present value in the scenario's currency.
    """
    if isinstance(trials, bool) or not isinstance(trials, int | np.integer) or trials < 1:
        raise ValueError(f"trials must be a whole number >= 1 (got {trials!r})")
    if trials > MAX_TRIALS:
        raise ValueError(f"trials must be at most {MAX_TRIALS:.0e} on one machine (got "
                         f"{trials:.3g})")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0 (got {seed!r})")
    if sampling not in SAMPLING:
        raise ValueError(f"sampling must be one of {', '.join(SAMPLING)} (got {sampling!r})")
    model = model if model is not None else compile_scenario(scenario)
    need = trials * bytes_per_trial(model, keep_inputs)
    if store_trials is None:
        store_trials = keep_inputs or need <= EXACT_LIMIT_BYTES
    if keep_inputs and not store_trials:
        raise ValueError("keep_inputs needs store_trials")
    if store_trials and need > MAX_MEMORY_BYTES:
        raise ValueError(f"{trials:,} trials would need {need / 2**30:.1f} GiB to keep every "
                         f"trial (limit {MAX_MEMORY_BYTES / 2**30:.0f} GiB); use fewer trials "
                         "or stream the statistics")
    threads = max(1, threads or os.cpu_count() or 1)
    n_chunks = -(-trials // CHUNK_SIZE)
    n_rows = value_rows(model)
    n_comp = len(model.component_names)
    n_inputs = len(model.input_names)
    seed = int(seed)

    if store_trials:
        stored = np.empty((2 + n_comp, trials))
        inputs = np.empty((n_inputs, trials)) if keep_inputs else None
    moments = np.zeros((n_chunks, 3))  # per chunk: n, sum and sum of squares of net - shift
    local = threading.local()

    def compute(chunk: int) -> np.ndarray:
        lo, hi = chunk * CHUNK_SIZE, min(trials, (chunk + 1) * CHUNK_SIZE)
        ws = getattr(local, "ws", None)
        if ws is None or ws.n != hi - lo:  # one workspace per thread (and for a short chunk)
            ws = local.ws = Workspace(model, hi - lo)
        run_chunk(model, seed, chunk, ws, sampling)
        if store_trials:
            stored[:, lo:hi] = ws.values[:2 + n_comp]
            if inputs is not None:
                inputs[:, lo:hi] = ws.inputs
        return ws.values

    pilot = compute(0).copy()  # the thread's scratch is reused by later chunks
    if not np.isfinite(pilot[0]).all():
        raise NonFiniteError(_non_finite_message(model, pilot, 0))
    shift = float(pilot[0].mean())
    streamer = None
    if not store_trials:
        log_rows = np.arange(2 + len(model.cost_names), n_rows) if len(model.risk_names) else []
        linear = 2 + n_comp  # the total risk loss row needs only its exceedance curve
        streamer = Streamer.from_pilot(pilot[:linear], log_rows, CHECK_EVERY)

    def work(chunk: int) -> int:
        values = pilot if chunk == 0 else compute(chunk)
        s, ss = K.shifted_sums(values[0], shift)
        if not math.isfinite(ss):
            raise NonFiniteError(_non_finite_message(model, values, chunk))
        moments[chunk] = values.shape[1], s, ss
        if streamer is not None:
            streamer.add(chunk, values)
        return values.shape[1]

    def done(chunk: int, k: int) -> None:
        if streamer is not None:
            streamer.fold(range(chunk, chunk + 1))
        if progress:
            progress(k)

    pool = ThreadPoolExecutor(max_workers=threads) if threads > 1 else None
    try:
        if precision is None:
            _in_order(work, range(n_chunks), pool, CHECK_EVERY, done)
            done_chunks = n_chunks
        else:
            # Whole batches only, so where the run stops never depends on scheduling.
            done_chunks = 0
            while done_chunks < n_chunks:
                batch = range(done_chunks, min(n_chunks, done_chunks + CHECK_EVERY))
                _in_order(work, batch, pool, CHECK_EVERY, done)
                done_chunks = batch.stop
                mean, half = _mean_half_width(moments[:done_chunks], shift, sampling)
                if precision.met(mean, half):
                    break
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)

    used = min(trials, done_chunks * CHUNK_SIZE)
    mean, half = _mean_half_width(moments[:done_chunks], shift, sampling)
    stop = None
    if precision is not None:
        stop = {"target": precision.describe(), "half_width": half,
                "relative_half_width": half / abs(mean) if mean else float("inf"),
                "met": bool(precision.met(mean, half)), "trials_used": used,
                "max_trials": trials}
    return SimulationResult(
        scenario=scenario, model=model, trials=used, seed=seed,
        net_savings=stored[0, :used] if store_trials else None,
        gross_wage_savings=stored[1, :used] if store_trials else None,
        component_totals=stored[2:, :used] if store_trials else None,
        inputs=inputs[:, :used] if store_trials and inputs is not None else None,
        stream=streamer.finish() if streamer is not None else None,
        chunk_moments=moments[:done_chunks], moment_shift=shift, precision=stop,
        chunk_size=CHUNK_SIZE, bit_generator=BIT_GENERATOR, sampling=sampling)


class NonFiniteError(ArithmeticError):
    """A trial produced inf or nan (an overflowing heavy tail); names the responsible line."""


def _non_finite_message(model: CompiledModel, values: np.ndarray, chunk: int) -> str:
    rows = ["gross wage savings", *(f"{'costs' if i < len(model.cost_names) else 'risks'}"
                                    f"[{name!r}]" for i, name in
                                    enumerate(model.component_names))]
    bad = [rows[i] for i in range(len(rows)) if not np.isfinite(values[1 + i]).all()]
    where = ", ".join(bad) or "net savings"
    return (f"the simulation overflowed: {where} reached inf or nan (chunk {chunk}). A "
            "distribution's tail is too heavy for double precision (e.g. a lognormal with a "
            "very large sigma, or a huge upper bound): narrow it or cap the loss "
            "(cap_per_event / cap_per_year).")


def _in_order(work: Callable[[int], int], chunks: range, pool: ThreadPoolExecutor | None,
              window: int, done: Callable[[int, int], None]) -> None:
    """Run ``work`` on every chunk, at most ``window`` in flight, and call ``done(chunk,
    result)`` in chunk order. No barrier between groups of chunks, so threads stay busy; the
    window bounds how far a chunk may run ahead of the oldest unfinished one."""
    if pool is None:
        for c in chunks:
            done(c, work(c))
        return
    it = iter(chunks)
    pending = deque((c, pool.submit(work, c)) for c in itertools.islice(it, window))
    while pending:
        c, future = pending.popleft()
        done(c, future.result())
        nxt = next(it, None)
        if nxt is not None:
            pending.append((nxt, pool.submit(work, nxt)))


def _mean_half_width(moments: np.ndarray, shift: float,
                     sampling: str = "mc") -> tuple[float, float]:
    """Mean of net savings and its 95% half-width from per-chunk shifted moments: from the
    trials' variance for plain Monte Carlo, from the spread of chunk means (batch means) for
    a design whose trials within a chunk are not independent."""
    if sampling != "mc" and moments.shape[0] >= 2:
        mean, _, half = batch_means(moments, shift)
        return mean, half
    n = moments[:, 0].sum()
    s = math.fsum(moments[:, 1])
    ss = math.fsum(moments[:, 2])
    var = max(ss - s * s / n, 0.0) / (n - 1) if n > 1 else 0.0
    return shift + s / n, Z95 * math.sqrt(var / n)
