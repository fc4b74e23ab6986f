"""Shared fixtures and the summary table of the engine benchmarks.

Run: ``pytest benchmarks/ --benchmark-only`` (add ``KPOSIM_BENCH_LARGE=1`` for 100M trials).
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

#: (implementation, trials) -> {"trials_per_s": ..., "peak_mib": ...}, filled by the tests.
RESULTS: dict[tuple[str, int], dict[str, float]] = {}


@pytest.fixture(scope="session")
def reference():
    from simulator import load_scenario, simulate

    s = load_scenario(HERE / "reference.toml")
    simulate(s, trials=70_000, seed=1)  # compile or load the kernels before timing
    simulate(s, trials=70_000, seed=1, store_trials=False)
    return s


@pytest.fixture(scope="session")
def light():
    from simulator import load_scenario, simulate

    s = load_scenario(HERE / "light.toml")
    simulate(s, trials=70_000, seed=1)
    return s


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001
    if not RESULTS:
        return
    tr = terminalreporter
    tr.section("kposim throughput (reference scenario, then the light model)")
    sizes = sorted({t for _, t in RESULTS})
    impls = ["engine, 1 thread", "engine, all threads", "numpy baseline"]
    pairs = [("light model", "light, all threads", "light numpy"),
             ("with statistics", "engine + summary", "numpy + statistics")]
    for label, engine, numpy in pairs:
        for n in sizes:
            a, b = RESULTS.get((engine, n)), RESULTS.get((numpy, n))
            if a and b:
                tr.write_line(f"{label} {n:,}: {engine} {a['trials_per_s'] / 1e6:.2f}M/s, "
                              f"{numpy} {b['trials_per_s'] / 1e6:.2f}M/s, "
                              f"{a['trials_per_s'] / b['trials_per_s']:.2f}x")
    for (impl, n), r in sorted(RESULTS.items()):
        if impl.startswith("scenario "):
            tr.write_line(f"{impl[9:]} {n:,}: {r['trials_per_s'] / 1e6:.2f}M/s, "
                          f"{r['peak_mib']:.0f} MiB peak")
    tr.write_line(f"{'trials':>12} | " + " | ".join(f"{i:>26}" for i in impls)
                  + " | all threads / numpy")
    for n in sizes:
        cells = []
        for impl in impls:
            r = RESULTS.get((impl, n))
            cells.append(f"{r['trials_per_s'] / 1e6:8.2f}M/s {r['peak_mib']:8.0f} MiB peak"
                         if r else f"{'-':>26}")
        a, b = RESULTS.get(("engine, all threads", n)), RESULTS.get(("numpy baseline", n))
        ratio = f"{a['trials_per_s'] / b['trials_per_s']:.2f}x" if a and b else "-"
        tr.write_line(f"{n:>12,} | " + " | ".join(cells) + f" | {ratio}")
