"""Model 0.2 (docs/model.md, "The deal as it unfolds"): exit as a state, re-entry, in-house
risks, recoveries, secondary losses, raises and the provider currency, each against a closed
form; deterministic cases exactly, random ones within 5 Monte Carlo standard errors with
fixed seeds; and the reproducibility contract for scenarios that use them.
"""
import hashlib
import math

import numpy as np
import pytest

from simulator import load_scenario, scenario_from_dict, simulate
from simulator.scenario.compiled import LOST_TO_EXIT, compile_scenario
from simulator.scenario.model import ScenarioError

Z = 5.0


def make(risks=(), costs=(), workforce=None, fx=None, **info):
    """One onshore FTE at 1,000,000 a year, provider cost 0, three years, no discounting:
    every year saves exactly 1,000,000 while the engagement runs."""
    doc = {
        "scenario": {"name": "engagement test", "horizon_years": 3, **info},
        "workforce": {"onshore_fte": 1, "onshore_cost_per_fte": 1_000_000, "offshore_fte": 1,
                      "offshore_cost_per_fte": 0, **(workforce or {})},
        "costs": list(costs),
        "risks": list(risks),
    }
    if fx is not None:
        doc["fx"] = fx
    return scenario_from_dict(doc)


def exit_risk(p=1.0, **extra):
    return {"name": "Exit", "category": "exit", "frequency": {"dist": "bernoulli", "p": p},
            "severity": 100_000, "ends_engagement": True, **extra}


def within(x: np.ndarray, exact: float) -> bool:
    return abs(x.mean() - exact) <= Z * x.std(ddof=1) / math.sqrt(x.size) + 1e-9 * abs(exact)


def test_a_certain_exit_in_year_one_nets_exactly_one_year_of_savings_less_its_cost():
    r = simulate(make([exit_risk(1.0)]), trials=50_000, seed=1)
    assert np.all(r.net_savings == 900_000.0)
    assert np.all(r.gross_wage_savings == 3_000_000.0)  # the whole engagement's savings
    assert np.all(r.components[LOST_TO_EXIT] == 2_000_000.0)
    assert r.summary()["categories"]["savings_lost_to_early_exit"] == 2_000_000.0


def test_a_yearly_half_chance_of_exit_gives_the_closed_form_mean():
    # t_x = 1, 2, 3 or never with probabilities 1/2, 1/4, 1/8, 1/8.
    r = simulate(make([exit_risk(0.5)]), trials=400_000, seed=2)
    assert within(r.net_savings, 0.5 * 0.9e6 + 0.25 * 1.9e6 + 0.125 * 2.9e6 + 0.125 * 3e6)
    assert set(np.unique(r.net_savings)) == {900_000.0, 1_900_000.0, 2_900_000.0, 3_000_000.0}


def test_engagement_summary_reports_exit_share_years_run_and_share_still_running():
    n = 400_000
    g = simulate(make([exit_risk(0.5)]), trials=n, seed=3).summary()["engagement"]
    se = math.sqrt(0.875 * 0.125 / n)
    assert abs(g["exit_share"] - 0.875) <= Z * se
    assert g["exit_share_stderr"] == pytest.approx(se, rel=0.01)
    # T_end = 1, 2, 3 with probabilities 1/2, 1/4, 1/4: mean 1.75, sd sqrt(0.6875)
    assert abs(g["mean_years_run"] - 1.75) <= Z * math.sqrt(0.6875 / n)
    assert g["running_share"][0] == 1.0
    for got, exact in zip(g["running_share"][1:], (0.5, 0.25), strict=False):
        assert abs(got - exact) <= Z * math.sqrt(exact * (1 - exact) / n)
    assert g["year_share"] == g["running_share"]  # "end" timing: whole years only


def test_a_scenario_without_an_ending_risk_has_no_engagement_section():
    s = make([{"name": "Own attrition", "category": "attrition", "side": "in_house",
               "frequency": 1, "severity": 10_000}])
    assert "engagement" not in simulate(s, trials=1_000, seed=1).summary()


def test_exit_at_the_start_of_the_year_saves_nothing():
    r = simulate(make([exit_risk(1.0, exit_timing="start")]), trials=10_000, seed=1)
    assert np.all(r.net_savings == -100_000.0)


def test_exit_at_a_uniform_point_saves_that_share_of_the_year():
    r = simulate(make([exit_risk(1.0, exit_timing="uniform")]), trials=200_000, seed=4)
    v = (r.net_savings + 100_000.0) / 1_000_000.0  # the share of year 1 the engagement ran
    assert v.min() >= 0.0 and v.max() < 1.0
    assert within(v, 0.5)
    assert abs(np.mean(v < 0.25) - 0.25) <= Z * math.sqrt(0.25 * 0.75 / v.size)
    g = simulate(make([exit_risk(1.0, exit_timing="uniform")]), trials=200_000,
                 seed=4).summary()["engagement"]
    assert g["mean_years_run"] == pytest.approx(v.mean(), rel=1e-9)


def test_reentry_cost_and_overrun_months_are_charged_after_the_exit():
    # Exit at the end of year 1; then 50,000 once and 6 months at 50% more than the onshore
    # bill: 0.5 * 1,000,000 * 0.5 = 250,000.
    s = make([exit_risk(1.0, reentry_cost=50_000, reentry_ramp_months=6,
                        reentry_overrun=0.5)])
    r = simulate(s, trials=1_000, seed=1)
    assert np.all(r.components["Re-entry: Exit"] == 300_000.0)
    assert np.all(r.net_savings == 600_000.0)


def test_reentry_months_past_the_horizon_are_not_charged():
    s = make([exit_risk(1.0, reentry_ramp_months=30, reentry_overrun=1.0)],
             horizon_years=2)
    r = simulate(s, trials=100, seed=1)
    assert np.all(r.components["Re-entry: Exit"] == 1_000_000.0)  # year 2 only


def test_provider_fees_stop_at_an_exit_and_other_lines_do_not_by_default():
    costs = [{"name": "Governance", "category": "governance", "timing": "yearly",
              "share_of": "offshore_cost", "share": 0.1},
             {"name": "Retained team", "category": "governance", "timing": "yearly",
              "amount": 10_000}]
    s = make([exit_risk(1.0)], costs, {"offshore_cost_per_fte": 400_000})
    r = simulate(s, trials=100, seed=1)
    assert np.all(r.components["Governance"] == 40_000.0)  # year 1 only
    assert np.all(r.components["Retained team"] == 30_000.0)  # every year
    assert np.all(r.net_savings == 600_000 - 40_000 - 30_000 - 100_000)


def test_stops_at_exit_overrides_the_default():
    costs = [{"name": "Governance", "category": "governance", "timing": "yearly",
              "share_of": "offshore_cost", "share": 0.1, "stops_at_exit": False}]
    s = make([exit_risk(1.0)], costs, {"offshore_cost_per_fte": 400_000})
    r = simulate(s, trials=100, seed=1)
    assert np.all(r.components["Governance"] == 120_000.0)


def test_provider_risks_stop_after_the_exit_and_in_house_risks_are_borne_again():
    risks = [exit_risk(1.0),
             {"name": "Provider errors", "category": "quality", "frequency": 1,
              "severity": 10_000},
             {"name": "Own attrition", "category": "attrition", "side": "in_house",
              "frequency": 1, "severity": 20_000}]
    r = simulate(make(risks), trials=100, seed=1)
    assert np.all(r.components["Provider errors"] == 10_000.0)  # year 1 only
    assert np.all(r.components["avoided: Own attrition"] == -20_000.0)  # avoided in year 1
    assert np.all(r.net_savings == 1_000_000 - 100_000 - 10_000 + 20_000)
    assert np.all(r.risk_losses == 110_000.0)  # in-house risks are not deal losses


def test_in_house_losses_are_avoided_every_year_the_engagement_runs():
    s = make([{"name": "Own attrition", "category": "attrition", "side": "in_house",
               "frequency": {"dist": "poisson", "mean": 2}, "severity": 10_000}])
    r = simulate(s, trials=200_000, seed=5)
    assert within(-r.components["avoided: Own attrition"], 3 * 2 * 10_000)
    assert np.all(r.net_savings == 3_000_000 - r.components["avoided: Own attrition"])


def test_provider_risk_in_the_exit_year_counts_the_share_of_the_year_run():
    risks = [exit_risk(1.0, exit_timing="uniform"),
             {"name": "Provider errors", "category": "quality", "frequency": 1,
              "severity": 10_000}]
    r = simulate(make(risks), trials=10_000, seed=6)
    v = (r.gross_wage_savings - r.components[LOST_TO_EXIT]) / 1_000_000.0
    np.testing.assert_allclose(r.components["Provider errors"], 10_000.0 * v, rtol=1e-12)
    assert np.all(r.components["Exit"] == 100_000.0)  # the exit event itself in full


def test_two_ending_risks_end_the_engagement_once():
    risks = [exit_risk(1.0), dict(exit_risk(1.0), name="Second exit")]
    r = simulate(make(risks), trials=100, seed=1)
    assert np.all(r.components["Exit"] == 100_000.0)
    assert np.all(r.components["Second exit"] == 0.0)


def breach(**extra):
    return {"name": "Breach", "category": "breach", "frequency": {"dist": "poisson", "mean": 1},
            "severity": 1_000_000, **extra}


def test_recovery_layer_closed_form_loses_700k_per_event():
    layer = {"deductible": 200_000, "share": 0.6, "limit": 300_000}
    r = simulate(make([breach(recovery=layer)]), trials=100_000, seed=7)
    loss, recovered = r.components["Breach"], r.components["recovered: Breach"]
    np.testing.assert_array_equal(recovered, -0.3 * loss)
    np.testing.assert_allclose(r.risk_losses, 0.7 * loss, rtol=1e-12)
    assert within(r.risk_losses, 3 * 700_000)


def test_recovery_layers_apply_in_order_to_what_is_left():
    layers = [{"deductible": 200_000, "share": 0.6, "limit": 300_000},
              {"limit": 100_000}]  # then the provider's liability, up to 100,000 an event
    r = simulate(make([breach(recoveries=layers)]), trials=20_000, seed=8)
    np.testing.assert_allclose(r.risk_losses, 0.6 * r.components["Breach"], rtol=1e-12)


def test_a_year_layer_applies_to_the_years_total():
    s = make([breach(recovery={"per": "year", "limit": 1_500_000})], horizon_years=1)
    r = simulate(s, trials=50_000, seed=9)
    k = r.components["Breach"] / 1_000_000.0
    np.testing.assert_allclose(-r.components["recovered: Breach"],
                               np.minimum(k, 1.5) * 1_000_000.0, rtol=1e-12)


def test_recoveries_are_income_with_the_share_of_the_exit_year():
    risks = [exit_risk(1.0, exit_timing="start"), breach(recovery={"share": 0.5})]
    r = simulate(make(risks), trials=1_000, seed=1)
    assert np.all(r.components["Breach"] == 0.0)  # no provider risk once the deal has ended
    assert np.all(r.components["recovered: Breach"] == 0.0)


def test_secondary_losses_add_their_expected_share():
    s = make([{"name": "Breach", "category": "breach", "frequency": 1, "severity": 100_000,
               "secondary": {"probability": 0.25, "severity": 400_000}}], horizon_years=1)
    r = simulate(s, trials=200_000, seed=10)
    loss = r.components["Breach"]
    assert set(np.unique(loss)) == {100_000.0, 500_000.0}
    hits = np.mean(loss == 500_000.0)
    assert abs(hits - 0.25) <= Z * math.sqrt(0.25 * 0.75 / loss.size)


def test_the_cap_per_event_applies_to_primary_and_secondary_loss_together():
    s = make([{"name": "Breach", "category": "breach", "frequency": 1, "severity": 100_000,
               "cap_per_event": 300_000,
               "secondary": {"probability": 1.0, "severity": 400_000}}], horizon_years=1)
    assert np.all(simulate(s, trials=100, seed=1).components["Breach"] == 300_000.0)


def raising(factor=4.0, years=1, target_frequency=None):
    source = {"name": "Breach", "category": "breach", "frequency": 1, "severity": 0,
              "end_year": 1, "raises": [{"risk": "Quality", "factor": factor, "years": years}]}
    target = {"name": "Quality", "category": "quality",
              "frequency": target_frequency or {"dist": "poisson", "mean": 0.5}, "severity": 1}
    return [source, target]


def test_raised_rate_closed_form_mean():
    # Quality's mean is 0.5 in years 1 and 3 and 4 x 0.5 in year 2: E[events] = 3.
    r = simulate(make(raising()), trials=200_000, seed=11)
    assert within(r.components["Quality"], 0.5 + 2.0 + 0.5)


def test_a_raised_year_never_has_fewer_events_than_without_the_raise():
    plain = raising()
    plain[0]["raises"] = []
    plain[0]["secondary"] = {"probability": 0.0, "severity": 0}  # keep the engaged path
    a = simulate(make(raising()), trials=50_000, seed=12)
    b = simulate(make(plain), trials=50_000, seed=12)
    assert np.all(a.components["Quality"] >= b.components["Quality"])
    assert a.components["Quality"].mean() > b.components["Quality"].mean()


def test_a_raised_bernoulli_probability_is_capped_at_one():
    r = simulate(make(raising(4.0, 1, {"dist": "bernoulli", "p": 0.5}), horizon_years=2),
                 trials=10_000, seed=13)
    assert np.all(r.components["Quality"] >= 1.0)  # year 2: p = min(4 x 0.5, 1)


def test_raises_of_overlapping_years_do_not_compound():
    source = {"name": "Breach", "category": "breach", "frequency": 1, "severity": 0,
              "raises": [{"risk": "Quality", "factor": 2.0, "years": 2}]}
    target = {"name": "Quality", "category": "quality",
              "frequency": {"dist": "poisson", "mean": 1.0}, "severity": 1}
    r = simulate(make([source, target]), trials=200_000, seed=14)
    assert within(r.components["Quality"], 1.0 + 2.0 + 2.0)  # not 1 + 2 + 4


FX = {"currency": "PHP", "rate": 56.0, "annual_volatility": 0.1, "drift": 0.02}


@pytest.mark.parametrize("share", [1.0, 0.5])
def test_provider_bill_in_its_own_currency_matches_the_lognormal_closed_form(share):
    # Onshore costs nothing, so gross = -provider bill = -56,000 PHP (1 / X_t repriced).
    s = make(workforce={"onshore_cost_per_fte": 0, "offshore_cost_per_fte": 56_000,
                        "offshore_currency_share": share}, fx=FX)
    r = simulate(s, trials=200_000, seed=15)
    inv = [math.exp((0.1 ** 2 - 0.02) * tau) / 56.0 for tau in (0, 1, 2)]
    exact = -sum(56_000 * (share * x + (1 - share) / 56.0) for x in inv)
    assert within(r.gross_wage_savings, exact)


def test_a_cost_in_the_provider_currency_is_converted_year_by_year():
    costs = [{"name": "Local office", "category": "other", "timing": "once", "year": 2,
              "amount": 5_600_000, "currency": "PHP"}]
    r = simulate(make(costs=costs, fx=FX), trials=200_000, seed=16)
    assert within(r.components["Local office"], 100_000 * math.exp(0.1 ** 2 - 0.02))


def test_a_risk_in_the_provider_currency_is_converted():
    risks = [{"name": "Local fine", "category": "regulatory", "frequency": 1,
              "severity": 5_600_000, "currency": "PHP"}]
    r = simulate(make(risks, fx=dict(FX, annual_volatility=0.0, drift=0.0)), trials=10,
                 seed=1)
    np.testing.assert_allclose(r.components["Local fine"], 300_000.0, rtol=1e-12)


def test_a_neutral_model_term_gives_the_plain_kernels_results_bit_for_bit():
    risks = [{"name": "Breach", "category": "breach",
              "frequency": {"dist": "poisson", "mean": 0.3},
              "severity": {"dist": "lognormal", "low": 1e5, "high": 1e7}, "cap_per_event": 5e6},
             {"name": "Quality", "category": "quality",
              "frequency": {"dist": "poisson", "mean": {"dist": "gamma", "shape": 3,
                                                        "scale": 1}},
              "severity": {"dist": "triangular", "min": 1e3, "mode": 2e4, "max": 8e4}}]
    costs = [{"name": "Governance", "category": "governance", "timing": "yearly",
              "share_of": "offshore_cost", "share": {"dist": "uniform", "min": 0.03,
                                                     "max": 0.05}}]
    wf = {"onshore_fte": 20, "onshore_cost_per_fte": {"dist": "normal", "mean": 1.2e5,
                                                      "sd": 8e3},
          "offshore_cost_per_fte": {"dist": "pert", "min": 3e4, "mode": 3.6e4, "max": 5e4},
          "ramp_up_months": 6}
    plain = make(risks, costs, wf, discount_rate=0.08)
    neutral = [dict(risks[0], recovery={"share": 0.0}), risks[1]]
    engaged = make(neutral, costs, wf, discount_rate=0.08)
    assert compile_scenario(engaged).engaged and not compile_scenario(plain).engaged
    a = simulate(plain, trials=70_000, seed=17)
    b = simulate(engaged, trials=70_000, seed=17)
    np.testing.assert_array_equal(a.net_savings, b.net_savings)
    np.testing.assert_array_equal(a.risk_losses, b.risk_losses)



def test_risk_losses_sum_the_risk_rows_as_numpy_does():
    """Manila's risk rows are not contiguous (a recovery row sits among them): the total is
    numpy's sum over them, bit for bit."""
    from pathlib import Path

    s = load_scenario(Path(__file__).parents[1] / "scenarios" / "manila_financial_research.toml")
    r = simulate(s, trials=20_000, seed=5, controls=False)
    rows = r.model.risk_total_rows
    assert rows.size > 1 and np.any(np.diff(rows) > 1)
    np.testing.assert_array_equal(r.risk_losses, r.kept.component_totals[rows].sum(axis=0))

def full_model():
    risks = [exit_risk(0.1, exit_timing="uniform", reentry_cost={"dist": "uniform", "min": 0,
                                                                  "max": 1e5},
                       reentry_ramp_months=3, reentry_overrun=0.2),
             breach(frequency={"dist": "poisson", "mean": 0.3},
                    severity={"dist": "lognormal", "low": 1e4, "high": 1e6},
                    recoveries=[{"deductible": 5e4, "share": 0.8}, {"per": "year",
                                                                    "limit": 2e5}],
                    secondary={"probability": 0.3, "severity": {"dist": "uniform", "min": 0,
                                                                "max": 1e5}},
                    raises=[{"risk": "Exit", "factor": 3, "years": 2}]),
             {"name": "Own attrition", "category": "attrition", "side": "in_house",
              "frequency": {"dist": "poisson", "mean": 2}, "severity": 1e4}]
    return make(risks, fx=FX, workforce={"offshore_cost_per_fte": 2_000_000},
                discount_rate=0.05)


def test_every_term_together_is_bit_identical_across_thread_counts():
    s = full_model()
    a = simulate(s, trials=150_000, seed=18, threads=1)
    b = simulate(s, trials=150_000, seed=18, threads=2)
    np.testing.assert_array_equal(a.net_savings, b.net_savings)
    np.testing.assert_array_equal(a.component_totals, b.component_totals)
    assert a.summary()["engagement"] == b.summary()["engagement"]


def test_streamed_statistics_of_every_term_match_the_kept_trials():
    s = full_model()
    kept = simulate(s, trials=150_000, seed=19).summary()
    streamed = simulate(s, trials=150_000, seed=19, store_trials=False).summary()
    assert streamed["engagement"] == kept["engagement"]
    assert streamed["net_savings"]["mean"] == pytest.approx(kept["net_savings"]["mean"],
                                                           rel=1e-9)


def test_every_term_gives_finite_results_and_consistent_components():
    r = simulate(full_model(), trials=100_000, seed=20)
    assert np.isfinite(r.net_savings).all()
    np.testing.assert_allclose(r.net_savings, r.gross_wage_savings
                               - r.component_totals.sum(axis=0), rtol=1e-9, atol=1e-3)


@pytest.mark.parametrize("risk, field", [
    ({"exit_timing": "uniform"}, "exit_timing"),
    ({"reentry_cost": 1000}, "reentry_cost"),
    ({"raises": [{"risk": "Nope", "factor": 2, "years": 1}]}, "raises[0].risk"),
    ({"currency": "EUR"}, "currency"),
    ({"side": "in_house", "ends_engagement": True}, "side"),
    ({"recovery": {"share": 0.5}, "recoveries": [{"share": 0.5}]}, "recoveries"),
])
def test_misused_model_terms_are_refused_naming_the_field(risk, field):
    with pytest.raises(ScenarioError, match=field.replace("[", r"\[").replace("]", r"\]")):
        make([dict(breach(), **risk)])


def test_offshore_currency_share_needs_an_fx_table():
    with pytest.raises(ScenarioError, match="offshore_currency_share"):
        make(workforce={"offshore_currency_share": 0.5})


def test_raising_a_rate_that_cannot_scale_is_refused():
    risks = raising(target_frequency={"dist": "discrete", "values": [0, 1],
                                      "weights": [0.5, 0.5]})
    with pytest.raises(ScenarioError, match="raised rate needs"):
        make(risks)



def test_a_cap_that_removes_most_of_the_mean_loss_is_warned_about():
    capped = {"name": "Breach", "category": "breach", "frequency": 1,
              "severity": {"dist": "lognormal", "mu": 12.0, "sigma": 2.5},
              "cap_per_event": 1_000_000}
    warnings = compile_scenario(make([capped])).warnings
    assert any("cap_per_event" in w and "recovery limit" in w for w in warnings)


def test_a_cap_that_only_trims_the_tail_is_not_warned_about():
    capped = {"name": "Breach", "category": "breach", "frequency": 1,
              "severity": {"dist": "uniform", "min": 0, "max": 100}, "cap_per_event": 90}
    assert not compile_scenario(make([capped])).warnings


def test_an_exit_during_the_ramp_up_saves_only_what_ran_after_it():
    # Six months of ramp-up (both teams paid: nothing saved), exit at a uniform point V of
    # the one year: saved = 1,000,000 max(0, V - 0.5), so E = 1,000,000 * 0.125.
    s = make([dict(exit_risk(1.0, exit_timing="uniform"), severity=0)],
             workforce={"ramp_up_months": 6}, horizon_years=1)
    r = simulate(s, trials=200_000, seed=21)
    assert r.net_savings.min() == 0.0
    assert within(r.net_savings, 125_000.0)


def test_a_gain_share_fee_is_paid_on_the_savings_of_the_part_run():
    costs = [{"name": "Gain share", "category": "governance", "timing": "yearly",
              "share_of": "gross_savings", "share": 0.1}]
    s = make([dict(exit_risk(1.0, exit_timing="uniform"), severity=0)], costs,
             {"ramp_up_months": 6}, horizon_years=1)
    r = simulate(s, trials=10_000, seed=22)
    np.testing.assert_allclose(r.components["Gain share"], 0.1 * r.gross_wage_savings
                               - 0.1 * r.components[LOST_TO_EXIT], rtol=1e-9, atol=1e-6)


# SHA-256 of net savings and component totals (70,000 trials, seed 5) computed by kposim
# before model 0.2 (commit 51feab0): a scenario without the new keys must give these bits.
BEFORE_MODEL_02 = {
    "minimal.toml": "d03a67375997f0bc2e195d18e3872a2fad797b2ad992e0b00c650698bb9bda77",
    "plain_kitchen_sink.toml": "5523e8791db51bdd80d307e4ba2f8515dc326e5af331be01c44dd8d4d6981e84",
}


@pytest.mark.parametrize("name", sorted(BEFORE_MODEL_02))
def test_a_scenario_without_the_new_keys_gives_the_results_of_before(name, data_dir):
    r = simulate(load_scenario(data_dir / name), trials=70_000, seed=5)
    digest = hashlib.sha256(r.net_savings.tobytes() + r.component_totals.tobytes())
    assert digest.hexdigest() == BEFORE_MODEL_02[name]


def test_a_raise_counts_towards_the_events_a_trial_can_hold():
    risks = raising(1000.0, 1, {"dist": "poisson", "mean": 2.0})
    with pytest.raises(ScenarioError, match="events per trial"):
        make(risks)


def test_a_reentry_overrun_above_one_is_warned_about():
    s = make([exit_risk(0.1, reentry_ramp_months=6, reentry_overrun=25)])
    assert any("reentry_overrun" in w and "did you mean" in w for w in s.semantic_warnings())
