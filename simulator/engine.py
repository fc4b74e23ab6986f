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

import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from . import kernels as K
from .compiled import CompiledModel, compile_scenario
from .result import SimulationResult
from .scenario import Scenario
from .streaming import Streamer

CHUNK_SIZE = 65_536
"""Trials per chunk; part of the seed contract (see module docstring)."""
DEFAULT_SEED = 20_260_101
"""Seed used when none is given, so two runs of the same file agree by default."""
BIT_GENERATOR = "SFC64"
MAX_MEMORY_BYTES = 8 * 2**30
"""Largest per-trial storage a run that keeps every trial may allocate."""


def stream(seed: int, chunk: int, key: int) -> np.random.Generator:
    """The random stream of one input within one chunk."""
    ss = np.random.SeedSequence(seed, spawn_key=(chunk, int(key)))
    return np.random.Generator(np.random.SFC64(ss))


@dataclass(frozen=True)
class _Buffers:
    """One chunk's outputs as views of a single (V, n) matrix, rows as in :func:`value_rows`."""

    values: np.ndarray  # (V, n): net, gross, components (C + R), total risk loss if R > 0
    n_components: int
    inputs: np.ndarray | None  # (I, n)

    @property
    def net(self) -> np.ndarray:
        return self.values[0]

    @property
    def gross(self) -> np.ndarray:
        return self.values[1]

    @property
    def components(self) -> np.ndarray:
        return self.values[2:2 + self.n_components]


def value_rows(model: CompiledModel) -> int:
    """Rows of a chunk's value matrix: net, gross, each component, and total risk loss."""
    return 2 + len(model.component_names) + (1 if len(model.risk_names) else 0)


def run_chunk(model: CompiledModel, seed: int, chunk: int, out: _Buffers) -> None:
    """Simulate one chunk of trials into ``out`` (whose arrays hold exactly this chunk)."""
    n = out.net.shape[0]
    levels = out.inputs if out.inputs is not None else np.empty((len(model.input_names), n))
    for j in range(levels.shape[0]):
        code = int(model.input_codes[j])
        if code == K.CONSTANT:
            levels[j] = model.input_params[j, 0]
        else:
            u = stream(seed, chunk, model.input_keys[j]).random(n)
            K.fill_ppf(u, code, model.input_params[j], model.data, levels[j])

    n_costs = len(model.cost_names)
    K.wage_and_costs(levels, model.workforce, model.discount, model.cost_kind, model.cost_input,
                     model.cost_growth, model.cost_first, model.cost_last, out.gross,
                     out.components[:n_costs])

    for r in range(len(model.risk_names)):
        first, last = int(model.risk_first[r]), int(model.risk_last[r])
        # Year-major draws: a risk's first years draw the same numbers whatever the horizon.
        u = stream(seed, chunk, model.risk_freq_keys[r]).random((last - first + 1, n))
        counts = np.empty(u.shape, dtype=np.int64)
        total = K.event_counts(u, int(model.risk_freq_code[r]), model.risk_freq_params[r],
                               model.data, counts)
        severity = stream(seed, chunk, model.risk_sev_keys[r]).random(total)
        K.fill_ppf(severity, int(model.risk_sev_code[r]), model.risk_sev_params[r], model.data,
                   severity)
        K.event_losses(counts, severity, float(model.risk_cap_event[r]),
                       float(model.risk_cap_year[r]), model.discount[first:last + 1],
                       out.components[n_costs + r])

    np.subtract(out.gross, out.components.sum(axis=0), out=out.net)
    if len(model.risk_names):
        np.sum(out.components[n_costs:], axis=0, out=out.values[-1])


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
stops depends only on the seed, never on the thread count."""
EXACT_LIMIT_BYTES = 2 * 2**30
"""Runs whose trials fit in this are kept in memory (exact statistics) unless told otherwise."""
Z95 = 1.959963984540054
MAX_TRIALS = 10**11
"""Most trials one run may ask for: per-chunk moments (24 bytes a chunk) are kept."""


def simulate(scenario: Scenario, trials: int = 1_000_000,
             seed: int = DEFAULT_SEED, threads: int | None = None, keep_inputs: bool = False,
             store_trials: bool | None = None, precision: Precision | None = None,
             progress: Callable[[int], None] | None = None) -> SimulationResult:
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

    Returns a :class:`SimulationResult`. Money is present value in the scenario's currency.
    """
    if isinstance(trials, bool) or not isinstance(trials, int | np.integer) or trials < 1:
        raise ValueError(f"trials must be a whole number >= 1 (got {trials!r})")
    if trials > MAX_TRIALS:
        raise ValueError(f"trials must be at most {MAX_TRIALS:.0e} on one machine (got "
                         f"{trials:.3g})")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0 (got {seed!r})")
    model = compile_scenario(scenario)
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
        if getattr(local, "n", None) != hi - lo:  # scratch reused by each thread
            local.n = hi - lo
            local.values = np.empty((n_rows, hi - lo))
            local.inputs = np.empty((n_inputs, hi - lo))
        run_chunk(model, seed, chunk, _Buffers(local.values, n_comp, local.inputs))
        if store_trials:
            stored[:, lo:hi] = local.values[:2 + n_comp]
            if inputs is not None:
                inputs[:, lo:hi] = local.inputs
        return local.values

    pilot = compute(0).copy()  # the thread's scratch is reused by later chunks
    shift = float(pilot[0].mean())
    streamer = None
    if not store_trials:
        log_rows = np.arange(2 + len(model.cost_names), n_rows) if len(model.risk_names) else []
        streamer = Streamer.from_pilot(pilot, log_rows, CHECK_EVERY)

    def work(chunk: int) -> int:
        values = pilot if chunk == 0 else compute(chunk)
        d = values[0] - shift
        moments[chunk] = d.size, d.sum(), np.dot(d, d)
        if streamer is not None:
            streamer.add(chunk, values)
        return values.shape[1]

    done_chunks = 0
    pool = ThreadPoolExecutor(max_workers=threads) if threads > 1 else None
    try:
        while done_chunks < n_chunks:
            batch = range(done_chunks, min(n_chunks, done_chunks + CHECK_EVERY))
            results = pool.map(work, batch) if pool else map(work, batch)
            for k in results:
                if progress:
                    progress(k)
            done_chunks = batch.stop
            if streamer is not None:
                streamer.fold(batch)
            if precision is not None and done_chunks < n_chunks:
                mean, half = _mean_half_width(moments[:done_chunks], shift)
                if precision.met(mean, half):
                    break
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)

    used = min(trials, done_chunks * CHUNK_SIZE)
    mean, half = _mean_half_width(moments[:done_chunks], shift)
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
        chunk_size=CHUNK_SIZE, bit_generator=BIT_GENERATOR)


def _mean_half_width(moments: np.ndarray, shift: float) -> tuple[float, float]:
    """Mean of net savings and its 95% half-width from per-chunk shifted moments."""
    n = moments[:, 0].sum()
    s = math.fsum(moments[:, 1])
    ss = math.fsum(moments[:, 2])
    var = max(ss - s * s / n, 0.0) / (n - 1) if n > 1 else 0.0
    return shift + s / n, Z95 * math.sqrt(var / n)
