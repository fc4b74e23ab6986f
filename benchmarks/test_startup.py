"""End-to-end start-up of the command line: a new process, 1M trials, summary and charts.

What a finance user waits for at the prompt: ``kposim run SCENARIO -n 1000000`` in a new
process (imports, loading the cached kernels, simulation, statistics, the PNG charts,
``report.html``, the summary files), with the numba cache warm, and once with it cold (the
first run after installing; it must say it is compiling). Targets (issue 3): under 3 s warm,
under 30 s cold, on 2 cores.

Run: ``pytest benchmarks/test_startup.py --benchmark-only`` (pytest-benchmark's table gives
each test's min, median and mean seconds).
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).parent
ROOT = HERE.parent
SCENARIOS = {"manila": ROOT / "scenarios" / "manila_financial_research.toml",
             "reference": HERE / "reference.toml"}
COMPILING = "compiling kernels (first run only)"


def _run(scenario: Path, out: Path, env: dict[str, str], *extra: str) -> str:
    """One ``kposim run`` of 1M trials in a new process; returns its standard error."""
    done = subprocess.run([sys.executable, "-m", "simulator.cli", "run", str(scenario),
                           "--trials", "1000000", "--out", str(out), "--force", *extra],
                          check=True, env=env, capture_output=True, text=True)
    return done.stderr


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_second_process_run_of_one_million_trials(benchmark, tmp_path, name):
    env = dict(os.environ)
    _run(SCENARIOS[name], tmp_path, env)  # make sure the numba cache is warm
    stderr = benchmark.pedantic(_run, args=(SCENARIOS[name], tmp_path, env), rounds=5,
                                iterations=1)
    assert COMPILING not in stderr
    folder = tmp_path / SCENARIOS[name].stem
    assert (folder / "report.html").is_file() and (folder / "s_curve.png").is_file()


def test_second_process_run_with_every_format(benchmark, tmp_path):
    """The same with SVG charts and the PDF report too (``--formats png,svg,pdf``)."""
    env = dict(os.environ)
    args = (SCENARIOS["manila"], tmp_path, env, "--formats", "png,svg,pdf")
    _run(*args)
    benchmark.pedantic(_run, args=args, rounds=3, iterations=1)
    assert (tmp_path / SCENARIOS["manila"].stem / "report.pdf").is_file()


def test_first_ever_run_with_a_cold_numba_cache(benchmark, tmp_path):
    """A cache of its own (NUMBA_CACHE_DIR), so the shared one is left alone."""
    def cold() -> str:
        with tempfile.TemporaryDirectory() as cache:
            return _run(SCENARIOS["manila"], tmp_path, {**os.environ, "NUMBA_CACHE_DIR": cache})

    stderr = benchmark.pedantic(cold, rounds=1, iterations=1)
    assert COMPILING in stderr
