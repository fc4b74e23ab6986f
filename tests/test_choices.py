"""Discrete contract options ([[choices]]): read with the first option, validated, resolved,
and searched by the optimiser against brute force."""
import pytest

from simulator import ScenarioError, parse_scenario, simulate
from simulator.analysis.optimize import optimize, with_controls
from simulator.scenario.variants import combinations, resolve

TEXT = """
[scenario]
name = "choices"
horizon_years = 2

[workforce]
onshore_fte = 10
onshore_cost_per_fte = { dist = "uniform", min = 90_000, max = 110_000 }
offshore_fte = 10
offshore_cost_per_fte = 40_000

[[risks]]
name = "Breach"
category = "breach"
frequency = { dist = "poisson", mean = 0.4 }
severity = { dist = "lognormal", low = 50_000, high = 900_000 }

[[controls]]
name = "DLP"
cost = 30_000
effects = [{ risk = "Breach", frequency_factor = 0.5 }]

[[choices]]
name = "Provider"
options = [
  { name = "Cheap", set = { "workforce.offshore_cost_per_fte" = 38_000, 'risks["Breach"].frequency.mean' = 0.8 } },
  { name = "Careful", set = { "workforce.offshore_cost_per_fte" = { dist = "pert", min = 41_000, mode = 43_000, max = 50_000 } } },
]
"""


def test_a_file_is_read_with_the_first_option_of_each_choice():
    s = parse_scenario(TEXT)
    assert s.workforce.offshore_cost_per_fte.value == 38_000
    assert s.risks[0].frequency.mean_ == 0.8


def test_resolve_applies_the_named_option_and_drops_the_choices():
    s = resolve(parse_scenario(TEXT), {"Provider": "Careful"})
    assert s.workforce.offshore_cost_per_fte.dist == "pert" and not s.choices
    assert s.risks[0].frequency.mean_ == 0.8  # set only by the other option: as read


@pytest.mark.parametrize("setting, why", [
    ('"workforce.offshore_cost_per_ft" = 38_000', "no key 'offshore_cost_per_ft'"),
    ("'risks[\"Breach\"].frequency.mean' = -1", "option 'Careful' gives an invalid scenario"),
])
def test_an_option_that_names_nothing_or_breaks_the_scenario_is_refused(setting, why):
    text = TEXT.replace('{ name = "Careful", set = { ', '{ name = "Careful", set = { '
                        + setting + ", ")
    with pytest.raises(ScenarioError, match=why):
        parse_scenario(text)


def test_two_choices_may_not_set_the_same_path():
    text = TEXT + TEXT[TEXT.index("[[choices]]"):].replace('"Provider"', '"Again"')
    with pytest.raises(ScenarioError, match="also set by choice 'Provider'"):
        parse_scenario(text)


def test_optimizer_matches_brute_force_over_options_and_controls():
    s = parse_scenario(TEXT)
    out = optimize(s, trials=20_000, seed=2, threads=1)
    results = []
    for picks in combinations(s):
        for subset in ([], ["DLP"]):
            r = simulate(with_controls(resolve(s, picks), subset), trials=20_000, seed=2,
                         threads=1)
            results.append((r.net_savings.mean(), picks, subset))
    best = max(results, key=lambda x: x[0])
    assert (out["chosen"]["choices"], out["chosen"]["controls"]) == (best[1], best[2])
    assert out["runs"] == 2 * 2 and out["frontier"]  # per option: all (= DLP) and none


def test_the_worked_example_with_choices_and_a_pilot_fits_the_json_schema():
    import tomllib
    from pathlib import Path

    import jsonschema

    from simulator.scenario.schema import json_schema

    schema = json_schema()
    example = Path(__file__).resolve().parent.parent / "docs" / "examples" / "decide.toml"
    doc = tomllib.loads(example.read_text(encoding="utf-8"))
    assert doc["choices"] and doc["pilot"]
    jsonschema.validators.validator_for(schema)(schema).validate(doc)
