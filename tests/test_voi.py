"""Value of information (simulator.analysis.voi): EVPI and EVPPI against closed forms, from the
stored per-trial inputs of a run, within 5 Monte Carlo standard errors."""
import math

import numpy as np
import pytest

from simulator import scenario_from_dict, simulate
from simulator.analysis.voi import analyze, evpi, evppi, expected_max_normal, voi_table

N_ON, N_OFF = 10.0, 20.0
M1, S1 = 100_000.0, 8_000.0  # onshore cost per FTE: normal(M1, S1)
M2, S2 = 49_000.0, 3_000.0  # offshore cost per FTE: normal(M2, S2)
MU = N_ON * M1 - N_OFF * M2  # mean net savings: close to 0 against their spread
TRIALS = 65_536


def linear_scenario():
    """H = 1, no costs or risks: net = N_on C_on - N_off C_off, C_on and C_off independent."""
    return scenario_from_dict({
        "scenario": {"name": "linear", "horizon_years": 1},
        "workforce": {"onshore_fte": N_ON, "offshore_fte": N_OFF,
                      "onshore_cost_per_fte": {"dist": "normal", "mean": M1, "sd": S1},
                      "offshore_cost_per_fte": {"dist": "normal", "mean": M2, "sd": S2}}})


@pytest.fixture(scope="module")
def linear_run():
    return simulate(linear_scenario(), trials=TRIALS, seed=11, keep_inputs=True, threads=1)


def _row(run, name):
    return run.inputs[run.model.input_names.index(name)]


def test_net_savings_are_the_linear_model(linear_run):
    x1 = _row(linear_run, "workforce.onshore_cost_per_fte")
    x2 = _row(linear_run, "workforce.offshore_cost_per_fte")
    np.testing.assert_allclose(linear_run.net_savings, N_ON * x1 - N_OFF * x2, rtol=1e-12)


def test_evpi_matches_the_closed_form_within_5_standard_errors(linear_run):
    sd = math.hypot(N_ON * S1, N_OFF * S2)
    exact = expected_max_normal(MU, sd) - max(MU, 0.0)
    e = evpi(linear_run.net_savings)
    assert exact > 20 * e.stderr  # the decision is close: the value is not ~0
    assert abs(e.value - exact) <= 5 * e.stderr


@pytest.mark.parametrize("name, spread", [("workforce.onshore_cost_per_fte", N_ON * S1),
                                          ("workforce.offshore_cost_per_fte", N_OFF * S2)])
def test_evppi_matches_the_closed_form_within_5_standard_errors(linear_run, name, spread):
    # E[net | X] is normal(MU, spread) over X: EVPPI = E[max(.,0)] - max(MU, 0).
    exact = expected_max_normal(MU, spread) - max(MU, 0.0)
    e = evppi(_row(linear_run, name), linear_run.net_savings, replicates=100)
    assert exact > 10 * e.stderr
    assert abs(e.value - exact) <= 5 * e.stderr


def test_evppi_of_a_discrete_input_uses_exact_group_means():
    # Two equally likely states; the option is worth +3 or -1 in them, plus noise that no
    # input explains: EVPPI = 0.5 * 3 - max(0.5 * 3 - 0.5 * 1, 0) = 1.5 - 1 = 0.5.
    rng = np.random.default_rng(5)
    state = rng.integers(0, 2, 100_000).astype(float)
    net = np.where(state == 1, 3.0, -1.0) + rng.normal(0, 2, state.size)
    e = evppi(state, net, replicates=100)
    assert abs(e.value - 0.5) <= 5 * e.stderr


def test_evppi_of_an_irrelevant_input_is_within_noise_of_zero(linear_run):
    noise = np.random.default_rng(3).uniform(size=TRIALS)
    e = evppi(noise, linear_run.net_savings, replicates=100)
    assert e.value <= 5 * e.stderr + 1e-9 * abs(MU)


def test_evpi_between_several_options_takes_the_best_in_each_trial():
    values = np.array([[1.0, -2.0, 3.0, 0.0], [0.0, 1.0, 1.0, 1.0]])
    # best per trial 1, 1, 3, 1 -> mean 1.5; best mean max(0.5, 0.75) = 0.75.
    assert evpi(values, replicates=0).value == pytest.approx(0.75)


def test_table_sorts_inputs_and_skips_constants(linear_run):
    inputs = linear_run.inputs
    t = voi_table(inputs, linear_run.model.input_names, linear_run.net_savings, replicates=20)
    names = [r["input"] for r in t["inputs"]]
    assert names == ["workforce.onshore_cost_per_fte", "workforce.offshore_cost_per_fte"]


def test_analysis_is_identical_with_one_or_two_threads():
    s = linear_scenario()
    a = analyze([s], trials=20_000, seed=4, threads=1, replicates=20)
    b = analyze([s], trials=20_000, seed=4, threads=2, replicates=20)
    assert a == b


def test_analysis_between_options_values_the_best_in_each_trial():
    # Two outsourcing options that differ only in the offshore team size, and keeping the
    # work: EVPI over the three equals the EVPI of their per-trial values.
    a = linear_scenario()
    d = a.model_dump(mode="json", by_alias=True, exclude_none=True)
    d["workforce"]["offshore_fte"] = N_OFF - 1
    b = scenario_from_dict(d)
    out = analyze([a, b], ["A", "B"], trials=20_000, seed=6, threads=1, replicates=2)
    runs = [simulate(s, trials=20_000, seed=6, threads=1) for s in (a, b)]
    values = np.vstack([r.net_savings for r in runs] + [np.zeros(20_000)])
    assert [o["name"] for o in out["options"]] == ["A", "B", "Keep in-house"]
    assert out["evpi"]["value"] == pytest.approx(evpi(values, replicates=0).value, rel=1e-12)
