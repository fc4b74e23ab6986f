"""The benchmarks' plain-numpy baseline implements the same model as the engine."""
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from simulator import load_scenario, simulate

BENCH = Path(__file__).parent.parent / "benchmarks"


@pytest.fixture(scope="module")
def baseline():
    sys.path.insert(0, str(BENCH))
    try:
        import numpy_baseline
    finally:
        sys.path.remove(str(BENCH))
    return numpy_baseline


def test_baseline_agrees_with_the_engine_within_monte_carlo_error(baseline):
    n = 1_000_000
    base = baseline.simulate_reference(n, seed=3)
    engine = simulate(load_scenario(BENCH / "reference.toml"), trials=n, seed=4).net_savings
    se = math.sqrt(base.var() / n + engine.var() / n)
    assert abs(base.mean() - engine.mean()) <= 4.5 * se
    # Quantiles: two independent samples, order-statistic error of each about
    # sqrt(q(1-q)/n) / density; compare the CDFs at the engine's quartiles instead.
    for q in (0.05, 0.25, 0.5, 0.75, 0.95):
        x = np.quantile(engine, q)
        p = np.mean(base <= x)
        assert abs(p - q) <= 4.5 * math.sqrt(2 * q * (1 - q) / n)


def test_baseline_statistics_match_the_engine_definitions(baseline):
    net = baseline.simulate_reference(200_000, seed=1)
    s = baseline.statistics(net)
    assert s["p50"] == pytest.approx(np.percentile(net, 50))
    assert s["prob_loss"] == pytest.approx(np.mean(net < 0))
