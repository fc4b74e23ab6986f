"""End-to-end start-up of the command line: a new process, 1M trials, summary and charts."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent


def _run(out: Path, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "simulator.cli", "run", str(HERE / "reference.toml"),
                    "--trials", "1000000", "--out", str(out), "--force", "--quiet"],
                   check=True, env=env)


def test_second_process_run_of_one_million_trials(benchmark, tmp_path):
    env = dict(os.environ)
    _run(tmp_path, env)  # make sure the numba cache is warm
    benchmark.pedantic(_run, args=(tmp_path, env), rounds=3, iterations=1)


def test_first_ever_run_with_a_cold_numba_cache(benchmark, tmp_path):
    def cold() -> None:
        with tempfile.TemporaryDirectory() as cache:
            _run(tmp_path, {**os.environ, "NUMBA_CACHE_DIR": cache})

    benchmark.pedantic(cold, rounds=1, iterations=1)
