"""Sensitivity analysis against closed forms and scipy."""
import numpy as np
import pytest
from scipy import stats

from simulator import scenario_from_dict
from simulator.analysis.sensitivity import (
    contribution_to_variance,
    drivers,
    rank_correlations,
    tail_shift,
    tornado,
)


def linear_scenario(**extra_risks):
    # One year, no ramp-up: net = 20 * onshore cost - 24 * 40,000 - transition.
    return scenario_from_dict({
        "scenario": {"name": "linear", "horizon_years": 1},
        "workforce": {"onshore_fte": 20,
                      "onshore_cost_per_fte": {"dist": "uniform", "min": 100_000, "max": 140_000},
                      "offshore_fte": 24, "offshore_cost_per_fte": 40_000},
        "costs": [{"name": "Transition", "category": "transition", "timing": "once",
                   "amount": {"dist": "uniform", "min": 0, "max": 100_000}}],
        "risks": list(extra_risks.values()),
    })


def test_rank_correlations_match_scipy_spearman():
    rng = np.random.default_rng(1)
    y = rng.normal(size=5000)
    x = np.vstack([y + rng.normal(size=5000), rng.normal(size=5000), np.exp(-y)])
    expected = [stats.spearmanr(row, y)[0] for row in x]
    np.testing.assert_allclose(rank_correlations(x, y), expected, atol=1e-12)


def test_rank_correlation_of_a_constant_row_is_zero():
    assert rank_correlations(np.ones((1, 10)), np.arange(10.0))[0] == 0.0


def test_contribution_to_variance_sums_to_one_and_keeps_signs():
    share = contribution_to_variance(np.array([0.6, -0.3, 0.1]))
    assert np.abs(share).sum() == pytest.approx(1.0)
    assert share[1] < 0 and share[0] == pytest.approx(0.36 / 0.46)


def test_tail_shift_finds_what_the_worst_trials_share():
    rng = np.random.default_rng(2)
    cause = rng.normal(size=100_000)
    noise = rng.normal(size=100_000)
    y = -3 * cause + 0.1 * rng.normal(size=100_000)
    _, shift = tail_shift(np.vstack([cause, noise]), y, 0.05)
    # E[Z | Z in its top 5%] = phi(z95) / 0.05 = 2.063 standard deviations.
    assert shift[0] == pytest.approx(stats.norm.pdf(stats.norm.ppf(0.95)) / 0.05, abs=0.05)
    assert abs(shift[1]) < 0.05


def test_tornado_swings_match_the_closed_form_on_common_random_numbers():
    result = tornado(linear_scenario(), trials=70_000, seed=3)
    rows = {r["input"]: r for r in result["rows"]}
    wage = rows["workforce.onshore_cost_per_fte"]
    assert wage["p10"] == pytest.approx(104_000) and wage["p90"] == pytest.approx(136_000)
    # Holding the wage fixed leaves the transition draws identical: the swing is exact.
    assert wage["swing"] == pytest.approx(20 * 32_000, rel=1e-9)
    transition = rows['costs["Transition"].amount']
    assert transition["swing"] == pytest.approx(80_000, rel=1e-9)


def test_tornado_rows_are_sorted_by_swing():
    swings = [r["swing"] for r in tornado(linear_scenario(), trials=20_000, seed=1)["rows"]]
    assert swings == sorted(swings, reverse=True)


def test_tornado_includes_risk_frequency_and_severity():
    risk = {"name": "Quality", "category": "quality", "frequency": {"dist": "poisson", "mean": 3},
            "severity": {"dist": "triangular", "min": 1000, "mode": 2000, "max": 9000}}
    names = {r["input"] for r in tornado(linear_scenario(q=risk), trials=20_000)["rows"]}
    assert {'risks["Quality"].frequency', 'risks["Quality"].severity'} <= names


def test_drivers_rank_the_dominant_input_first():
    result = drivers(linear_scenario(), trials=50_000, seed=4)
    rows = sorted(result["rows"], key=lambda r: -abs(r["contribution_to_variance"]))
    # Wage variance (20 * 40k)^2 / 12 dwarfs the transition's 100k^2 / 12.
    assert rows[0]["name"] == "workforce.onshore_cost_per_fte"
    assert rows[0]["rank_correlation"] > 0.9
    transition = next(r for r in result["rows"] if r["name"] == "Transition")
    assert transition["kind"] == "component" and transition["rank_correlation"] < 0


def test_sensitivity_command_writes_json_and_charts(tmp_path, data_dir):
    import json

    from click.testing import CliRunner

    from simulator.cli import main

    out = tmp_path / "r"
    res = CliRunner().invoke(main, ["sensitivity", str(data_dir / "minimal.toml"), "-n", "20000",
                                    "-o", str(out)])
    assert res.exit_code == 0, res.output
    folder = out / "minimal" / "sensitivity"
    analysis = json.loads((folder / "sensitivity.json").read_text())
    assert analysis["tornado"]["rows"] and analysis["drivers"]["rows"]
    for stem in ("tornado", "drivers", "tail_drivers"):
        assert (folder / f"{stem}.png").stat().st_size > 0
        assert (folder / f"{stem}.svg").stat().st_size > 0
    again = CliRunner().invoke(main, ["sensitivity", str(data_dir / "minimal.toml"), "-n", "20000",
                                      "-o", str(out)])
    assert again.exit_code == 2 and "--force" in again.output


def test_tornado_title_names_the_largest_swing_by_its_plain_label():
    from simulator.analysis.sensitivity import analyze
    from simulator.present.plots.sensitivity import plot_tornado

    a = analyze(linear_scenario(), trials=20_000, seed=1)
    title = plot_tornado(a).axes[0].get_title(loc="left").replace("\n", " ")
    assert title.startswith("Onshore cost per FTE, fully loaded, per year moves mean net "
                            "savings by $640K")


def test_every_sensitivity_row_carries_the_assumptions_table_label():
    from simulator.analysis.sensitivity import analyze
    from simulator.present.report.content import assumptions

    s = linear_scenario()
    a = analyze(s, trials=5_000, seed=1)
    table = {row.path: row.label for row in assumptions(s)}
    tornado = {r["input"]: r["label"] for r in a["tornado"]["rows"]}
    assert tornado and all(tornado[p] == table[p] for p in tornado)
    inputs = [r for r in a["drivers"]["rows"] if r["kind"] == "input"]
    assert all(r["label"] == table[r["name"]] for r in inputs)


def _one_risk(frequency, severity):
    """A scenario whose only uncertainty is one risk, its uncertain inputs by name, and its
    compiled model."""
    from simulator import scenario_from_dict
    from simulator.analysis.sensitivity import uncertain_inputs
    from simulator.scenario.compiled import compile_scenario

    s = scenario_from_dict({
        "scenario": {"name": "x", "horizon_years": 1, "discount_rate": 0.0},
        "workforce": {"onshore_fte": 1, "onshore_cost_per_fte": 1, "offshore_fte": 1,
                      "offshore_cost_per_fte": 1},
        "risks": [{"name": "R", "category": "other", "frequency": frequency,
                   "severity": severity}]})
    model = compile_scenario(s)
    return s, {u.name: u for u in uncertain_inputs(s, model)}, model


def test_holding_a_frequency_with_an_uncertain_rate_fixes_its_count():
    from simulator import simulate

    s, items, model = _one_risk(
        {"dist": "poisson", "mean": {"dist": "uniform", "min": 1, "max": 9}}, 1.0)
    assert set(items) == {'risks["R"].frequency.mean', 'risks["R"].frequency'}
    held = items['risks["R"].frequency'].held(model, 4.0)
    r = simulate(s, trials=1000, seed=1, model=held)
    np.testing.assert_array_equal(r.risk_losses, 4.0)
    rate_held = items['risks["R"].frequency.mean'].held(model, 2.0)
    losses = simulate(s, trials=100_000, seed=1, model=rate_held).risk_losses
    assert abs(losses.mean() - 2.0) < 4.5 * np.sqrt(2.0 / losses.size)


def test_holding_a_severity_with_an_uncertain_size_fixes_every_loss():
    from simulator import simulate

    s, items, model = _one_risk(2, {"dist": "gamma", "shape": 2,
                                    "scale": {"dist": "uniform", "min": 1, "max": 3}})
    assert set(items) == {'risks["R"].severity.scale', 'risks["R"].severity'}
    r = simulate(s, trials=1000, seed=1, model=items['risks["R"].severity'].held(model, 5.0))
    np.testing.assert_array_equal(r.risk_losses, 10.0)
