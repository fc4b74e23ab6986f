"""What running on a Dask LocalCluster costs against the local engine, same machine, same run.

Both stream their statistics (a cluster run that keeps every trial ships them back, which is
not what a cluster is for). The cluster has one single-threaded worker process per core and is
started and warmed (kernels loaded on every worker) before timing; its start-up is reported
apart. Run: ``pytest benchmarks/test_cluster_overhead.py --benchmark-only`` (add
``KPOSIM_BENCH_LARGE=1`` for 100M trials).
"""
from __future__ import annotations

import os
import time

import pytest

pytest.importorskip("distributed", reason="Dask is not installed: pip install 'kposim[dask]'")

from simulator import simulate  # noqa: E402
from simulator.engine.cluster import connect  # noqa: E402

SIZES = [10_000_000]
if os.environ.get("KPOSIM_BENCH_LARGE"):
    SIZES.append(100_000_000)
WORKERS = os.cpu_count() or 1
BEST: dict[tuple[str, int], float] = {}  #: (implementation, trials) -> best seconds


class _Summary:
    """Prints the overhead table at the end of the session (a plugin registered below)."""

    startup = 0.0

    def pytest_terminal_summary(self, terminalreporter) -> None:
        tr = terminalreporter
        if not BEST:
            return
        tr.section(f"kposim on a Dask LocalCluster ({WORKERS} workers x 1 thread) vs the local "
                   f"engine ({WORKERS} threads), streaming, best round")
        tr.write_line(f"cluster start-up: {self.startup:.1f} s (not in the timings below)")
        for n in sorted({t for _, t in BEST}):
            local, dask = BEST.get(("local", n)), BEST.get(("dask", n))
            if local and dask:
                tr.write_line(f"{n:>12,} trials: local {n / local / 1e6:6.2f}M/s "
                              f"({local:.2f} s), dask {n / dask / 1e6:6.2f}M/s ({dask:.2f} s), "
                              f"overhead {dask / local - 1:+.0%}")


@pytest.fixture(scope="module")
def cluster(reference, request):
    summary = _Summary()
    request.config.pluginmanager.register(summary, "kposim-cluster-overhead")
    started = time.perf_counter()
    backend = connect(f"local:{WORKERS}")
    summary.startup = time.perf_counter() - started
    simulate(reference, trials=2_000_000, seed=1, store_trials=False, backend=backend)  # warm
    yield backend
    backend.close()


def _measure(benchmark, name: str, trials: int, fn) -> None:
    benchmark.group = f"cluster overhead, {trials:,} trials"
    rounds = 3 if trials <= 10_000_000 else 1
    benchmark.pedantic(fn, rounds=rounds, iterations=1, warmup_rounds=0)
    best = benchmark.stats.stats.min
    BEST[(name, trials)] = best
    benchmark.extra_info.update(trials=trials, trials_per_s=trials / best)


@pytest.mark.parametrize("trials", SIZES)
def test_local_engine(benchmark, reference, cluster, trials):
    _measure(benchmark, "local", trials,
             lambda: simulate(reference, trials=trials, seed=1, threads=WORKERS,
                              store_trials=False))


@pytest.mark.parametrize("trials", SIZES)
def test_dask_cluster(benchmark, reference, cluster, trials):
    _measure(benchmark, "dask", trials,
             lambda: simulate(reference, trials=trials, seed=1, store_trials=False,
                              backend=cluster))
