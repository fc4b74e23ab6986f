"""The scenario format's JSON Schema and its generated Markdown reference."""
import copy
import json
import tomllib
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from simulator.cli import main
from simulator.distributions.registry import FAMILIES
from simulator.scenario.model import Scenario, ScenarioError, scenario_from_dict
from simulator.scenario.model import parse_distribution as parse
from simulator.scenario.schema import REFERENCE_PATH, format_reference, json_schema

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))


@pytest.fixture(scope="module")
def schema() -> dict:
    return json_schema()


@pytest.fixture(scope="module")
def validator(schema):
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@pytest.fixture
def minimal(data_dir) -> dict:
    return tomllib.loads((data_dir / "minimal.toml").read_text())


def errors(validator, doc) -> list[str]:
    return [e.message for e in validator.iter_errors(doc)]


def test_reference_is_current():
    committed = REFERENCE_PATH.read_text(encoding="utf-8") if REFERENCE_PATH.exists() else ""
    assert committed == format_reference(), (
        "docs/scenario-format.md is out of date with simulator/scenario/model.py and "
        "simulator/distributions/; regenerate it with: python -m simulator.scenario.schema --write")


def test_schema_is_draft7_with_title(schema, validator):
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert isinstance(validator, jsonschema.Draft7Validator)
    assert schema["title"] and schema["description"]
    json.dumps(schema, allow_nan=False)  # plain JSON


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_schema_accepts_every_example_scenario(validator, path):
    assert errors(validator, tomllib.loads(path.read_text(encoding="utf-8"))) == []


def test_schema_has_no_internal_fields_or_nulls(schema):
    text = json.dumps(schema)
    assert '"null"' not in text  # TOML has no null: optional keys are left out
    assert "_source" not in text and "_sha256" not in text
    assert "lambda_" not in text and "mean_" not in text  # aliases, as written in files
    assert "``" not in text  # docstring markup converted to Markdown


def test_every_section_and_key_is_in_the_schema(schema):
    def keys(model) -> set[str]:
        return {f.alias or name for name, f in model.model_fields.items()}

    assert set(schema["properties"]) == keys(Scenario)
    for name, cls in FAMILIES.items():
        assert set(schema["$defs"][cls.__name__]["properties"]) == keys(cls)
        assert schema["$defs"][cls.__name__]["properties"]["dist"]["const"] == name
    assert schema["$defs"]["DistributionTable"]["properties"]["dist"]["enum"] == list(FAMILIES)


def test_distribution_keys_accept_a_number_or_a_table(schema, validator, minimal):
    wf = schema["$defs"]["Workforce"]["properties"]
    for key in ("onshore_fte", "ramp_up_months", "offshore_cost_growth"):
        kinds = wf[key]["anyOf"]
        assert {"type": "number", "description": "a constant"} in kinds
        assert {"$ref": "#/$defs/DistributionTable"} in kinds
        assert "description" in wf[key]
    doc = copy.deepcopy(minimal)
    doc["workforce"]["ramp_up_months"] = 6
    doc["workforce"]["offshore_fte"] = {"dist": "constant", "value": 24}
    assert errors(validator, doc) == []


def test_family_examples_are_valid(schema, validator, minimal):
    for name, cls in FAMILIES.items():
        examples = schema["$defs"][cls.__name__]["examples"]
        assert examples, name
        for example in examples:
            parse(example)  # the engine accepts it
            doc = copy.deepcopy(minimal)
            doc["workforce"]["ramp_up_months"] = example
            assert errors(validator, doc) == [], (name, example)


@pytest.mark.parametrize("change, why", [
    (lambda d: d["scenario"].update(discount=0.08), "unknown key"),
    (lambda d: d.update(extra={"a": 1}), "unknown section"),
    (lambda d: d["workforce"].update(onshore_fte="twenty"), "string for a distribution"),
    (lambda d: d["workforce"].update(onshore_fte=True), "boolean for a distribution"),
    (lambda d: d["scenario"].update(horizon_years="3"), "string for an integer"),
    (lambda d: d["scenario"].update(cash_flow_timing="midyear"), "not an allowed value"),
    (lambda d: d["workforce"].update(offshore_fte={"dist": "beta_pert", "min": 1, "mode": 2,
                                                   "max": 3}), "unknown dist"),
    (lambda d: d["workforce"].update(offshore_fte={"min": 1, "max": 3}), "no dist"),
    (lambda d: d["workforce"].update(offshore_fte={"dist": "uniform", "min": 1, "mx": 3}),
     "unknown parameter"),
    (lambda d: d["costs"][0].update(category="qualty"), "unknown category"),
    (lambda d: d["costs"][0].update(share_of="offshore_cost", share=0.1), "amount and share"),
    (lambda d: d["costs"][1].pop("share"), "share_of without share"),
    (lambda d: d["costs"][0].update(start_year=2), "start_year on a one-off cost"),
    (lambda d: d["costs"][1].update(year=2), "year on a yearly cost"),
    (lambda d: d["risks"][0].update(severity={"dist": "lognormal", "mu": 12, "sigma": 2,
                                              "low": 1, "high": 2}), "both lognormal forms"),
    (lambda d: d["risks"][0].update(severity={"dist": "lognormal", "mu": 12}), "mu alone"),
    (lambda d: d.pop("workforce"), "missing section"),
])
def test_schema_rejects_invalid_documents(validator, minimal, change, why):
    doc = copy.deepcopy(minimal)
    change(doc)
    assert errors(validator, doc), why
    with pytest.raises(ScenarioError):  # and the loader agrees
        scenario_from_dict(doc)


def test_reference_lists_every_key_and_family():
    text = format_reference()
    schema = json_schema()
    for model in schema["$defs"].values():
        for key in model.get("properties", {}):
            assert f"| `{key}` |" in text, key
    for name in FAMILIES:
        assert f"### {name}\n" in text
    for section in ("`[scenario]`", "`[workforce]`", "`[[costs]]`", "`[[risks]]`",
                    "`[[controls]]`", "`[tolerance]`"):
        assert f"## {section}\n" in text


def test_cli_schema_prints_the_json_schema():
    res = CliRunner().invoke(main, ["schema"], catch_exceptions=False)
    assert res.exit_code == 0
    assert json.loads(res.output) == json_schema()
    assert res.output.startswith('{\n  "$schema"')  # indented by 2


def test_module_writes_the_reference(tmp_path, monkeypatch, capsys):
    import simulator.scenario.schema as module

    target = tmp_path / "scenario-format.md"
    monkeypatch.setattr(module, "REFERENCE_PATH", target)
    module.main(["--write"])
    assert target.read_text(encoding="utf-8") == format_reference()
    module.main(["--json"])
    assert json.loads(capsys.readouterr().out) == json_schema()
