"""The scenario contract: what loads, and the message each class of bad input gets."""
import pytest

from simulator import ScenarioError, load_scenario, parse_scenario, scenario_from_dict
from simulator.scenario.model import Category


@pytest.fixture
def base(data_dir) -> str:
    return (data_dir / "minimal.toml").read_text()


def problems(text: str) -> str:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, source="s.toml")
    return info.value.format()


def test_minimal_scenario_loads_with_its_defaults(data_dir):
    s = load_scenario(data_dir / "minimal.toml")
    assert s.name == "Financial research team to Manila"
    assert s.scenario.currency == "USD" and s.scenario.cash_flow_timing == "start"
    assert [c.category for c in s.costs] == [Category.transition, Category.governance,
                                            Category.communication]
    assert s.costs[0].growth.describe() == "0"
    assert len(s.sha256) == 64 and s.source.endswith("minimal.toml")


def test_bare_numbers_are_constants(base):
    s = parse_scenario(base)
    assert s.workforce.onshore_fte.describe() == "20"
    assert s.workforce.onshore_cost_growth.mean() == 0.03


@pytest.mark.parametrize("old, new, expected", [
    ("horizon_years = 3", "horizon_years = = 3", "line 4, column 17: scenario.horizon_years: TOML syntax error"),
    ("horizon_years = 3", "horizon_years = 3\nhorizon_yrs = 4",
     "scenario.horizon_yrs: unknown key 'horizon_yrs'; did you mean 'horizon_years'?"),
    ("horizon_years = 3\n", "", "scenario.horizon_years: missing required key"),
    ("horizon_years = 3", 'horizon_years = "three"',
     "scenario.horizon_years: input should be a valid integer (got a string 'three')"),
    ("horizon_years = 3", "horizon_years = 10000",
     "scenario.horizon_years: input should be less than or equal to 30"),
    ("sd = 8_000", "sd = -8_000", "line 9: workforce.onshore_cost_per_fte.sd: input should be "
     "greater than 0"),
    ("low = 100_000, high = 8_000_000", "low = 100_000, high = 50_000",
     "risks[0].severity.high: must be greater than low"),
    ("mode = 36_000", "mode = 60_000", "workforce.offshore_cost_per_fte.mode: must lie in "
     "[min, max]"),
    ('dist = "pert", min = 30_000', 'dist = "perti", min = 30_000',
     "unknown distribution 'perti'; did you mean 'pert'?"),
    ('{ dist = "uniform", min = 0.05, max = 0.10 }', "{ min = 0.05, max = 0.10 }",
     "workforce.offshore_cost_growth: a distribution needs a dist key"),
    ("mean = 120_000, sd", "mena = 120_000, sd",
     "workforce.onshore_cost_per_fte.mena: unknown key 'mena'; did you mean 'mean'?"),
    ('name = "Quality failure"', 'name = "Vendor governance"',
     "risks[1].name: duplicate name 'Vendor governance'"),
    ('frequency = { dist = "poisson", mean = 3 }',
     'frequency = { dist = "uniform", min = 1, max = 3 }',
     "risks[1].frequency: must be a count distribution"),
    ('category = "quality"', 'category = "qualty"', "risks[1].category: input should be "
     "'transition'"),
    ("onshore_fte = 20", 'onshore_fte = "20"', "workforce.onshore_fte: must be a number or a "
     "distribution table"),
    ("onshore_fte = 20", "onshore_fte = true", "(got a boolean)"),
    ("onshore_fte = 20", "onshore_fte = inf", "workforce.onshore_fte: must be a finite number"),
    ('{ dist = "poisson", mean = 0.03 }', '{ dist = "bernoulli", p = 1.2 }',
     "risks[0].frequency.p: input should be less than or equal to 1"),
    ('share_of = "offshore_cost"\n', "", "costs[1].share_of: missing: share needs share_of"),
    ("cap_per_event = 5_000_000", "cap_per_event = -1",
     "risks[0].cap_per_event: input should be greater than 0"),
    ('severity = { dist = "triangular", min = 5_000', 'severity = { dist = "triangular", min = -5_000',
     "risks[1].severity: a loss per event must be >= 0"),
    ('timing = "once"', 'timing = "once"\nyear = 7', "costs[0].year: must be within the "
     "horizon 1..3"),
    ("onshore_fte = 20", "onshore_fte = { dist = \"normal\", mean = 2, sd = 5 }",
     "workforce.onshore_fte: must be >= 0"),
])
def test_bad_input_names_the_field_and_what_is_allowed(base, old, new, expected):
    assert old in base
    assert expected in problems(base.replace(old, new, 1))


def test_every_problem_is_reported_at_once(base):
    text = base.replace("sd = 8_000", "sd = -8_000").replace("mode = 36_000", "mode = 60_000")
    msg = problems(text)
    assert "onshore_cost_per_fte.sd" in msg and "offshore_cost_per_fte.mode" in msg


def test_problems_carry_the_line_of_the_key(base):
    msg = problems(base.replace("mode = 36_000", "mode = 60_000"))
    assert msg.startswith("s.toml: line 11: ")


def test_missing_file_directory_and_bad_encoding_are_scenario_errors(tmp_path):
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(tmp_path / "nope.toml")
    with pytest.raises(ScenarioError, match="is a directory"):
        load_scenario(tmp_path)
    latin = tmp_path / "latin1.toml"
    latin.write_bytes('[scenario]\nname = "Sāo Paulo"\n'.encode("utf-16"))
    with pytest.raises(ScenarioError, match="not UTF-8"):
        load_scenario(latin)


def test_empty_file_lists_the_missing_sections():
    msg = problems("")
    assert "scenario: missing required key" in msg and "workforce: missing required key" in msg


def test_growth_on_a_share_is_refused(base):
    text = base.replace('share = { dist = "uniform", min = 0.03, max = 0.05 }',
                        'share = { dist = "uniform", min = 0.03, max = 0.05 }\ngrowth = 0.1')
    assert "costs[1].growth: growth goes with amount" in problems(text)


def test_unknown_top_level_key_lists_every_section(base):
    msg = problems(base.replace("[workforce]", "[workforc]"))
    assert "allowed: scenario, workforce, costs, risks, controls, tolerance" in msg


def _refused(workforce: dict, pattern: str) -> None:
    doc = {"scenario": {"name": "x", "horizon_years": 1},
           "workforce": {"onshore_fte": 1, "onshore_cost_per_fte": 1, "offshore_fte": 1,
                         "offshore_cost_per_fte": 1, **workforce}}
    with pytest.raises(ScenarioError, match=pattern):
        scenario_from_dict(doc)


UNIFORM = {"dist": "uniform", "min": 1, "max": 2}


def test_uncertain_rate_outside_a_frequency_is_refused():
    _refused({"ramp_up_months": {"dist": "poisson", "mean": UNIFORM}},
             r"workforce.ramp_up_months: .*uncertain parameter, which only a risk's frequency "
             "or severity may have")


def test_distribution_as_an_ordinary_parameter_says_where_it_is_supported():
    _refused({"onshore_cost_per_fte": {"dist": "normal", "sd": 1, "mean": UNIFORM}},
             r"workforce.onshore_cost_per_fte.mean: must be a number here: .*supported where a "
             "risk.s parameter")


def test_uncertain_size_outside_a_severity_is_refused():
    _refused({"offshore_cost_per_fte": {"dist": "lognormal", "sigma": 0.1, "mu": UNIFORM}},
             r"workforce.offshore_cost_per_fte: .*uncertain parameter")


SCIPY_FREE = ["scenarios/*.toml", "tests/data/minimal.toml", "tests/data/engaged.toml"]


@pytest.mark.parametrize("pattern", SCIPY_FREE)
def test_loading_and_checking_a_scenario_does_not_import_scipy(pattern):
    # kposim validate: scipy.special alone is 0.18 s to import, a third of the command. The
    # kitchen sink still needs it (a truncated normal's extreme draw is not settled without
    # scipy's own ndtr), and so do the magnitude errors that print exact extreme draws.
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys, glob\n"
            "from simulator import load_scenario\n"
            "from simulator.scenario.compiled import check_scenario\n"
            f"files = sorted(glob.glob({pattern!r}))\n"
            "assert files\n"
            "for f in files:\n"
            "    s = load_scenario(f)\n"
            "    check_scenario(s)\n"
            "    s.semantic_warnings()\n"
            "    assert 'scipy' not in sys.modules, f\n")
    root = Path(__file__).resolve().parent.parent
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert res.returncode == 0, res.stderr
