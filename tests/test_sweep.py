"""Sweeps and break-even search against closed forms, and the parameter-path syntax."""
import numpy as np
import pytest

from simulator import scenario_from_dict, simulate
from simulator.analysis.sweep import Axis, breakeven, sweep
from simulator.scenario.paths import PathError, parse
from simulator.scenario.variants import with_value


def linear():
    # One year: net = 2,000,000 - 24 * offshore cost per FTE - transition ~ uniform(0, 200k).
    return scenario_from_dict({
        "scenario": {"name": "linear", "horizon_years": 1},
        "workforce": {"onshore_fte": 20, "onshore_cost_per_fte": 100_000, "offshore_fte": 24,
                      "offshore_cost_per_fte": 40_000},
        "costs": [{"name": "Transition", "category": "transition", "timing": "once",
                   "amount": {"dist": "uniform", "min": 0, "max": 200_000}}],
        "risks": [{"name": "Data breach", "category": "breach",
                   "frequency": {"dist": "poisson", "mean": 0.2}, "severity": 50_000.0}],
    })


def test_path_syntax_splits_keys_and_names():
    assert parse('risks["Data breach"].frequency.mean') == ["risks", ("Data breach",),
                                                           "frequency", "mean"]
    assert parse('costs["say \\"hi\\""].amount') == ["costs", ('say "hi"',), "amount"]


@pytest.mark.parametrize("bad, message", [
    ("risks[0].frequency", "expected .key"),
    ('risks["Nope"].frequency.mean', "no item named 'Nope'"),
    ("workforce.headcount", "no key 'headcount'"),
    ('risks["Data breach"]', "names a whole cost line or risk"),
])
def test_bad_paths_are_refused_with_what_exists(bad, message):
    with pytest.raises(PathError, match=message.replace("[", r"\[").replace(".", r"\.")):
        with_value(linear(), bad, 1.0)


def test_setting_a_value_revalidates_the_scenario():
    s = with_value(linear(), 'risks["Data breach"].frequency.mean', 0.5)
    assert s.risks[0].frequency.mean() == 0.5
    with pytest.raises(PathError, match="invalid scenario"):
        with_value(linear(), 'risks["Data breach"].frequency.mean', -1.0)


def test_a_whole_input_path_sets_a_constant():
    s = with_value(linear(), "workforce.offshore_fte", 22)
    assert s.workforce.offshore_fte.describe() == "22"


def test_sweep_of_a_frequency_follows_the_compound_poisson_mean():
    axis = Axis.parse('risks["Data breach"].frequency.mean=0:0.4:3')
    result = sweep(linear(), [axis], trials=70_000, seed=2)
    means = np.array([r["mean"] for r in result["rows"]])
    # Common random numbers: only the breach term moves, by rate x 50,000 per unit rate.
    base = means[0]
    expected = base - 50_000 * axis.values
    se = max(r["stderr"] for r in result["rows"])
    assert np.all(np.abs(means - expected) <= 4.5 * se)
    assert means[0] > means[1] > means[2]


def test_two_dimensional_sweep_has_every_grid_point():
    axes = [Axis.parse("workforce.offshore_fte=20:24:3"),
            Axis.parse("workforce.offshore_cost_per_fte=30000:50000:2")]
    rows = sweep(linear(), axes, trials=5_000, seed=1)["rows"]
    assert len(rows) == 6
    assert {(r["workforce.offshore_fte"], r["workforce.offshore_cost_per_fte"]) for r in rows} == {
        (a, b) for a in (20.0, 22.0, 24.0) for b in (30000.0, 50000.0)}


@pytest.mark.parametrize("text", ["workforce.offshore_fte", "x=1:2", "x=1:2:1", "x=a:b:3",
                                  "=1:2:3"])
def test_bad_sweep_axes_are_refused(text):
    with pytest.raises(PathError):
        Axis.parse(text)


def test_breakeven_offshore_cost_matches_the_closed_form():
    n = 70_000
    result = breakeven(linear(), "workforce.offshore_cost_per_fte", "mean", 0.0, trials=n, seed=5)
    # On the same draws: mean net = 2e6 - 24 c - mean(transition) - mean(breach) = 0.
    r = simulate(linear(), trials=n, seed=5)
    costs = r.component_totals.sum(axis=0).mean()
    exact = (2_000_000 - costs) / 24
    assert result["breakeven"] == pytest.approx(exact, rel=1e-6)
    # The interval reflects Monte Carlo error: the true break-even (expected costs) lies in it.
    true = (2_000_000 - 100_000 - 0.2 * 50_000) / 24
    lo, hi = result["ci95"]
    assert lo < true < hi and hi - lo < 0.02 * true


def test_breakeven_refuses_a_bracket_without_a_sign_change():
    with pytest.raises(ValueError, match="not reached"):
        breakeven(linear(), "workforce.offshore_cost_per_fte", "mean", 0.0,
                  bracket=(10_000, 20_000), trials=5_000)


def test_sweep_command_writes_csv_json_and_chart(tmp_path, data_dir):
    import csv

    from click.testing import CliRunner

    from simulator.cli import main

    out = tmp_path / "r"
    res = CliRunner().invoke(main, ["sweep", str(data_dir / "minimal.toml"), "--param",
                                    "workforce.offshore_fte=20:26:4", "-n", "5000", "-o", str(out)])
    assert res.exit_code == 0, res.output
    folder = out / "minimal" / "sweep"
    rows = list(csv.DictReader(open(folder / "sweep.csv")))
    assert [float(r["workforce.offshore_fte"]) for r in rows] == [20, 22, 24, 26]
    assert (folder / "sweep.png").stat().st_size > 0 and (folder / "sweep.svg").exists()


def test_sweep_command_with_a_bad_path_exits_2(tmp_path, data_dir):
    from click.testing import CliRunner

    from simulator.cli import main

    res = CliRunner().invoke(main, ["sweep", str(data_dir / "minimal.toml"), "--param",
                                    'risks["Nope"].frequency.mean=0:1:3', "-o", str(tmp_path)])
    assert res.exit_code == 2 and "no item named 'Nope'" in res.output
    assert not (tmp_path / "minimal").exists()


def test_breakeven_command_prints_the_value_and_interval(data_dir):
    from click.testing import CliRunner

    from simulator.cli import main

    res = CliRunner().invoke(main, ["breakeven", str(data_dir / "minimal.toml"), "--param",
                                    "workforce.offshore_fte", "--target", "mean=0", "-n", "20000"])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("Mean net savings reach $0 at Offshore staff = ")
    assert "FTE (95% interval " in res.output and "(workforce.offshore_fte = " in res.output


@pytest.mark.parametrize("args, message", [
    (["--target", "median=0"], "expected mean=VALUE"),
    (["--target", "mean=0", "--bracket", "1:x"], "expected LO:HI"),
])
def test_breakeven_command_refuses_bad_targets(data_dir, args, message):
    from click.testing import CliRunner

    from simulator.cli import main

    res = CliRunner().invoke(main, ["breakeven", str(data_dir / "minimal.toml"), "--param",
                                    "workforce.offshore_fte", *args])
    assert res.exit_code == 2 and message in res.output
