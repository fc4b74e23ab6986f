"""Every shipped scenario validates, runs, and gives figures in a plausible band."""
from pathlib import Path

import numpy as np
import pytest

from simulator import load_scenario, simulate

SCENARIOS = sorted((Path(__file__).parent.parent / "scenarios").glob("*.toml"))


def test_scenarios_are_shipped():
    names = {p.stem for p in SCENARIOS}
    assert "manila_financial_research" in names and "template" in names


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_shipped_scenario_runs_with_plausible_figures(path):
    s = load_scenario(path)
    r = simulate(s, trials=20_000, seed=1)
    summary = r.summary()
    # In-house cost over the horizon at the mean onshore bill and growth, discounted.
    wf = s.workforce
    on = wf.onshore_fte.mean() * wf.onshore_cost_per_fte.mean()
    g = wf.onshore_cost_growth.mean()
    disc = r.model.discount
    in_house = sum(on * (1 + g) ** t * disc[t] for t in range(len(disc)))
    mean = summary["net_savings"]["mean"]
    assert -1.0 * in_house < mean < 0.8 * in_house
    assert np.isfinite(r.net_savings).all()


def test_example_uses_breach_quality_and_communication():
    s = load_scenario(Path(__file__).parent.parent / "scenarios" / "manila_financial_research.toml")
    cats = {c.category.value for c in s.costs} | {r.category.value for r in s.risks}
    assert {"breach", "quality", "communication"} <= cats
