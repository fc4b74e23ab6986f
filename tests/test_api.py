"""The Python API's contracts: keyword-only options, seeds (None, integers, SeedSequence),
string enums, controls evaluated by ``simulate``, model warnings through ``warnings``, the
value-row layout and the summary's typed keys."""
import json
import typing
import warnings

import numpy as np
import pytest
from click.testing import CliRunner

from simulator import DEFAULT_SEED, load_scenario, scenario_from_dict, simulate
from simulator.cli import main
from simulator.defaults import SAMPLING, Sampling
from simulator.diagnostics import KposimWarning, ModelWarning
from simulator.engine.run import PlannedRun, RunOptions, simulate_many
from simulator.engine.sampling import SEED_BITS, engine_seed
from simulator.results.rows import FIRST_COMPONENT, GROSS, NET, Rows
from simulator.results.summary import Summary

TRIALS = 3_000


def small(controls: bool = True) -> dict:
    d = {
        "scenario": {"name": "api", "horizon_years": 2},
        "workforce": {"onshore_fte": 10, "onshore_cost_per_fte": 100_000, "offshore_fte": 10,
                      "offshore_cost_per_fte": 40_000},
        "costs": [{"name": "Transition", "category": "transition", "amount": 50_000.0,
                   "timing": "once"}],
        "risks": [{"name": "Breach", "category": "breach",
                   "frequency": {"dist": "poisson", "mean": 0.4}, "severity": 100_000.0}],
    }
    if controls:
        d["controls"] = [{"name": "DLP", "cost": 10_000.0, "timing": "yearly",
                          "effects": [{"risk": "Breach", "frequency_factor": 0.5}]}]
    return d


@pytest.fixture(scope="module")
def scenario():
    return scenario_from_dict(small())


def test_options_after_the_scenario_are_keywords(scenario):
    with pytest.raises(TypeError):
        simulate(scenario, 1000, 7)  # type: ignore[misc]  # the point: positional is refused
    with pytest.raises(TypeError):
        PlannedRun(scenario, 1000, 7)  # type: ignore[misc]
    with pytest.raises(TypeError):
        simulate_many([(scenario, None)], None)  # type: ignore[misc]


def test_seed_none_is_the_documented_default_never_fresh_entropy(scenario):
    a = simulate(scenario, trials=TRIALS, controls=False)
    b = simulate(scenario, trials=TRIALS, seed=None, controls=False)
    c = simulate(scenario, trials=TRIALS, seed=DEFAULT_SEED, controls=False)
    assert a.seed == b.seed == c.seed == DEFAULT_SEED
    assert np.array_equal(a.net_savings, b.net_savings)
    assert np.array_equal(a.net_savings, c.net_savings)


def test_a_seed_sequence_gives_the_same_results_every_time(scenario):
    ss = np.random.SeedSequence(12345)
    a = simulate(scenario, trials=TRIALS, seed=ss, controls=False)
    b = simulate(scenario, trials=TRIALS, seed=np.random.SeedSequence(12345), controls=False)
    assert a.seed == b.seed == engine_seed(ss)
    assert isinstance(a.seed, int) and 0 <= a.seed < 2**SEED_BITS
    assert np.array_equal(a.net_savings, b.net_savings)
    # the recorded integer reproduces the run; spawned children give other streams
    again = simulate(scenario, trials=TRIALS, seed=a.seed, controls=False)
    assert np.array_equal(a.net_savings, again.net_savings)
    children = [engine_seed(child) for child in ss.spawn(3)]
    assert len({a.seed, *children}) == 4
    # documented reduction
    assert a.seed == int(ss.generate_state(1, np.uint64)[0]) >> 11


@pytest.mark.parametrize("bad", [-1, True, 1.5, "7"])
def test_bad_seeds_are_refused(scenario, bad):
    with pytest.raises(ValueError, match="seed"):
        simulate(scenario, trials=10, seed=bad)


def test_sampling_takes_the_enum_or_its_value(scenario):
    assert SAMPLING == ("mc", "lhs", "sobol")
    assert Sampling.LHS == "lhs" and f"{Sampling.SOBOL}" == "sobol"
    a = simulate(scenario, trials=TRIALS, seed=3, sampling=Sampling.LHS, controls=False)
    b = simulate(scenario, trials=TRIALS, seed=3, sampling="lhs", controls=False)
    assert np.array_equal(a.net_savings, b.net_savings)
    assert type(a.sampling) is str and a.sampling == "lhs"
    assert a.summary()["provenance"]["sampling"] == "lhs"
    assert RunOptions(sampling=Sampling.SOBOL).sampling == "sobol"
    with pytest.raises(ValueError, match="sampling must be one of mc, lhs, sobol"):
        simulate(scenario, trials=10, sampling="latin")


def _without_created(summary: dict) -> dict:
    summary = json.loads(json.dumps(summary))
    summary["provenance"].pop("created")
    return summary


def test_simulate_summary_equals_the_summary_json_the_cli_writes(tmp_path, data_dir):
    path = data_dir / "plain_kitchen_sink.toml"  # controls, tolerance, correlations
    res = CliRunner().invoke(main, ["run", str(path), "-n", str(TRIALS), "-s", "5", "-o",
                                    str(tmp_path / "out"), "-q", "-t", "1"],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    written = json.loads((tmp_path / "out" / path.stem / "summary.json").read_text())
    assert written["controls"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ModelWarning)
        api = simulate(load_scenario(path), trials=TRIALS, seed=5).summary()
    assert api["controls"]
    assert _without_created(api) == _without_created(written)


def test_controls_keyword(scenario):
    on = simulate(scenario, trials=TRIALS, seed=4)
    assert on.controls is not None and set(on.controls) == {"DLP"}
    assert "controls" in on.summary()
    assert simulate(scenario, trials=TRIALS, seed=4, controls=False).controls is None
    streamed = simulate(scenario, trials=TRIALS, seed=4, store_trials=False)
    assert streamed.controls is None  # the default needs the trials, as the CLI decides
    with pytest.raises(ValueError, match="kept its trials"):
        simulate(scenario, trials=TRIALS, seed=4, store_trials=False, controls=True)
    many = simulate_many([(scenario, None)], trials=TRIALS, seed=4)
    assert many[0].controls == on.controls


def test_model_warnings_go_through_the_warnings_module():
    s = load_scenario("scenarios/manila_financial_research.toml")
    expected = [*s.semantic_warnings()]
    with pytest.warns(ModelWarning) as record:
        r = simulate(s, trials=1_000, seed=1)
    texts = [str(w.message) for w in record if issubclass(w.category, ModelWarning)]
    assert texts and all(t.startswith(f"{s.name}: ") for t in texts)
    assert [t.removeprefix(f"{s.name}: ") for t in texts] == r.summary()["warnings"]
    assert all(w in r.summary()["warnings"] for w in expected)
    assert issubclass(ModelWarning, KposimWarning) and issubclass(KposimWarning, UserWarning)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelWarning)
        with pytest.raises(ModelWarning):
            simulate(s, trials=1_000, seed=1)


def test_a_quiet_scenario_warns_nothing(scenario):
    with warnings.catch_warnings():
        warnings.simplefilter("error", KposimWarning)
        simulate(scenario, trials=1_000, seed=1, controls=False)


def test_the_cli_prints_model_warnings_once_in_its_own_words(tmp_path):
    res = CliRunner().invoke(main, ["run", "scenarios/manila_financial_research.toml", "-n",
                                    "1000", "-o", str(tmp_path), "-q"],
                             catch_exceptions=False)
    assert res.exit_code == 0
    assert "ModelWarning" not in res.output and "warning: " in res.output


def test_rows_describe_the_value_layout(scenario):
    r = simulate(scenario, trials=1_000, seed=2, controls=False)
    rows = Rows.of(r.model)
    assert (NET, GROSS, FIRST_COMPONENT) == (0, 1, 2)
    assert rows.n_components == len(r.model.component_names) == r.component_totals.shape[0]
    assert rows.stored == FIRST_COMPONENT + rows.n_components
    assert rows.total == rows.stored + 1 and rows.risk_total == rows.stored
    assert r.model.component_names[rows.first_risk - FIRST_COMPONENT] == "Breach"
    assert list(rows.loss_rows) == list(range(rows.first_risk, rows.total))
    plain = Rows(n_costs=1, n_components=1, has_risks=False)
    assert plain.total == plain.stored == 3 and not plain.loss_rows
    with pytest.raises(ValueError):
        _ = plain.risk_total


def test_kept_and_streamed_narrow_or_say_why(scenario):
    kept = simulate(scenario, trials=1_000, seed=2, controls=False)
    assert kept.kept.net_savings is kept.net_savings
    with pytest.raises(ValueError, match="kept its trials"):
        _ = kept.streamed
    streamed = simulate(scenario, trials=1_000, seed=2, store_trials=False)
    assert streamed.streamed is streamed.stream
    with pytest.raises(ValueError, match="store_trials=True"):
        _ = streamed.kept


def test_the_summary_has_the_typed_keys(scenario):
    summary = simulate(scenario, trials=1_000, seed=2).summary()
    hints = typing.get_type_hints(Summary)
    required = Summary.__required_keys__
    assert required <= set(summary) <= set(hints)
    assert list(summary)[-1] == "warnings"
