"""What ``kposim run`` does after ``simulate()`` returns, step by step, at 1M trials of the
Manila scenario: the summary's statistics, the chart data, drawing the five standard PNG
charts (in this process, one after another: the CPU time the drawing processes share), and
the whole results folder as ``kposim run`` writes it (charts in worker processes forked
here, the report, the summary files).

Each step starts from a result whose statistics have not been read yet (a new statistics
reader per round), so a round pays for its sorts as a run does. Reported, never asserted on.

Run: ``pytest benchmarks/test_after_simulation.py --benchmark-only``.
"""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
MANILA = ROOT / "scenarios" / "manila_financial_research.toml"


@pytest.fixture(scope="module")
def result():
    from simulator import load_scenario, simulate

    return simulate(load_scenario(MANILA), trials=1_000_000, seed=1)


def _fresh(result):  # noqa: ANN001, ANN202 - pytest-benchmark's setup: (args, kwargs)
    result.cache.pop("statistics", None)
    return (result,), {}


def test_summary(benchmark, result):
    benchmark.pedantic(lambda r: r.summary(), setup=lambda: _fresh(result), rounds=7)


def test_chart_data(benchmark, result):
    benchmark.pedantic(lambda r: r.chart_data(), setup=lambda: _fresh(result), rounds=7)


def test_draw_the_standard_charts_here(benchmark, result, tmp_path):
    from simulator.output.charts import _draw
    from simulator.present.plots import CHART_FUNCTIONS

    data = result.chart_data()

    def draw_all() -> None:
        for stem in CHART_FUNCTIONS:
            _draw(stem, data, tmp_path, ("png",), 150)

    draw_all()  # load matplotlib and the fonts first
    benchmark.pedantic(draw_all, rounds=5)


def test_write_results(benchmark, result, tmp_path):
    from simulator.output.write import write_results

    def write(r) -> None:  # noqa: ANN001
        write_results(r, tmp_path / "out", force=True)

    write(_fresh(result)[0][0])  # load matplotlib in this process's forks' parent first
    benchmark.pedantic(write, setup=lambda: _fresh(result), rounds=5)
    assert (tmp_path / "out" / "report.html").is_file()
