"""Engine throughput and peak memory against a plain vectorised-numpy implementation.

Trials per second come from pytest-benchmark's best round; peak memory from ``tracemalloc``
in one separate, untimed run (numpy's allocations are traced; numba's scratch is negligible).
"""
from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import pytest
from conftest import RESULTS
from numpy_baseline import simulate_light, simulate_reference, statistics

from simulator import load_scenario, simulate

SIZES = [1_000_000, 10_000_000]
if os.environ.get("KPOSIM_BENCH_LARGE"):
    SIZES.append(100_000_000)
THREADS = os.cpu_count() or 1


def _peak_mib(fn) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def _measure(benchmark, name: str, trials: int, fn) -> None:
    rounds = 5 if trials <= 10_000_000 else 1  # best of 5: the machines are shared and noisy
    benchmark.pedantic(fn, rounds=rounds, iterations=1, warmup_rounds=0)
    best = benchmark.stats.stats.min
    peak = _peak_mib(fn)
    benchmark.extra_info.update(trials=trials, trials_per_s=trials / best, peak_mib=peak)
    RESULTS[(name, trials)] = {"trials_per_s": trials / best, "peak_mib": peak}


def _engine(reference, trials: int, threads: int):
    # Exact statistics while the trials fit in memory (the default), streaming beyond.
    return lambda: simulate(reference, trials=trials, seed=1, threads=threads)


@pytest.mark.parametrize("trials", SIZES)
def test_engine_one_thread(benchmark, reference, trials):
    benchmark.group = f"{trials:,} trials"
    _measure(benchmark, "engine, 1 thread", trials, _engine(reference, trials, 1))


@pytest.mark.parametrize("trials", SIZES)
def test_engine_all_threads(benchmark, reference, trials):
    benchmark.group = f"{trials:,} trials"
    _measure(benchmark, "engine, all threads", trials, _engine(reference, trials, THREADS))


@pytest.mark.parametrize("trials", SIZES)
def test_numpy_baseline(benchmark, trials):
    benchmark.group = f"{trials:,} trials"
    _measure(benchmark, "numpy baseline", trials, lambda: simulate_reference(trials, seed=1))


@pytest.mark.parametrize("trials", SIZES[:2])
def test_engine_with_statistics(benchmark, reference, trials):
    """The run and its summary (every statistic kposim reports, each with its error), as a
    Python user gets them: ``simulate(...).summary()``."""
    benchmark.group = f"{trials:,} trials, with statistics"
    _measure(benchmark, "engine + summary", trials,
             lambda: simulate(reference, trials=trials, seed=1, threads=THREADS).summary())


@pytest.mark.parametrize("trials", SIZES[:2])
def test_numpy_baseline_with_statistics(benchmark, trials):
    """The numpy model and the headline statistics on its stored trials
    (``numpy_baseline.statistics``: mean, sd, P5, P50, P95, P(loss), CVaR 5%)."""
    benchmark.group = f"{trials:,} trials, with statistics"
    _measure(benchmark, "numpy + statistics", trials,
             lambda: statistics(simulate_reference(trials, seed=1)))


def test_light_model_engine(benchmark, light):
    """The light model's 1M trials: mostly what a run costs beyond the arithmetic."""
    benchmark.group = "light model, 1,000,000 trials"
    _measure(benchmark, "light, all threads", 1_000_000,
             lambda: simulate(light, trials=1_000_000, seed=1, threads=THREADS))


def test_light_model_numpy(benchmark):
    benchmark.group = "light model, 1,000,000 trials"
    _measure(benchmark, "light numpy", 1_000_000, lambda: simulate_light(1_000_000, seed=1))


SCENARIOS = sorted((Path(__file__).parent.parent / "scenarios").glob("*.toml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_shipped_scenario(benchmark, path):
    """Every shipped scenario, 1M trials on all threads (no numpy twin: the reference and
    light models are the side-by-side comparisons)."""
    s = load_scenario(path)
    simulate(s, trials=70_000, seed=1)
    benchmark.group = "shipped scenarios, 1,000,000 trials"
    _measure(benchmark, f"scenario {path.stem}", 1_000_000,
             lambda: simulate(s, trials=1_000_000, seed=1, threads=THREADS))
