"""Controls (mitigations), their return on common random numbers, and risk tolerance."""
import math

import numpy as np
import pytest

from simulator import ScenarioError, scenario_from_dict, simulate
from simulator.engine.controls import without
from simulator.engine.run import control_returns


def doc(controls=(), tolerance=None, severity=100_000.0):
    d = {
        "scenario": {"name": "controls", "horizon_years": 2},
        "workforce": {"onshore_fte": 10, "onshore_cost_per_fte": 100_000, "offshore_fte": 10,
                      "offshore_cost_per_fte": 40_000},
        "risks": [{"name": "Breach", "category": "breach",
                   "frequency": {"dist": "poisson", "mean": 0.4}, "severity": severity}],
        "controls": list(controls),
    }
    if tolerance is not None:
        d["tolerance"] = tolerance
    return d


DLP = {"name": "Data loss prevention", "cost": 10_000.0, "timing": "yearly",
       "effects": [{"risk": "Breach", "frequency_factor": 0.5}]}


def test_control_halving_the_rate_halves_expected_losses():
    s = scenario_from_dict(doc([DLP]))
    r = simulate(s, trials=200_000, seed=1)
    loss = r.components["Breach"]
    exact = 0.2 * 100_000 * 2
    assert abs(loss.mean() - exact) <= 4.5 * loss.std() / math.sqrt(r.trials)
    assert r.components["Data loss prevention"][0] == pytest.approx(20_000)


def test_return_on_control_matches_its_closed_form():
    s = scenario_from_dict(doc([DLP]))
    r = simulate(s, trials=200_000, seed=2)
    ctl = control_returns(r)["Data loss prevention"]
    # Avoids 0.2 events a year x 100,000 x 2 years = 40,000 for 20,000: return 100%.
    assert abs(ctl["loss_avoided"] - 40_000) <= 4.5 * ctl["loss_avoided_stderr"]
    assert ctl["cost"] == pytest.approx(20_000)
    assert ctl["net_gain"] == pytest.approx(ctl["loss_avoided"] - ctl["cost"])
    assert ctl["return_on_control"] == pytest.approx(ctl["net_gain"] / 20_000)
    assert ctl["net_savings_with"] - ctl["net_savings_without"] == pytest.approx(ctl["net_gain"])


def test_common_random_numbers_make_a_control_never_add_events():
    s = scenario_from_dict(doc([DLP]))
    with_it = simulate(s, trials=50_000, seed=3)
    without_it = simulate(without(s, "Data loss prevention"), trials=50_000, seed=3)
    # Inversion on the same uniforms: a lower rate can only remove events, trial by trial.
    assert np.all(with_it.components["Breach"] <= without_it.components["Breach"])


def test_severity_factor_and_cap_act_on_every_event():
    ctl = {"name": "Insurance", "cost": 0.0, "effects": [
        {"risk": "Breach", "severity_factor": 0.5, "cap_per_event": 30_000}]}
    r = simulate(scenario_from_dict(doc([ctl])), trials=20_000, seed=4)
    values = np.unique(r.components["Breach"])
    assert set(np.round(values % 30_000, 6)) == {0.0}


@pytest.mark.parametrize("effect, message", [
    ({"risk": "Nope"}, "controls[0].effects[0].risk: no risk named 'Nope'"),
    ({"risk": "Breach", "frequency_factor": -1}, "frequency_factor: input should be greater"),
])
def test_bad_controls_are_refused(effect, message):
    bad = {"name": "X", "cost": 1.0, "effects": [effect]}
    with pytest.raises(ScenarioError, match=message.replace("[", r"\[").replace("]", r"\]")):
        scenario_from_dict(doc([bad]))


def test_frequency_factor_needs_a_scalable_frequency():
    d = doc([DLP])
    d["risks"][0]["frequency"] = {"dist": "discrete", "values": [0, 1], "weights": [3, 1]}
    with pytest.raises(ScenarioError, match="needs a poisson, bernoulli or negative_binomial"):
        scenario_from_dict(d)


def test_tolerance_passes_and_fails_with_margins():
    tol = {"max_prob_loss": 0.5, "loss_exceedance": [
        {"loss": 50_000, "max_probability": 0.9}, {"loss": 150_000, "max_probability": 0.01}]}
    r = simulate(scenario_from_dict(doc(tolerance=tol)), trials=100_000, seed=5)
    t = r.summary()["tolerance"]
    # P(at least one event in 2 years) = 1 - exp(-0.8); P(two or more) fails the 1% point.
    p_any = 1 - math.exp(-0.8)
    first, second = t["loss_exceedance"]
    assert abs(first["probability"] - p_any) < 4.5 * math.sqrt(p_any * (1 - p_any) / 1e5)
    assert first["pass"] and not second["pass"] and second["margin"] < 0
    assert t["prob_loss"]["pass"] and not t["pass"]


def test_tolerance_points_must_increase():
    tol = {"loss_exceedance": [{"loss": 5, "max_probability": 0.1},
                               {"loss": 1, "max_probability": 0.2}]}
    with pytest.raises(ScenarioError, match="increasing"):
        scenario_from_dict(doc(tolerance=tol))


def test_streamed_tolerance_agrees_with_exact():
    tol = {"loss_exceedance": [{"loss": 150_000, "max_probability": 0.5}]}
    s = scenario_from_dict(doc(tolerance=tol, severity={"dist": "lognormal", "low": 1e4,
                                                        "high": 1e6}))
    exact = simulate(s, trials=200_000, seed=6, store_trials=True).summary()["tolerance"]
    streamed = simulate(s, trials=200_000, seed=6, store_trials=False).summary()["tolerance"]
    a, b = exact["loss_exceedance"][0]["probability"], streamed["loss_exceedance"][0]["probability"]
    assert abs(a - b) < 0.01


def test_loss_exceedance_chart_marks_a_tolerance_breach():
    from simulator.present.plots.exceedance import plot_loss_exceedance

    tol = {"loss_exceedance": [{"loss": 150_000, "max_probability": 0.01}]}
    r = simulate(scenario_from_dict(doc(tolerance=tol)), trials=20_000, seed=7)
    ax = plot_loss_exceedance(r.chart_data()).axes[0]
    assert ax.get_title(loc="left").endswith("above the risk tolerance")
    assert "Tolerance exceeded" in [line.get_label() for line in ax.get_lines()]
