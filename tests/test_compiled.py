"""The compiled form of a scenario: what checking it without its arrays reports
(:func:`~simulator.scenario.compiled.check_scenario`, behind ``kposim validate``).
"""
from pathlib import Path

import pytest

from simulator import load_scenario, scenario_from_dict
from simulator.distributions import base
from simulator.distributions.base import FieldError
from simulator.scenario.compiled import check_scenario, compile_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted([*(ROOT / "scenarios").glob("*.toml"),
                    *(ROOT / "tests" / "data").glob("*.toml")])

QF = 'risks["Quality failure"].frequency.mean'
BR = 'risks["Data breach"].frequency.mean'
GROWTH = "workforce.offshore_cost_growth"
IMPOSSIBLE = [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]  # needs repair


def needing_repair():
    """Three correlated inputs whose declared rank matrix is not a correlation matrix."""
    return scenario_from_dict({
        "scenario": {"name": "repair", "horizon_years": 2},
        "workforce": {"onshore_fte": 20, "onshore_cost_per_fte": 100_000, "offshore_fte": 24,
                      "offshore_cost_per_fte": {"dist": "pert", "min": 30_000, "mode": 36_000,
                                                "max": 50_000},
                      "offshore_cost_growth": {"dist": "uniform", "min": 0.02, "max": 0.10}},
        "risks": [
            {"name": "Quality failure", "category": "quality",
             "frequency": {"dist": "poisson", "mean": {"dist": "uniform", "min": 1, "max": 2}},
             "severity": {"dist": "lognormal", "low": 5_000, "high": 200_000}},
            {"name": "Data breach", "category": "breach",
             "frequency": {"dist": "poisson", "mean": {"dist": "uniform", "min": 0.01,
                                                       "max": 0.05}},
             "severity": {"dist": "lognormal", "mu": 12.2, "sigma": 2.5},
             "cap_per_event": 10_000_000}],
        "correlations": [{"inputs": [QF, BR, GROWTH], "rank": IMPOSSIBLE}]})


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_check_reports_the_warnings_and_correlations_of_compiling(path):
    s = load_scenario(path)
    model, check = compile_scenario(s), check_scenario(s)
    assert check.warnings == model.warnings
    assert check.correlated == len(model.copula_inputs)


def test_check_reports_a_repaired_correlation_matrix_as_compiling_does():
    s = needing_repair()
    check = check_scenario(s)
    assert check.warnings == compile_scenario(s).warnings and check.correlated == 3
    assert any(w.startswith("correlations") for w in check.warnings)


def test_check_refuses_what_strict_compiling_refuses():
    with pytest.raises(FieldError, match="not a valid correlation matrix"):
        check_scenario(needing_repair(), strict=True)


def test_check_builds_no_quantile_table(monkeypatch):
    def refuse(frozen):
        raise AssertionError("check_scenario built a quantile table")

    monkeypatch.setattr(base, "_TABLES", {})  # nothing cached: a table would be built
    monkeypatch.setattr(base, "_table", refuse)
    s = load_scenario(ROOT / "scenarios" / "manila_financial_research.toml")
    check_scenario(s)
    with pytest.raises(AssertionError, match="built a quantile table"):
        compile_scenario(s)  # the same scenario does need tables


@pytest.mark.parametrize("sigma", [0.3, 1.0, 2.574, 6.0])
def test_cap_warning_share_is_the_exact_share_as_printed(sigma):
    # Caps around the mean loss, including where the share is near a half or a rounding
    # edge of the printed percentage (there the exact share decides).
    from simulator.scenario.compiled import cap_removed_share, cap_warning_share
    from simulator.scenario.model import parse_distribution

    severity = parse_distribution({"dist": "lognormal", "mu": 12.2061, "sigma": sigma})
    for cap in severity.quantile([0.01, 0.3, 0.5, 0.7, 0.9, 0.99]):
        exact = cap_removed_share(severity, float(cap))
        expected = f"{exact:.0%}" if exact > 0.5 else None
        assert cap_warning_share(severity, float(cap)) == expected


def test_cap_warning_share_at_a_half_is_the_exact_one():
    # A cap that removes a half to within 1e-13: the scipy-free share cannot settle which side
    # of a half it lies, so the exact one decides, as before.
    from simulator.scenario.compiled import cap_removed_share, cap_warning_share
    from simulator.scenario.model import parse_distribution

    severity = parse_distribution({"dist": "lognormal", "mu": 12.2061, "sigma": 2.574})
    lo, hi = 1e3, 1e8  # removes more than a half at lo, less at hi
    for _ in range(80):
        mid = (lo * hi) ** 0.5
        lo, hi = (mid, hi) if cap_removed_share(severity, mid) > 0.5 else (lo, mid)
    for cap in (lo, hi):
        exact = cap_removed_share(severity, cap)
        assert abs(exact - 0.5) < 1e-12
        assert cap_warning_share(severity, cap) == (f"{exact:.0%}" if exact > 0.5 else None)
