"""The Monte Carlo engine: runs a compiled scenario over chunks of trials.

Reproducibility contract: trials are cut into chunks of :data:`CHUNK_SIZE`. Within chunk ``c``
every uncertain input (and each risk's counts and severities) draws from its own stream
``SFC64(SeedSequence(seed, spawn_key=(c, key)))``, where ``key`` is a hash of the input's name.
A chunk's results therefore depend only on (scenario, seed, chunk index), never on how many
threads ran or in which order chunks finished: the same scenario and seed give bit-identical
results on any machine with the same library versions. Changing CHUNK_SIZE changes the draws.

Streams keyed by input name also give common random numbers: an input with the same name in
two scenarios draws the same uniforms trial by trial. The streams and the sampling designs built
on them (Latin hypercube, Sobol: one replicate per chunk) live in :mod:`simulator.engine.sampling`;
correlated inputs get a Gaussian copula on their uniforms (:mod:`simulator.scenario.dependence`).

One chunk loop (:func:`chunk_partials`) serves the local thread pool and cluster workers
(:mod:`simulator.engine.cluster`); :class:`PlannedRun` reduces the partials in chunk order, so a run
is bit-identical however and wherever its chunks were computed.
"""
from __future__ import annotations

import dataclasses
import itertools
import math
import os
import threading
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from simulator import codes as C
from simulator.defaults import DEFAULT_SEED as DEFAULT_SEED  # re-exported
from simulator.defaults import Sampling
from simulator.diagnostics import ModelWarning
from simulator.engine import kernels as K
from simulator.engine.controls import control_return, without
from simulator.engine.sampling import SAMPLING as SAMPLING  # re-exported
from simulator.engine.sampling import engine_seed, sampling_design, stream_state, uniforms
from simulator.engine.sampling import stream as stream  # re-exported
from simulator.results.mcerror import Z95, batch_means
from simulator.results.precision import Precision, Targets
from simulator.results.result import SimulationResult
from simulator.results.rows import FIRST_COMPONENT, GROSS, NET, Rows
from simulator.results.streaming import N_SCALARS, Histograms, Streamer, StreamRanges, fold_scalars
from simulator.results.summary import ControlReturn
from simulator.scenario.compiled import CompiledModel, Engagement, compile_scenario
from simulator.scenario.model import Scenario

Seed = int | np.integer | np.random.SeedSequence | None
"""What ``seed=`` takes: an integer >= 0, a SeedSequence, or None for the default
(:func:`~simulator.engine.sampling.engine_seed`)."""

CHUNK_SIZE = 65_536
"""Trials per chunk; part of the seed contract (see module docstring)."""
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
        self.signature = Workspace.signature_of(model, n)
        _, rows, n_inputs, self.n_costs, self.n_components, drawn, copula, _ = \
            self.signature
        self.n = n
        self.values = np.empty((rows, n))
        self.inputs = np.empty((n_inputs, n))
        self.drawn = np.array(drawn, dtype=np.int64)
        self.row_of = np.full(n_inputs, -1, dtype=np.int64)  #: input -> its row of ``design``
        self.row_of[self.drawn] = np.arange(self.drawn.size)
        self.copula_rows = self.row_of[np.array(copula, dtype=np.int64)]
        self.design = np.empty((self.drawn.size, n))
        self.copula_u = np.empty((self.copula_rows.size, n))
        self.copula_z = np.empty((self.copula_rows.size, n))
        self.tmp = np.empty(2 * n)
        # A block's events (the risk kernels' scratch): room for 16 events a trial and year
        # on average over a block; a block with more allocates its own.
        self.events = np.empty((5, 16 * min(n, K.EVENT_BLOCK) + K.FIXED_EVENTS))
        self.constants_of: CompiledModel | None = None  # the model whose constants are filled
        self.engagement: np.ndarray | None = None
        if model.engaged:
            e = _engagement(model)
            n_risks, horizon = len(model.risk_names), model.horizon
            self.u_year = np.empty(n)  #: one risk's count uniforms of one year
            self.counts_all = np.zeros((n_risks, horizon, n), dtype=np.int64)
            self.mult = np.ones((n_risks, n))  #: this year's raise multiplier of each risk
            self.until = np.empty((e.raise_source.size, n), dtype=np.int64)
            self.end_idx = np.empty(n, dtype=np.int64)  #: exit year (0-based), H if none
            self.exit_risk = np.empty(n, dtype=np.int64)
            self.tend = np.empty(n)  #: the engagement's end, years from the start
            self.exit_u = np.empty((n_risks, n))
            self.share = np.empty((horizon, n))  #: a_t, share of each year under the engagement
            self.conv = np.ones((horizon, n))  #: 1 / exchange rate ([fx] currency -> scenario)
            self.off_factor = np.ones((horizon, n))  #: the provider bill's currency mix
            self.ones = np.ones((horizon, n))
            self.loss_scratch = np.empty((2, n))
            #: per chunk: exits, sum of T_end, sum of a_t by year, trials running at year ends
            self.engagement = np.zeros(2 + 2 * horizon)

    @staticmethod
    def signature_of(model: CompiledModel, n: int) -> tuple:
        """What a workspace's shapes depend on: models with the same signature can share one
        (a sweep's or a tornado's variants, the same scenario run again). Inputs that get
        uniforms ("drawn") are the random ones and the correlated ones, even when a sensitivity
        run holds one fixed, so that the others keep their numbers.
        """
        drawn = np.union1d(model.random_inputs, model.copula_inputs)
        # The engaged path's scratch is shaped by risks, years and raise links: two models
        # with the same value rows can differ in them (a recovery row in place of a risk).
        engaged = ((model.horizon, len(model.risk_names), _engagement(model).raise_source.size)
                   if model.engaged else None)
        return (n, value_rows(model), len(model.input_names), len(model.cost_names),
                len(model.component_names), tuple(drawn.tolist()),
                tuple(model.copula_inputs.tolist()), engaged)

    @property
    def nbytes(self) -> int:
        """Memory held by the workspace's arrays, bytes."""
        return sum(a.nbytes for a in vars(self).values() if isinstance(a, np.ndarray))

    @property
    def net(self) -> np.ndarray:
        """(n,) net savings of the chunk's trials."""
        return self.values[NET]

    @property
    def gross(self) -> np.ndarray:
        """(n,) gross wage savings."""
        return self.values[GROSS]

    @property
    def components(self) -> np.ndarray:
        """(C, n) each component's cost."""
        return self.values[FIRST_COMPONENT:FIRST_COMPONENT + self.n_components]


class WorkspacePool:
    """Workspaces kept between runs of one process, so that a run (or each variant of a sweep)
    does not pay for fresh memory: page faults on new arrays cost about 8 ms a thread a run on
    these machines, a tenth of a 1M-trial run. Holds at most ``limit`` idle workspaces and
    ``max_bytes`` of their memory.
    """

    def __init__(self, limit: int = 8, max_bytes: int = 256 * 2**20) -> None:
        self.limit = limit
        self.max_bytes = max_bytes
        self._idle: list[Workspace] = []
        self._lock = threading.Lock()

    def acquire(self, model: CompiledModel, n: int) -> Workspace:
        """An idle workspace that fits ``model`` and ``n`` trials, or a new one."""
        sig = Workspace.signature_of(model, n)
        with self._lock:
            for i, ws in enumerate(self._idle):
                if ws.signature == sig:
                    return self._idle.pop(i)
        return Workspace(model, n)

    def release(self, workspaces: Iterable[Workspace]) -> None:
        """Give workspaces back; the oldest idle ones are dropped beyond the limit."""
        with self._lock:
            self._idle.extend(workspaces)
            del self._idle[:-self.limit]
            while self._idle and sum(ws.nbytes for ws in self._idle) > self.max_bytes:
                del self._idle[0]


WORKSPACES = WorkspacePool()
"""The process's idle workspaces (shared by the local engine and a cluster worker's tasks)."""


def value_rows(model: CompiledModel) -> int:
    """Rows of a chunk's value matrix: net, gross, each component, and total risk loss."""
    return Rows.of(model).total


def _engagement(model: CompiledModel) -> Engagement:
    """The engaged model's engagement arrays (model 0.2).

    Raises
    ------
    ValueError
        If the model has none (a chunk of it takes the plain path).
    """
    if model.engagement is None:
        raise ValueError("this compiled model has no engagement (model.engaged is False)")
    return model.engagement


def _size_mode(model: CompiledModel, r: int) -> int:
    """How risk ``r``'s severities scale with a drawn size input, as the risk kernels take it:
    0 not at all, 1 times the input, 2 times exp(input) (a lognormal's mu).
    """
    if model.risk_size_input[r] < 0:
        return 0
    return 2 if model.risk_size_log[r] else 1


def run_chunk(model: CompiledModel, seed: int, chunk: int, ws: Workspace,
              sampling: str = "mc") -> None:
    """Simulate one chunk of ``ws.n`` trials into ``ws.values`` and ``ws.inputs``."""
    draw_inputs(model, seed, chunk, ws, sampling)
    if model.engaged:
        _engaged_chunk(model, seed, chunk, ws)
        return
    levels = ws.inputs
    n_costs = ws.n_costs
    if model.constant_wages:
        # Every trial's wages and costs are the same numbers: compute one trial's, the same
        # arithmetic, and copy it (a model of risks alone spent 7% of its time here).
        gross, costs = np.empty(1), np.empty((n_costs, 1))
        K.wage_and_costs(np.ascontiguousarray(levels[:, :1]), model.workforce, model.discount,
                         model.cost_kind, model.cost_input, model.cost_growth,
                         model.cost_first, model.cost_last, gross, costs)
        ws.gross[:] = gross[0]
        ws.components[:n_costs] = costs
    else:
        K.wage_and_costs(levels, model.workforce, model.discount, model.cost_kind,
                         model.cost_input, model.cost_growth, model.cost_first,
                         model.cost_last, ws.gross, ws.components[:n_costs])

    for r in range(len(model.risk_names)):
        first, last = int(model.risk_first[r]), int(model.risk_last[r])
        rate, size = int(model.risk_rate_input[r]), int(model.risk_size_input[r])
        # One fused pass per risk (counts, severities, losses), drawing year-major: a risk's
        # first years draw the same numbers whatever the horizon.
        K.risk_losses(ws.n, stream_state(seed, chunk, model.risk_freq_keys[r]),
                      stream_state(seed, chunk, model.risk_first_keys[r]),
                      stream_state(seed, chunk, model.risk_sev_keys[r]),
                      int(model.risk_freq_code[r]), model.risk_freq_params[r],
                      levels[max(rate, 0)], int(model.risk_rate_family[r]) if rate >= 0 else -1,
                      float(model.risk_rate_factor[r]), float(model.risk_rate_dispersion[r]),
                      int(model.risk_sev_code[r]), model.risk_sev_params[r], model.data,
                      float(model.risk_sev_scale[r]), levels[max(size, 0)],
                      _size_mode(model, r),
                      float(model.risk_cap_event[r]), float(model.risk_cap_year[r]),
                      model.discount[first:last + 1], ws.components[n_costs + r], ws.events)

    K.net_and_risk_total(ws.values, n_costs)


def draw_inputs(model: CompiledModel, seed: int, chunk: int, ws: Workspace,
                sampling: str = "mc") -> None:
    """Fill ``ws.inputs`` (I, n) with the chunk's per-trial inputs: the design's uniforms,
    correlated where declared, through each input's quantile function.
    """
    levels = ws.inputs
    design = ws.design
    sampling_design(model.input_keys[ws.drawn], seed, chunk, sampling, design, ws.tmp)
    if ws.copula_rows.size:
        np.take(design, ws.copula_rows, axis=0, out=ws.copula_u)
        K.gaussian_copula(ws.copula_u, model.copula_factor, ws.copula_z)
        design[ws.copula_rows] = ws.copula_u
    refill = ws.constants_of is not model  # constant rows stay put from chunk to chunk
    for j in range(levels.shape[0]):
        code = int(model.input_codes[j])
        if code != C.CONSTANT:
            K.fill_ppf(design[ws.row_of[j]], code, model.input_params[j], model.data, levels[j],
                       ws.tmp)
        elif refill:
            levels[j] = model.input_params[j, 0]
    ws.constants_of = model


def _fx_path(model: CompiledModel, seed: int, chunk: int, ws: Workspace) -> None:
    """Each trial's exchange rates: ws.conv = 1 / X_t and ws.off_factor = the provider bill's
    mix phi / X_t + (1 - phi) / X_0, per unit of the [fx] currency (docs/model.md).
    """
    e = _engagement(model)
    horizon = model.horizon
    z = ws.share  # scratch, filled with the running shares later
    uniforms(seed, chunk, int(np.uint32(e.fx_key)), z)
    flat = z.reshape(-1)
    K.norm_ppf_into(flat.copy(), flat)
    sigma, mu, x0 = e.fx_volatility, e.fx_drift, e.fx_rate
    tau = np.arange(horizon) + e.time_offset
    steps = np.diff(np.concatenate([[0.0], tau]))  # sqrt(tau_1) then 1s
    w = np.cumsum(np.sqrt(steps)[:, None] * z, axis=0)
    log_x = math.log(x0) + (mu - 0.5 * sigma * sigma) * tau[:, None] + sigma * w
    np.exp(-log_x, out=ws.conv)
    np.multiply(ws.conv, e.fx_share, out=ws.off_factor)
    ws.off_factor += (1.0 - e.fx_share) / x0


def _engaged_chunk(model: CompiledModel, seed: int, chunk: int, ws: Workspace) -> None:
    """The model-0.2 chunk (docs/model.md, "The deal as it unfolds"): counts year by year
    with raises and the engagement's end, then wages, costs and losses weighted by the share
    of each year the engagement ran.
    """
    e = _engagement(model)
    levels, horizon = ws.inputs, model.horizon
    n_costs, n_risks = ws.n_costs, len(model.risk_names)
    if e.fx_rate > 0:
        _fx_path(model, seed, chunk, ws)

    # 1. Counts, year by year: raises from earlier years, the exit as it happens.
    ws.end_idx[:] = horizon
    ws.exit_risk[:] = -1
    ws.until[:] = -1
    raised = np.zeros(n_risks, dtype=bool)
    raised[e.raise_target] = True
    # Each risk's count stream, drawn a year at a time as the years come: year-major, as the
    # plain model draws them, without a (risks, years, n) array of uniforms.
    count_streams = [stream_state(seed, chunk, key) for key in model.risk_freq_keys]
    stops = ~e.inhouse
    for t in range(horizon):
        for r in np.flatnonzero(raised).tolist():
            ws.mult[r] = 1.0
        for k in range(e.raise_source.size):
            K.raise_multipliers(t, float(e.raise_factor[k]), ws.until[k],
                                ws.mult[e.raise_target[k]])
        for r in range(n_risks):
            first, last = int(model.risk_first[r]), int(model.risk_last[r])
            if not first <= t <= last:
                continue
            rate = int(model.risk_rate_input[r])
            K.sfc64_uniforms(count_streams[r], ws.u_year)
            K.counts_year(
                ws.u_year, t, int(model.risk_freq_code[r]),
                model.risk_freq_params[r], model.data, levels[max(rate, 0)], rate >= 0,
                float(model.risk_rate_factor[r]), int(model.risk_rate_family[r]),
                float(model.risk_rate_dispersion[r]), float(e.base_rate[r]), ws.mult[r],
                bool(raised[r]), ws.end_idx, bool(stops[r]), ws.counts_all[r, t - first])
        for r in np.flatnonzero(e.ends).tolist():
            first, last = int(model.risk_first[r]), int(model.risk_last[r])
            if first <= t <= last:
                K.exit_update(t, int(r), ws.counts_all[r, t - first], ws.end_idx, ws.exit_risk,
                              horizon)
        for k in range(e.raise_source.size):
            src = int(e.raise_source[k])
            first, last = int(model.risk_first[src]), int(model.risk_last[src])
            if first <= t <= last:
                K.record_raises(t, ws.counts_all[src, t - first], int(e.raise_years[k]),
                                ws.until[k])

    # 2. When each engagement ends, and the share of each year it ran.
    for r in np.flatnonzero(e.ends & (e.timing == C.TIMING_UNIFORM)).tolist():
        uniforms(seed, chunk, e.exit_keys[r], ws.exit_u[r])
    K.engagement_end(ws.end_idx, ws.exit_risk, e.timing, ws.exit_u, horizon, ws.tend)
    K.running_shares(ws.tend, ws.share)

    # 3. Wages and cost lines, the savings lost to an exit, and re-entry.
    lost = ws.components[e.lost_row] if e.lost_row >= 0 else ws.loss_scratch[0]
    K.wage_and_costs_engaged(levels, model.workforce, model.discount, model.cost_kind,
                             model.cost_input, model.cost_growth, model.cost_first,
                             model.cost_last, e.cost_stops, e.cost_fx, ws.share, ws.off_factor,
                             ws.conv, ws.gross, lost, ws.components[:n_costs])
    for r in np.flatnonzero(e.reentry_row >= 0).tolist():
        cost_in, months_in, overrun_in = (int(x) for x in e.reentry[r])
        K.reentry_costs(levels, model.workforce, model.discount, int(r), cost_in, months_in,
                        overrun_in, ws.end_idx, ws.exit_risk, ws.tend,
                        ws.components[e.reentry_row[r]])

    # 4. Each risk's losses and recoveries, weighted by the share of the year it counts.
    for r in range(n_risks):
        first, last = int(model.risk_first[r]), int(model.risk_last[r])
        lo, hi = int(e.layer_start[r]), int(e.layer_start[r + 1])
        loss, recovered = ws.components[n_costs + r], ws.loss_scratch[1]
        if e.recovery_row[r] >= 0:
            recovered = ws.components[e.recovery_row[r]]
        size = int(model.risk_size_input[r])
        K.risk_losses_engaged(
            ws.counts_all[r, :last - first + 1],
            stream_state(seed, chunk, model.risk_first_keys[r]),
            stream_state(seed, chunk, model.risk_sev_keys[r]),
            int(model.risk_sev_code[r]), model.risk_sev_params[r], model.data,
            float(model.risk_sev_scale[r]), levels[max(size, 0)],
            _size_mode(model, r),
            float(e.secondary_prob[r]), stream_state(seed, chunk, e.secondary_keys[r, 0]),
            stream_state(seed, chunk, e.secondary_keys[r, 1]), int(e.secondary_code[r]),
            e.secondary_params[r], float(model.risk_cap_event[r]),
            float(model.risk_cap_year[r]), model.discount[first:last + 1],
            # an ending risk's own event counts in full: it has no events after the exit,
            # and before it a_t = 1
            (ws.ones if e.ends[r] else ws.share)[first:last + 1],
            (ws.conv if e.risk_fx[r] else ws.ones)[first:last + 1],
            e.layer_per[lo:hi], e.layer_deductible[lo:hi], e.layer_share[lo:hi],
            e.layer_limit[lo:hi], loss, recovered, ws.events)
        if e.inhouse[r]:  # avoided while the engagement runs: a saving, net of recoveries
            np.subtract(recovered, loss, out=loss)
        elif e.recovery_row[r] >= 0:
            np.negative(recovered, out=recovered)

    K.net_and_risk_rows(ws.values, ws.n_components, e.risk_total_rows)
    _engagement_sums(ws, horizon)


def _engagement_sums(ws: Workspace, horizon: int) -> None:
    """The chunk's engagement figures: exits, sum of T_end, sum of a_t by year, and trials
    still running at the end of each year (T_end >= t).
    """
    g = ws.engagement
    if g is None:
        raise ValueError("the workspace was made for a model without an engagement")
    g[0] = np.count_nonzero(ws.end_idx < horizon)
    g[1] = ws.tend.sum()
    g[2:2 + horizon] = ws.share.sum(axis=1)
    g[2 + horizon:] = (ws.tend[None, :] >= np.arange(1, horizon + 1)[:, None]).sum(axis=1)


def bytes_per_trial(model: CompiledModel, keep_inputs: bool) -> int:
    """Memory that keeping every trial costs per trial, bytes."""
    rows = Rows.of(model).stored + (len(model.input_names) if keep_inputs else 0)
    return 8 * rows


CHECK_EVERY = 8
"""Chunks per batch; a precision target is checked after each whole batch, so where a run
stops depends only on the seed, never on the thread count. Also the most chunks in flight."""
EXACT_LIMIT_BYTES = 2 * 2**30
"""Runs whose trials fit in this are kept in memory (exact statistics) unless told otherwise."""
MAX_TRIALS = 10**11
"""Most trials one run may ask for: per-chunk moments (24 bytes a chunk) are kept."""


@dataclass(frozen=True)
class RunOptions:
    """How each chunk is simulated beyond model, seed and chunk index. Every field is passed to
    :func:`run_chunk` as a keyword argument of the same name and travels with each task to
    cluster workers, so a new run_chunk keyword needs one field here (and its simulate()
    argument) and nothing else.
    """

    sampling: str = "mc"  #: design of the per-trial inputs, a :class:`Sampling` value

    def __post_init__(self) -> None:
        # A Sampling member or its value; kept as the plain string (it travels to workers).
        object.__setattr__(self, "sampling", Sampling.of(self.sampling).value)

    def chunk_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of :func:`run_chunk`."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


@dataclass(frozen=True)
class ChunkJob:
    """All a process needs to compute any chunks' partials of one run: the compiled model
    (plain arrays), seed, trial count, options, and what the pilot chunk fixed (the moment
    shift and a streamed run's histogram ranges). Never trials: this is what a cluster ships.
    """

    model: CompiledModel
    seed: int
    trials: int
    options: RunOptions
    shift: float  #: moment shift of net savings: the pilot chunk's mean, currency
    ranges: StreamRanges | None  #: histogram ranges of a streamed run; None keeps every trial
    keep_inputs: bool = False  #: also keep the drawn inputs (kept runs only)

    @property
    def n_chunks(self) -> int:
        """Chunks of the run (the last may be short)."""
        return -(-self.trials // CHUNK_SIZE)

    def bounds(self, chunk: int) -> tuple[int, int]:
        """First and one-past-last trial of ``chunk``."""
        return chunk * CHUNK_SIZE, min(self.trials, (chunk + 1) * CHUNK_SIZE)


@dataclass
class Partials:
    """What chunks ``chunks`` contribute to a run. Integer histograms add in any order; the
    float parts stay per chunk, for the reducer to fold strictly in chunk order.
    """

    chunks: range
    moments: np.ndarray  #: (k, 3) per chunk: trials, sum and sum of squares of net - shift
    scalars: np.ndarray | None  #: (k, V, N_SCALARS) per chunk, streamed runs
    hist: Histograms | None  #: the chunks' histograms, summed, streamed runs
    values: np.ndarray | None  #: (Rows.stored, n) their trials (net, gross, components), kept
    inputs: np.ndarray | None  #: (I, n) their drawn inputs, if kept
    engagement: np.ndarray | None = None  #: (k, 2 + 2H) per chunk, models with an exit

    @classmethod
    def empty(cls, job: ChunkJob, chunks: range) -> Partials:
        """Fresh arrays for ``chunks`` of ``job`` (as a cluster task returns them)."""
        k = len(chunks)
        n = job.bounds(chunks.stop - 1)[1] - job.bounds(chunks.start)[0]
        m = job.model
        engagement = np.zeros((k, 2 + 2 * m.horizon)) if m.engaged else None
        if job.ranges is not None:  # streamed
            return cls(chunks, np.zeros((k, 3)),
                       np.zeros((k, job.ranges.lo.size, N_SCALARS)),
                       job.ranges.histograms(), None, None, engagement)
        return cls(chunks, np.zeros((k, 3)), None, None,
                   np.empty((Rows.of(m).stored, n)),
                   np.empty((len(m.input_names), n)) if job.keep_inputs else None, engagement)

    @property
    def trials(self) -> int:
        """Trials of these chunks."""
        return int(self.moments[:, 0].sum())


Pilot = tuple[np.ndarray, np.ndarray | None, np.ndarray | None]
"""Chunk 0 computed by the planner: its values, inputs (if kept) and engagement sums."""


def chunk_partials(job: ChunkJob, chunks: range, out: Partials | None = None,
                   scratch: dict[int, Workspace] | None = None,
                   pilot: Pilot | None = None) -> Partials:
    """Simulate ``chunks`` of a run and compute their partials: the one chunk loop, shared by
    the local thread pool (a chunk at a time, writing through ``out`` straight into the run's
    arrays) and cluster workers (a range of chunks into fresh arrays, returned).

    scratch : workspaces by trial count, reused across calls (keep one dict per thread).
    pilot : chunk 0's (values, inputs), already computed by the planner, used as they are.
    Raises :class:`NonFiniteError` if a trial overflowed.
    """
    out = out if out is not None else Partials.empty(job, chunks)
    own = scratch is None  # a cluster task: borrow workspaces for this call only
    scratch = scratch if scratch is not None else {}
    model, kwargs = job.model, job.options.chunk_kwargs()
    first = job.bounds(chunks.start)[0]
    for i, c in enumerate(chunks):
        lo, hi = job.bounds(c)
        values: np.ndarray
        inputs: np.ndarray | None
        engagement: np.ndarray | None
        if c == 0 and pilot is not None:
            values, inputs, engagement = pilot
        else:
            ws = scratch.get(hi - lo)
            if ws is None:  # one workspace per size: full chunks and the last, short one
                ws = scratch[hi - lo] = WORKSPACES.acquire(model, hi - lo)
            run_chunk(model, job.seed, c, ws, **kwargs)
            values, inputs, engagement = ws.values, ws.inputs, ws.engagement
        if out.engagement is not None:
            out.engagement[i] = engagement
        if out.values is not None:
            out.values[:, lo - first:hi - first] = values[:out.values.shape[0]]
            if out.inputs is not None:
                out.inputs[:, lo - first:hi - first] = inputs
        s, ss = K.shifted_sums(values[0], job.shift)
        if not math.isfinite(ss):
            raise NonFiniteError(_non_finite_message(model, values, c))
        out.moments[i] = hi - lo, s, ss
        if out.hist is not None and out.scalars is not None and job.ranges is not None:
            job.ranges.add(values, out.hist, out.scalars[i])
    if own:
        WORKSPACES.release(scratch.values())
    return out


class Backend(Protocol):
    """Somewhere else to compute chunks, e.g. :class:`simulator.engine.cluster.DaskBackend`."""

    def run(self, runs: Sequence[PlannedRun],
            progress: Callable[[int], None] | None = None) -> None:
        """Compute every run's :meth:`~PlannedRun.tasks` with :func:`chunk_partials` and hand
        each run its partials with :meth:`~PlannedRun.take`, in chunk order, until it is
        :attr:`~PlannedRun.done`. ``progress`` gets the trials of each finished task.
        """


class PlannedRun:
    """One simulation, planned by the calling process: its checked arguments, the pilot chunk
    (which fixes the histogram ranges and the moment shift), the arrays that receive the
    results, and the reduction of partials in chunk order. Its chunks are computed by
    :meth:`run_local` (a thread pool) or by a :class:`Backend`; :meth:`result` builds the
    :class:`SimulationResult`.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    trials, seed, keep_inputs, store_trials, precision, model
        As :func:`simulate` takes them (keywords only).
    options : RunOptions
        How each chunk is simulated (the sampling design).

    Examples
    --------
    >>> run = PlannedRun(scenario, trials=200_000, seed=1)  # doctest: +SKIP
    >>> backend.warm_up(run)  # doctest: +SKIP
    """

    def __init__(self, scenario: Scenario, *, trials: int = 1_000_000, seed: Seed = None,
                 keep_inputs: bool = False, store_trials: bool | None = None,
                 precision: Precision | Targets | None = None,
                 model: CompiledModel | None = None,
                 options: RunOptions | None = None) -> None:
        if isinstance(trials, bool) or not isinstance(trials, int | np.integer) or trials < 1:
            raise ValueError(f"trials must be a whole number >= 1 (got {trials!r})")
        if trials > MAX_TRIALS:
            raise ValueError(f"trials must be at most {MAX_TRIALS:.0e} on one machine (got "
                             f"{trials:.3g})")
        seed = engine_seed(seed)
        options = options if options is not None else RunOptions()
        model = model if model is not None else compile_scenario(scenario)
        need = trials * bytes_per_trial(model, keep_inputs)
        if store_trials is None:
            store_trials = keep_inputs or need <= EXACT_LIMIT_BYTES
        if isinstance(precision, Targets):  # order statistics: the targets need the trials
            if store_trials is False:
                raise ValueError(f"precision targets {precision.describe()} need the trials "
                                 "(order statistics); a streamed run takes only a target on "
                                 "the mean, such as 0.5% or an amount")
            store_trials = True
        if keep_inputs and not store_trials:
            raise ValueError("keep_inputs needs store_trials")
        if store_trials and need > MAX_MEMORY_BYTES:
            raise ValueError(f"{trials:,} trials would need {need / 2**30:.1f} GiB to keep every "
                             f"trial (limit {MAX_MEMORY_BYTES / 2**30:.0f} GiB); use fewer trials "
                             "or stream the statistics")
        trials = int(trials)
        self.scenario, self.precision, self.model = scenario, precision, model
        n_chunks = -(-trials // CHUNK_SIZE)
        self.stored = np.empty((Rows.of(model).stored, trials)) if store_trials else None
        self.inputs = (np.empty((len(model.input_names), trials)) if keep_inputs
                       else None)
        # Per chunk: n, sum and sum of squares of net - shift.
        self.moments = np.zeros((n_chunks, 3))

        self.engagement = np.zeros((n_chunks, 2 + 2 * model.horizon)) if model.engaged else None
        self.streamer: Streamer | None = None
        self.pilot: Pilot | None = None
        self._plan = (model, seed, trials, options, keep_inputs)
        self.n_chunks = n_chunks
        self._job: ChunkJob | None = None
        if not store_trials:  # a streamed run needs the pilot now: it fixes the histograms
            self._run_pilot()
        self.next_chunk = 0  #: chunks before this one are reduced
        self.stopped = False  #: the precision target was met

    @property
    def job(self) -> ChunkJob:
        """What every chunk of the run needs (computes the pilot chunk on first use)."""
        if self._job is None:
            return self._run_pilot()
        return self._job

    def _run_pilot(self) -> ChunkJob:
        """Chunk 0, computed first: its mean is the moment shift of every chunk, and for a
        streamed run its values fix the histogram ranges. A run that keeps its trials and
        runs locally skips this serial step (:meth:`run_local` takes the shift from chunk 0
        when it is reduced, the same number).
        """
        model, seed, trials, options, keep_inputs = self._plan
        ws = WORKSPACES.acquire(model, min(trials, CHUNK_SIZE))
        run_chunk(model, seed, 0, ws, **options.chunk_kwargs())
        # Copies: the workspace goes back to the pool for later chunks.
        values = ws.values.copy()
        self.pilot = (values, ws.inputs.copy() if keep_inputs else None,
                      ws.engagement.copy() if ws.engagement is not None else None)
        WORKSPACES.release([ws])
        if not np.isfinite(values[NET]).all():
            raise NonFiniteError(_non_finite_message(model, values, 0))
        if self.stored is None:
            rows = Rows.of(model)
            log_rows = np.array(rows.loss_rows, dtype=np.int64)
            # The risk total (the row after the stored ones) needs only its loss curve.
            self.streamer = Streamer.from_pilot(values[:rows.stored], log_rows, CHECK_EVERY)
        self._job = ChunkJob(model, seed, trials, options, float(values[NET].mean()),
                             self.streamer.ranges if self.streamer is not None else None,
                             keep_inputs)
        return self._job

    @property
    def done(self) -> bool:
        """Whether every chunk the run needs is reduced."""
        return self.stopped or self.next_chunk >= self.n_chunks

    def pilot_partials(self) -> Partials:
        """Chunk 0's partials, from the pilot already computed here."""
        return chunk_partials(self.job, range(0, 1), pilot=self.pilot)

    def tasks(self, size: int = CHECK_EVERY) -> list[range]:
        """The chunks after the pilot, cut into ranges of ``size`` chunks (one task each).
        With a precision target the ranges are its batches (CHECK_EVERY chunks), so that the
        target is checked where a local run checks it and no task overshoots the stop.
        """
        n = self.job.n_chunks
        size = CHECK_EVERY if self.precision is not None else max(1, int(size))
        return [range(max(1, b), min(n, b + size)) for b in range(0, n, size)
                if min(n, b + size) > max(1, b)]

    def take(self, p: Partials) -> None:
        """Reduce the partials of the next chunks (ranges must come in chunk order)."""
        c0, c1 = p.chunks.start, p.chunks.stop
        if c0 != self.next_chunk:
            raise ValueError(f"partials of chunk {c0} arrived before chunk {self.next_chunk}")
        self.moments[c0:c1] = p.moments
        if self.engagement is not None:
            self.engagement[c0:c1] = p.engagement
        lo, hi = self.job.bounds(c0)[0], self.job.bounds(c1 - 1)[1]
        if self.stored is not None:
            self.stored[:, lo:hi] = p.values
            if self.inputs is not None:
                self.inputs[:, lo:hi] = p.inputs
        if self.streamer is not None:
            if p.hist is None or p.scalars is None:
                raise ValueError(f"the partials of chunk {c0} are a kept run's; this run streams")
            self.streamer.merge(p.hist)
            fold_scalars(self.streamer.totals, p.scalars)
        self.next_chunk = c1
        if self.precision is not None and (c1 % CHECK_EVERY == 0 or c1 == self.job.n_chunks):
            self.stopped = self._target_met(c1)

    def _mean_half_width(self, chunks: int) -> tuple[float, float]:
        return _mean_half_width(self.moments[:chunks], self.job.shift, self.job.options.sampling)

    def _target_met(self, chunks: int) -> bool:
        """Whether the precision target is met after ``chunks`` chunks: the mean's, or with
        targets that need the trials (:class:`simulator.results.precision.Targets`) theirs, from the
        trials kept so far.
        """
        mean, half = self._mean_half_width(chunks)
        if isinstance(self.precision, Targets):
            used = min(self.job.trials, chunks * CHUNK_SIZE)
            return bool(self.precision.met_by_trials(self._kept()[NET, :used], half))
        if self.precision is None:
            return False
        return bool(self.precision.met(mean, half))

    def _kept(self) -> np.ndarray:
        """(Rows.stored, trials) the run's kept trials.

        Raises
        ------
        ValueError
            If the run streams its statistics.
        """
        if self.stored is None:
            raise ValueError("this run streams its statistics and keeps no trials")
        return self.stored

    def _out(self, chunk: int) -> Partials:
        """Views into this run's own arrays for one chunk computed locally: no copies."""
        lo, hi = self.job.bounds(chunk)
        streamer, j = self.streamer, chunk % CHECK_EVERY
        return Partials(range(chunk, chunk + 1), self.moments[chunk:chunk + 1],
                        streamer.pending[j:j + 1] if streamer is not None else None,
                        streamer.histograms() if streamer is not None else None,
                        self.stored[:, lo:hi] if self.stored is not None else None,
                        self.inputs[:, lo:hi] if self.inputs is not None else None,
                        self.engagement[chunk:chunk + 1] if self.engagement is not None
                        else None)

    def run_local(self, threads: int, progress: Callable[[int], None] | None = None) -> None:
        """Compute the run's chunks on ``threads`` threads of this process."""
        if self._job is None:
            self._run_local_kept(threads, progress)
            return
        local = threading.local()
        borrowed: list[dict[int, Workspace]] = []  # each thread's workspaces, returned at the end
        job, streamer = self.job, self.streamer

        def work(chunk: int) -> int:
            scratch = getattr(local, "scratch", None)
            if scratch is None:
                scratch = local.scratch = {}
                borrowed.append(scratch)
            chunk_partials(job, range(chunk, chunk + 1), self._out(chunk), scratch, self.pilot)
            lo, hi = job.bounds(chunk)
            return hi - lo

        def done(chunk: int, k: int) -> None:
            if streamer is not None:
                streamer.fold(range(chunk, chunk + 1))
            if progress:
                progress(k)

        self._drive(work, done, threads, borrowed)

    def _run_local_kept(self, threads: int, progress: Callable[[int], None] | None) -> None:
        """:meth:`run_local` for a run that keeps its trials, without the serial pilot: chunk
        0 runs in the pool like the others, and the reduction, in chunk order, takes the
        moment shift from it (the mean of its net savings, as the pilot does) before folding
        each chunk's moments, so every figure is the same, bit for bit.
        """
        model, seed, trials, options, keep_inputs = self._plan
        kwargs = options.chunk_kwargs()
        stored = self._kept()
        local = threading.local()
        borrowed: list[dict[int, Workspace]] = []
        shift: list[float] = []

        def bounds(chunk: int) -> tuple[int, int]:
            return chunk * CHUNK_SIZE, min(trials, (chunk + 1) * CHUNK_SIZE)

        def work(chunk: int) -> int:
            scratch = getattr(local, "scratch", None)
            if scratch is None:
                scratch = local.scratch = {}
                borrowed.append(scratch)
            lo, hi = bounds(chunk)
            ws = scratch.get(hi - lo)
            if ws is None:  # one workspace per size: full chunks and the last, short one
                ws = scratch[hi - lo] = WORKSPACES.acquire(model, hi - lo)
            run_chunk(model, seed, chunk, ws, **kwargs)
            stored[:, lo:hi] = ws.values[:stored.shape[0]]
            if self.inputs is not None:
                self.inputs[:, lo:hi] = ws.inputs
            if self.engagement is not None:
                self.engagement[chunk] = ws.engagement
            return hi - lo

        def done(chunk: int, k: int) -> None:
            lo, hi = bounds(chunk)
            net = stored[NET, lo:hi]
            if chunk == 0:
                if not np.isfinite(net).all():
                    raise NonFiniteError(_non_finite_message(model, stored[:, lo:hi], 0))
                shift.append(float(net.copy().mean()))  # a fresh row, as the pilot's copy
            s, ss = K.shifted_sums(net, shift[0])
            if not math.isfinite(ss):
                raise NonFiniteError(_non_finite_message(model, stored[:, lo:hi], chunk))
            self.moments[chunk] = hi - lo, s, ss
            if progress:
                progress(k)

        def plan() -> None:  # once chunk 0 is reduced, the job is known
            if self._job is None:
                self._job = ChunkJob(model, seed, trials, options, shift[0], None, keep_inputs)

        self._drive(work, done, threads, borrowed, plan)
        plan()

    def _drive(self, work: Callable[[int], int], done: Callable[[int, int], None],
               threads: int, borrowed: list[dict[int, Workspace]],
               before_check: Callable[[], None] | None = None) -> None:
        """Run ``work`` on the run's chunks on ``threads`` threads, ``done`` in chunk order;
        with a precision target in whole batches (so where the run stops never depends on
        scheduling), checking the target after each; then gives back the workspaces the
        threads borrowed.
        """
        pool = thread_pool(threads) if threads > 1 else None
        try:
            if self.precision is None:
                _in_order(work, range(self.n_chunks), pool, CHECK_EVERY, done)
                self.next_chunk = self.n_chunks
            else:
                while not self.done:
                    batch = range(self.next_chunk,
                                  min(self.n_chunks, self.next_chunk + CHECK_EVERY))
                    _in_order(work, batch, pool, CHECK_EVERY, done)
                    self.next_chunk = batch.stop
                    if before_check is not None:
                        before_check()
                    self.stopped = self._target_met(batch.stop)
        finally:
            WORKSPACES.release(ws for scratch in borrowed for ws in scratch.values())

    def result(self) -> SimulationResult:
        """The finished run's result (call once :attr:`done`)."""
        job, done_chunks = self.job, self.next_chunk
        used = min(job.trials, done_chunks * CHUNK_SIZE)
        mean, half = self._mean_half_width(done_chunks)
        stop: dict[str, Any] | None = None
        if self.precision is not None:
            stop = {"target": self.precision.describe(), "half_width": half,
                    "relative_half_width": half / abs(mean) if mean else float("inf"),
                    "met": None, "trials_used": used, "max_trials": job.trials}
            if isinstance(self.precision, Targets):  # targets beyond the mean
                stop.update(self.precision.report(self._kept()[NET, :used], half))
            else:
                stop["met"] = bool(self.precision.met(mean, half))
        stored, inputs = self.stored, self.inputs
        return SimulationResult(
            scenario=self.scenario, model=job.model, trials=used, seed=job.seed,
            net_savings=stored[NET, :used] if stored is not None else None,
            gross_wage_savings=stored[GROSS, :used] if stored is not None else None,
            component_totals=stored[FIRST_COMPONENT:, :used] if stored is not None else None,
            inputs=inputs[:, :used] if inputs is not None else None,
            stream=self.streamer.finish() if self.streamer is not None else None,
            chunk_moments=self.moments[:done_chunks], moment_shift=job.shift, precision=stop,
            chunk_size=CHUNK_SIZE, bit_generator=BIT_GENERATOR, sampling=job.options.sampling,
            engagement_sums=(self.engagement[:done_chunks] if self.engagement is not None
                             else None))


def simulate(scenario: Scenario, *, trials: int = 1_000_000, seed: Seed = None,
             threads: int | None = None, keep_inputs: bool = False,
             store_trials: bool | None = None,
             precision: Precision | Targets | None = None,
             progress: Callable[[int], None] | None = None,
             model: CompiledModel | None = None, sampling: Sampling | str = Sampling.MC,
             backend: Backend | None = None, controls: bool | None = None) -> SimulationResult:
    """Run up to ``trials`` Monte Carlo trials of a scenario.

    Everything after the scenario is a keyword. The scenario's model warnings (a repaired
    correlation matrix, an extreme tail, ...) are issued as
    :class:`~simulator.diagnostics.ModelWarning` before the run; they are also in
    ``summary()["warnings"]``.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario (from :func:`simulator.load_scenario`).
    trials : int, default 1_000_000
        Number of trials (>= 1); with ``precision``, the most to run.
    seed : int, numpy.random.SeedSequence or None, default None
        An integer >= 0; ``None`` is :data:`~simulator.defaults.DEFAULT_SEED` (the same every
        time, never fresh entropy); a SeedSequence is reduced to an integer seed
        deterministically (:func:`~simulator.engine.sampling.engine_seed`). The same
        scenario, seed and trials give bit-identical results; ``result.seed`` is the integer.
    threads : int or None, default None
        Worker threads (None: all cores). Never changes the results.
    keep_inputs : bool, default False
        Also keep every per-trial input value: ``result.inputs``, shape (I, trials), rows
        named by ``result.model.input_names``.
    store_trials : bool or None, default None
        True keeps every trial (exact statistics; 8 bytes a trial per row); False streams
        the statistics in fixed memory (histograms); None keeps them when they fit in 2 GiB.
    precision : Precision, Targets or None, default None
        Stop early once the mean's 95% half-width meets a
        :class:`~simulator.results.precision.Precision` target, or once the targets of a
        :class:`~simulator.results.precision.Targets` (P5, P95, CVaR, P(loss); these keep
        the trials) are met. Checked after every 8 chunks (524,288 trials).
    progress : callable or None, default None
        Called with the number of trials just finished, after each chunk (each task with a
        backend).
    model : CompiledModel or None, default None
        The scenario's compiled form, if already built (or deliberately altered, as the
        sensitivity analysis does to hold one input fixed).
    sampling : Sampling or str, default Sampling.MC
        Design of the per-trial inputs: ``"mc"`` (plain Monte Carlo), ``"lhs"`` (Latin
        hypercube) or ``"sobol"`` (scrambled Sobol), each chunk its own replicate; a
        :class:`~simulator.defaults.Sampling` member or its value. Event counts and
        severities always use plain Monte Carlo.
    backend : Backend or None, default None
        Compute the chunks elsewhere, e.g. on a Dask cluster
        (:func:`simulator.engine.cluster.connect`); ``threads`` is then unused. The results
        are bit-identical to a local run.
    controls : bool or None, default None
        Evaluate each control's return (:func:`control_returns`: one more run per control,
        same seed and trials) into ``result.controls`` and ``summary()["controls"]``. None
        does so when the scenario has controls and the run keeps its trials, as ``kposim run``
        does; False never; True always (it needs the trials).

    Returns
    -------
    SimulationResult
        Per-trial arrays of shape (trials,) (or streamed statistics), with ``summary()`` and
        ``chart_data()``. Money is present value over the horizon, in the scenario's currency.

    Raises
    ------
    ValueError
        For a bad trial count, seed or sampling design, or options that contradict each other.
    NonFiniteError
        If a trial overflowed (a tail too heavy for double precision).
    """
    run = _plan(scenario, trials=trials, seed=seed, keep_inputs=keep_inputs,
                store_trials=store_trials, precision=precision, model=model,
                sampling=sampling)
    _warn(run, stacklevel=3)
    return _finish(_execute(run, threads, progress, backend), controls, threads, backend)


def _plan(scenario: Scenario, *, trials: int, seed: Seed, keep_inputs: bool,
          store_trials: bool | None, precision: Precision | Targets | None,
          model: CompiledModel | None, sampling: Sampling | str) -> PlannedRun:
    return PlannedRun(scenario, trials=trials, seed=seed, keep_inputs=keep_inputs,
                      store_trials=store_trials, precision=precision, model=model,
                      options=RunOptions(sampling=sampling))


def _execute(run: PlannedRun, threads: int | None, progress: Callable[[int], None] | None,
             backend: Backend | None) -> SimulationResult:
    """Compute a planned run here or on ``backend``: the run without its controls."""
    if backend is None:
        run.run_local(max(1, threads or os.cpu_count() or 1), progress)
    else:
        backend.run([run], progress)
    return run.result()


def _warn(run: PlannedRun, stacklevel: int) -> None:
    """Issue the scenario's and its model's warnings as :class:`ModelWarning` (``stacklevel``
    counted from this function: 3 points at the caller of the public function).
    """
    for text in [*run.scenario.semantic_warnings(), *run.model.warnings]:
        warnings.warn(f"{run.scenario.name}: {text}", ModelWarning, stacklevel=stacklevel)


def _finish(result: SimulationResult, controls: bool | None, threads: int | None,
            backend: Backend | None) -> SimulationResult:
    """``result`` with its controls' returns, if asked for (see :func:`simulate`)."""
    if controls is None:
        controls = bool(result.scenario.controls) and result.stored
    if not controls or not result.scenario.controls:
        return result
    return dataclasses.replace(result, controls=control_returns(result, threads, backend))


def control_returns(result: SimulationResult, threads: int | None = None,
                    backend: Backend | None = None) -> dict[str, ControlReturn]:
    """Each control's cost, loss avoided and return, and net savings with and without it.

    For each control the scenario is run again without it (:func:`~simulator.engine.controls.
    without`), same seed, trials and design, so the two runs share their random numbers trial
    by trial (see :mod:`simulator.engine.controls`).

    Parameters
    ----------
    result : SimulationResult
        A run of the full scenario that kept its trials.
    threads : int or None
        Worker threads of the reruns (None: all cores).
    backend : Backend or None
        Compute the reruns on a cluster (:mod:`simulator.engine.cluster`); same results.

    Returns
    -------
    dict of str to ControlReturn
        Control name -> its figures (:class:`~simulator.results.summary.ControlReturn`): money
        is present value over the horizon; standard errors from the paired differences.

    Raises
    ------
    ValueError
        If ``result`` did not keep its trials.
    """
    scenario = result.scenario
    if not result.stored:
        raise ValueError("control returns need a run that kept its trials")
    out = {}
    for control in scenario.controls:
        rerun = _plan(without(scenario, control.name), trials=result.trials, seed=result.seed,
                      keep_inputs=False, store_trials=True, precision=None, model=None,
                      sampling=result.sampling)
        out[control.name] = control_return(result, _execute(rerun, threads, None, backend),
                                           control.name)
    return out


def simulate_many(variants: Sequence[tuple[Scenario, CompiledModel | None]], *,
                  backend: Backend | None = None,
                  progress: Callable[[int], None] | None = None,
                  each: Callable[[SimulationResult], Any] | None = None,
                  **options: Any) -> list[Any]:
    """Simulate several variants with the same options; a backend gets every variant's tasks
    at once, so a cluster stays busy. Each result is bit-identical to its own
    :func:`simulate` call (controls and warnings included).

    Parameters
    ----------
    variants : sequence of (Scenario, CompiledModel or None)
        Each scenario and, optionally, its compiled model (as :func:`simulate`'s ``model``).
    backend : Backend or None, default None
        Compute on a cluster; None runs the variants one after the other here.
    progress : callable or None, default None
        Called with the number of trials just finished, variant after variant.
    each : callable or None, default None
        Applied to every result as soon as it is done (locally: before the next variant
        runs), and its value returned instead, so that a long sweep keeps only what it needs.
    **options
        :func:`simulate`'s keywords: ``trials``, ``seed``, ``threads``, ``keep_inputs``,
        ``store_trials``, ``precision``, ``sampling``, ``controls``.

    Returns
    -------
    list
        One result (or ``each``'s value) per variant, in order.

    Raises
    ------
    TypeError
        For an option :func:`simulate` does not take.
    """
    known = {"trials", "seed", "threads", "keep_inputs", "store_trials", "precision",
             "sampling", "controls"}
    unknown = set(options) - known
    if unknown:
        raise TypeError(f"simulate_many got unexpected options: {', '.join(sorted(unknown))}")
    apply = each if each is not None else (lambda r: r)
    threads = options.pop("threads", None)
    controls = options.pop("controls", None)
    if backend is None:
        out = []
        for s, m in variants:
            run = _plan(s, model=m, **_plan_options(options))
            _warn(run, stacklevel=3)
            out.append(apply(_finish(_execute(run, threads, progress, None), controls,
                                     threads, None)))
        return out
    runs = [_plan(s, model=m, **_plan_options(options)) for s, m in variants]
    for run in runs:
        _warn(run, stacklevel=3)
    backend.run(runs, progress)
    return [apply(_finish(run.result(), controls, threads, backend)) for run in runs]


def _plan_options(options: dict[str, Any]) -> dict[str, Any]:
    """:func:`_plan`'s keywords from :func:`simulate_many`'s options, with simulate's
    defaults.
    """
    return {"trials": 1_000_000, "seed": None, "keep_inputs": False, "store_trials": None,
            "precision": None, "sampling": Sampling.MC, **options}


class NonFiniteError(ArithmeticError):
    """A trial produced inf or nan (an overflowing heavy tail); names the responsible line."""


def check_finite(result: Any, source: object) -> None:
    """Raise :class:`NonFiniteError` if a number anywhere in ``result`` (an analysis's
    JSON-like dict of lists, dicts and floats) is inf or nan, naming where (e.g.
    ``result.rows[1].mean``) and ``source`` (the scenario file). An analysis's statistics
    come from runs whose trials :func:`simulate` checked; this checks what was made of them.
    """
    def walk(x: Any, where: str) -> str | None:
        if isinstance(x, float) and not math.isfinite(x):
            return where
        items = (x.items() if isinstance(x, dict) else enumerate(x)
                 if isinstance(x, list | tuple) else ())
        for k, v in items:
            found = walk(v, f"{where}.{k}" if isinstance(k, str) else f"{where}[{k}]")
            if found:
                return found
        return None

    where = walk(result, "result")
    if where:
        raise NonFiniteError(f"{source}: the results are not finite ({where}): an input's range "
                             "is too wide for double precision; narrow it or cap the loss")


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


_POOLS: dict[int, ThreadPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


def thread_pool(threads: int) -> ThreadPoolExecutor:
    """The process's pool of ``threads`` worker threads, started once and kept: a new pool
    per run cost a few milliseconds of thread start-up, a tenth of a 1M-trial run, and every
    variant of a sweep or a tornado is a run.
    """
    with _POOLS_LOCK:
        pool = _POOLS.get(threads)
        if pool is None:
            pool = _POOLS[threads] = ThreadPoolExecutor(max_workers=threads,
                                                        thread_name_prefix="kposim")
        return pool


def _in_order(work: Callable[[int], int], chunks: range, pool: ThreadPoolExecutor | None,
              window: int, done: Callable[[int, int], None]) -> None:
    """Run ``work`` on every chunk, at most ``window`` in flight, and call ``done(chunk,
    result)`` in chunk order. No barrier between groups of chunks, so threads stay busy; the
    window bounds how far a chunk may run ahead of the oldest unfinished one.
    """
    if pool is None:
        for c in chunks:
            done(c, work(c))
        return
    it = iter(chunks)
    pending = deque((c, pool.submit(work, c)) for c in itertools.islice(it, window))
    try:
        while pending:
            c, future = pending.popleft()
            done(c, future.result())
            nxt = next(it, None)
            if nxt is not None:
                pending.append((nxt, pool.submit(work, nxt)))
    finally:
        # The pool outlives the run (an interrupt, a failed chunk): drop what has not started
        # and wait for what has, so no chunk writes into this run's arrays afterwards.
        for _, future in pending:
            future.cancel()
        for _, future in pending:
            if not future.cancelled():
                try:
                    future.result()
                except BaseException:  # noqa: BLE001 - the first error is already raised
                    pass


def _mean_half_width(moments: np.ndarray, shift: float,
                     sampling: str = "mc") -> tuple[float, float]:
    """Mean of net savings and its 95% half-width from per-chunk shifted moments: from the
    trials' variance for plain Monte Carlo, from the spread of chunk means (batch means) for
    a design whose trials within a chunk are not independent.
    """
    if sampling != "mc" and moments.shape[0] >= 2:
        mean, _, half = batch_means(moments, shift)
        return mean, half
    n = moments[:, 0].sum()
    s = math.fsum(moments[:, 1])
    ss = math.fsum(moments[:, 2])
    var = max(ss - s * s / n, 0.0) / (n - 1) if n > 1 else 0.0
    return shift + s / n, Z95 * math.sqrt(var / n)
