"""Simulations on a Dask cluster (``dask.distributed``), bit-identical to a local run.

The client plans each run as the local engine does (:class:`~simulator.engine.run.PlannedRun`):
it computes the pilot chunk, which fixes the histogram ranges and the moment shift, then ships
tasks of (compiled model arrays, seed, chunk range, run options, histogram ranges), never trial
arrays. A worker computes its chunk range with :func:`~simulator.engine.run.chunk_partials`, the
same function the local thread pool runs, and returns the partials: integer histograms
(summed on the client in any order) and per-chunk moments and scalars, which the client folds
strictly in chunk order, exactly as a local run does. Every chunk draws from streams keyed by
(seed, chunk index, input), so who computes it does not matter: the results are bit-identical
to a local run with the same seed, including where a precision target stops the run (tasks are
whole precision batches). A task whose worker fails or dies is retried by Dask; it recomputes
the same chunks and the result is unchanged.

Dask is an optional extra (``pip install 'kposim[dask]'``); this module imports it only when a
backend is created, so ``import simulator.engine.cluster`` stays cheap and a missing Dask becomes a
:class:`ClusterError` that says how to install it.
"""
from __future__ import annotations

import logging
import os
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from simulator.engine.run import ChunkJob, NonFiniteError, Partials, PlannedRun, chunk_partials

INSTALL_HINT = "pip install 'kposim[dask]'"
TASK_RETRIES = 3
"""Times Dask retries a task that raised (a worker that died is handled by the scheduler,
which reschedules its tasks)."""
CONNECT_TIMEOUT = 10.0
"""Seconds to wait for a scheduler and its first worker (``KPOSIM_DASK_TIMEOUT`` overrides)."""
WORKER_ENV = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "OPENBLAS_NUM_THREADS": "1"}
"""Environment of local worker processes: one thread each, so N workers use N cores and no
library starts a thread pool of its own (oversubscription)."""
CHUNKS_PER_TASK = 16
"""Chunks of 65,536 trials per task (about 1M trials) when no precision target needs smaller
tasks: large enough that scheduling and shipping the partials cost little against computing
them, small enough to spread a 10M-trial run over a few dozen cores."""
TASKS_PER_THREAD = 4
"""Tasks in flight (or finished and waiting for an earlier one) per worker thread: enough to
keep every worker busy, few enough to keep the client's memory flat on huge runs."""


class ClusterError(RuntimeError):
    """The cluster cannot be used (no Dask, unreachable scheduler, mismatched workers) or
    failed; the message says why and what to do.
    """


@dataclass(frozen=True)
class ClusterSpec:
    """What ``--dask`` asked for: a local cluster of ``workers`` processes, or ``address``."""

    workers: int | None = None
    address: str | None = None

    @classmethod
    def parse(cls, text: str) -> ClusterSpec:
        """``local`` (one worker per core), ``local:N``, or a scheduler address such as
        ``tcp://host:8786``.
        """
        t = text.strip()
        if t == "local":
            return cls(workers=os.cpu_count() or 1)
        if t.startswith("local:"):
            n = t.removeprefix("local:")
            if n.isdigit() and int(n) >= 1:
                return cls(workers=int(n))
            raise ClusterError(f"--dask {text!r}: expected local:N with N a whole number of "
                               "worker processes >= 1, e.g. local:4")
        if "://" in t and t.split("://", 1)[1]:
            return cls(address=t)
        raise ClusterError(f"--dask {text!r}: expected local, local:N (N worker processes) or "
                           "a scheduler address such as tcp://host:8786")


def compute_task(job: ChunkJob, chunks: range) -> Partials | NonFiniteError:
    """A task, run on a worker: the partials of ``chunks``. An overflowing trial is returned,
    not raised: it is deterministic, so retrying would only fail again.
    """
    try:
        return chunk_partials(job, chunks)
    except NonFiniteError as e:
        return e


def worker_versions() -> dict[str, str]:
    """Versions that decide the bits of a result (run on each worker, and here)."""
    import numba
    import numpy as np

    from simulator.results.run import _version

    return {"kposim": _version(), "numpy": np.__version__, "numba": numba.__version__}


class DaskBackend:
    """Computes runs' chunks on a Dask cluster (a :class:`~simulator.engine.run.Backend`).

    Use :func:`connect` to make one; close it (or use it as a context manager) to shut down a
    local cluster it started.
    """

    def __init__(self, client: Any, cluster: Any = None,
                 chunks_per_task: int = CHUNKS_PER_TASK,
                 saved_env: dict[str, str | None] | None = None) -> None:
        self.client = client
        self.chunks_per_task = chunks_per_task
        self._cluster = cluster
        self._saved_env = saved_env

    def __enter__(self) -> DaskBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Disconnect, and shut down the local cluster if this backend started it."""
        try:
            self.client.close()
        finally:
            if self._cluster is not None:
                self._cluster.close()
            if self._saved_env is not None:
                _restore(self._saved_env)

    def threads(self) -> int:
        """Worker threads in the cluster now."""
        return sum(self.client.nthreads().values())

    def warm_up(self, run: PlannedRun) -> None:
        """Load (or compile) the numba kernels on every worker now, by computing one chunk of
        ``run`` there, so that timings and progress bars do not include it.
        """
        chunks = range(min(1, run.job.n_chunks - 1), min(2, run.job.n_chunks))
        self.client.run(compute_task, run.job, chunks)

    def run(self, runs: Sequence[PlannedRun],
            progress: Callable[[int], None] | None = None) -> None:
        """Compute every run's chunks on the cluster and reduce them on each run in chunk
        order. Every run's tasks are queued at once (a sweep's variants keep the cluster busy)
        and at most ``TASKS_PER_THREAD`` per worker thread are in flight or waiting.
        """
        from distributed import as_completed

        client, tag = self.client, uuid.uuid4().hex[:12]
        queue: deque[tuple[int, range]] = deque()
        for i, run in enumerate(runs):
            first = run.pilot_partials()
            run.take(first)
            if progress:
                progress(first.trials)
            queue.extend((i, chunks) for chunks in run.tasks(self.chunks_per_task))
        window = max(8, TASKS_PER_THREAD * self.threads())
        futures: dict[Any, tuple[int, range]] = {}
        ready: list[dict[int, Partials]] = [{} for _ in runs]
        waiting = 0
        pending = as_completed(loop=client.loop)

        def submit() -> None:
            while queue and len(futures) + waiting < window:
                i, chunks = queue.popleft()
                if runs[i].done:
                    continue
                future = client.submit(compute_task, runs[i].job, chunks, retries=TASK_RETRIES,
                                       key=f"kposim-{tag}-{i}-{chunks.start}")
                futures[future] = (i, chunks)
                pending.add(future)

        try:
            submit()
            for future in pending:
                where = futures.pop(future, None)
                if where is None:  # cancelled: its run stopped early
                    continue
                i, chunks = where
                partials = future.result()
                future.release()
                if isinstance(partials, NonFiniteError):
                    raise partials
                run = runs[i]
                if progress:
                    progress(partials.trials)
                ready[i][chunks.start] = partials
                waiting += 1
                while run.next_chunk in ready[i] and not run.done:
                    run.take(ready[i].pop(run.next_chunk))
                    waiting -= 1
                if run.done:  # a precision target was met: drop the run's later tasks
                    waiting -= len(ready[i])
                    ready[i].clear()
                    stale = [f for f, (j, _) in futures.items() if j == i]
                    for f in stale:
                        del futures[f]
                    if stale:
                        client.cancel(stale)
                submit()
        except (NonFiniteError, KeyboardInterrupt):
            raise
        except Exception as e:
            if type(e).__module__.split(".")[0] not in ("distributed", "tornado", "asyncio"):
                raise
            raise ClusterError(f"the Dask cluster failed: {type(e).__name__}: {e}") from e
        finally:
            if futures:
                client.cancel(list(futures))


def connect(spec: str | ClusterSpec, timeout: float | None = None) -> DaskBackend:
    """A backend on the cluster ``spec`` asks for: a new local cluster of worker processes
    with one thread each, or a running scheduler.

    Parameters
    ----------
    spec : str or ClusterSpec
        ``"local"`` (one worker process per core), ``"local:N"`` (N processes) or a scheduler
        address such as ``"tcp://host:8786"`` (see :meth:`ClusterSpec.parse`).
    timeout : float or None, default None
        Seconds to wait for the scheduler and its first worker; None reads
        ``KPOSIM_DASK_TIMEOUT``, else :data:`CONNECT_TIMEOUT` (10 s).

    Returns
    -------
    DaskBackend
        Pass it as ``backend=`` to :func:`simulator.simulate` (or the analyses); close it, or
        use it as a context manager, to shut down a local cluster it started.

    Raises
    ------
    ClusterError
        If Dask is missing, the scheduler cannot be reached in ``timeout`` seconds, it has no
        workers, or its workers run other versions of kposim, numpy or numba (their results
        would differ).
    """
    spec = ClusterSpec.parse(spec) if isinstance(spec, str) else spec
    if timeout is None:
        timeout = float(os.environ.get("KPOSIM_DASK_TIMEOUT", CONNECT_TIMEOUT))
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ClusterError(f"--dask needs Dask, which is not installed: {INSTALL_HINT}") from None

    if spec.workers is not None:
        import dask

        # Set before each worker process starts (numba reads NUMBA_NUM_THREADS on import);
        # Dask sets these in this process too while the cluster lives, so they are restored.
        saved = {k: os.environ.get(k) for k in WORKER_ENV}
        environ = {**dask.config.get("distributed.nanny.pre-spawn-environ", {}), **WORKER_ENV}
        # Dask's default MALLOC_TRIM_THRESHOLD_ also freezes glibc's mmap threshold, so every
        # large scratch array of a chunk is fresh memory, page-faulted in again: measured 30-60%
        # slower chunks. kposim's memory is flat anyway; keep glibc's adaptive default.
        environ.pop("MALLOC_TRIM_THRESHOLD_", None)
        # dashboard ":0": the scheduler's HTTP server always starts; on any free port it never
        # warns that 8787 is taken.
        with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
            cluster = LocalCluster(n_workers=spec.workers, threads_per_worker=1,
                                   processes=True, dashboard_address=":0",
                                   silence_logs=logging.ERROR)
        try:
            return DaskBackend(Client(cluster, set_as_default=False), cluster, saved_env=saved)
        except BaseException:
            cluster.close()
            _restore(saved)
            raise
    try:
        client = Client(spec.address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as e:
        raise ClusterError(f"cannot reach the Dask scheduler at {spec.address} within "
                           f"{timeout:g} s ({e}); check the address and that the scheduler is "
                           "running") from None
    try:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except (OSError, TimeoutError) as e:
            raise ClusterError(f"the Dask scheduler at {spec.address} has no workers "
                               f"({e}); start some with: dask worker {spec.address} "
                               "--nthreads 1") from None
        _check_versions(client)
    except BaseException:
        client.close()
        raise
    return DaskBackend(client)


def _check_versions(client: Any) -> None:
    """Refuse workers whose kposim, numpy or numba differ from this process's."""
    here = worker_versions()
    try:
        theirs = client.run(worker_versions)
    except Exception as e:  # noqa: BLE001 - whatever the workers raise, the cure is the same
        raise ClusterError(f"the Dask workers cannot run kposim ({type(e).__name__}: {e}); "
                           "install the same kposim on every worker") from None
    for worker, versions in theirs.items():
        if versions != here:
            diff = ", ".join(f"{k} {versions.get(k)} there, {v} here"
                             for k, v in here.items() if versions.get(k) != v)
            raise ClusterError(f"Dask worker {worker} runs other versions ({diff}); results "
                               "would not be bit-identical: install the same versions")


def _restore(saved: dict[str, str | None]) -> None:
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
