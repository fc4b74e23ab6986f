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

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from . import kernels as K
from .compiled import CompiledModel, compile_scenario
from .result import SimulationResult
from .scenario import Scenario

CHUNK_SIZE = 65_536
"""Trials per chunk; part of the seed contract (see module docstring)."""
DEFAULT_SEED = 20_260_101
"""Seed used when none is given, so two runs of the same file agree by default."""
BIT_GENERATOR = "SFC64"
MAX_MEMORY_BYTES = 8 * 2**30
"""Largest per-trial storage a run may allocate (runs keep every trial in memory)."""


def stream(seed: int, chunk: int, key: int) -> np.random.Generator:
    """The random stream of one input within one chunk."""
    ss = np.random.SeedSequence(seed, spawn_key=(chunk, int(key)))
    return np.random.Generator(np.random.SFC64(ss))


@dataclass(frozen=True)
class _Buffers:
    net: np.ndarray  # (n,)
    gross: np.ndarray  # (n,)
    components: np.ndarray  # (C + R, n)
    inputs: np.ndarray | None  # (I, n)


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


def bytes_per_trial(model: CompiledModel, keep_inputs: bool) -> int:
    rows = 2 + len(model.component_names) + (len(model.input_names) if keep_inputs else 0)
    return 8 * rows


def simulate(scenario: Scenario, trials: int = 1_000_000,
             seed: int = DEFAULT_SEED, threads: int | None = None, keep_inputs: bool = False,
             progress: Callable[[int], None] | None = None) -> SimulationResult:
    """Run ``trials`` Monte Carlo trials of a scenario.

    Parameters
    ----------
    scenario : a validated :class:`Scenario` (from :func:`load_scenario`).
    trials : number of trials (>= 1).
    seed : non-negative integer; the same scenario and seed give bit-identical results.
    threads : worker threads (default: all cores). Does not change the results.
    keep_inputs : also keep every per-trial input value (``result.inputs``, shape (I, trials)).
    progress : called with the number of trials just finished, after each chunk.

    Returns a :class:`SimulationResult` holding every trial's net savings and component totals
    (present values in the scenario's currency).
    """
    if isinstance(trials, bool) or not isinstance(trials, int | np.integer) or trials < 1:
        raise ValueError(f"trials must be a whole number >= 1 (got {trials!r})")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0 (got {seed!r})")
    model = compile_scenario(scenario)
    need = trials * bytes_per_trial(model, keep_inputs)
    if need > MAX_MEMORY_BYTES:
        raise ValueError(f"{trials:,} trials would need {need / 2**30:.1f} GiB to keep every "
                         f"trial (limit {MAX_MEMORY_BYTES / 2**30:.0f} GiB); use fewer trials")
    threads = max(1, threads or os.cpu_count() or 1)

    n_comp = len(model.component_names)
    net = np.empty(trials)
    gross = np.empty(trials)
    components = np.empty((n_comp, trials))
    inputs = np.empty((len(model.input_names), trials)) if keep_inputs else None
    n_chunks = -(-trials // CHUNK_SIZE)

    def work(chunk: int) -> int:
        lo, hi = chunk * CHUNK_SIZE, min(trials, (chunk + 1) * CHUNK_SIZE)
        # Each chunk writes into its own contiguous scratch and copies out, so threads never
        # share a cache line and kernels see contiguous rows.
        buf = _Buffers(np.empty(hi - lo), np.empty(hi - lo), np.empty((n_comp, hi - lo)),
                       None if inputs is None else np.empty((inputs.shape[0], hi - lo)))
        run_chunk(model, int(seed), chunk, buf)
        net[lo:hi] = buf.net
        gross[lo:hi] = buf.gross
        components[:, lo:hi] = buf.components
        if inputs is not None:
            inputs[:, lo:hi] = buf.inputs
        return hi - lo

    if threads == 1 or n_chunks == 1:
        done = map(work, range(n_chunks))
        for k in done:
            if progress:
                progress(k)
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            for k in pool.map(work, range(n_chunks)):
                if progress:
                    progress(k)

    return SimulationResult(
        scenario=scenario,
        model=model, trials=trials, seed=int(seed), net_savings=net,
        gross_wage_savings=gross, component_totals=components, inputs=inputs,
        chunk_size=CHUNK_SIZE, bit_generator=BIT_GENERATOR)
