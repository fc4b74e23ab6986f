"""Comparing options on common random numbers: statistics, the CRN guarantees, charts, CLI."""
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from matplotlib.patches import StepPatch

from simulator import load_scenario, parse_scenario
from simulator.analysis.compare import check_memory, compare, independent_stderr, pair_stats
from simulator.cli import main
from simulator.output.comparison import write_comparison
from simulator.present.plots.compare import (
    box_stats,
    plot_compare_boxes,
    plot_compare_scurves,
    plot_difference,
    write_compare_charts,
)
from simulator.scenario.compiled import compile_scenario

SCENARIOS = Path(__file__).parent.parent / "scenarios"
OFFSHORE = "offshore_cost_per_fte = { dist = \"pert\", min = 30_000, mode = 36_000, max = 50_000 }"
DEARER = "offshore_cost_per_fte = { dist = \"pert\", min = 31_500, mode = 37_800, max = 52_500 }"


DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def minimal():
    return load_scenario(DATA / "minimal.toml")


@pytest.fixture(scope="module")
def dearer():
    """minimal.toml with the offshore cost per FTE 5% higher at every point of its PERT."""
    text = (DATA / "minimal.toml").read_text()
    assert OFFSHORE in text
    return parse_scenario(text.replace(OFFSHORE, DEARER), source="dearer.toml")


@pytest.fixture(scope="module")
def shifted(minimal, dearer):
    return compare([minimal, dearer], ["base", "dearer"], trials=50_000, seed=11)


# --- statistics over plain arrays --------------------------------------------------------------

def test_pair_stats_counts_wins_and_ties_separately():
    p = pair_stats(np.array([1.0, 2.0, 3.0, 5.0]), np.array([1.0, 1.0, 4.0, 5.0]))
    assert p["prob_a_beats_b"] == 0.25
    assert p["prob_tie"] == 0.5
    assert p["prob_a_at_least_b"] == 0.75
    assert p["mean_difference"] == 0.0


def test_pair_stats_stderr_is_the_std_of_the_per_trial_difference_over_root_n():
    rng = np.random.default_rng(3)
    a, b = rng.normal(10, 3, 4000), rng.normal(9, 2, 4000)
    d = a - b
    p = pair_stats(a, b)
    assert p["stderr"] == pytest.approx(d.std(ddof=1) / np.sqrt(d.size), rel=1e-12)
    assert p["ci95"] == pytest.approx([d.mean() - 1.959964 * p["stderr"],
                                       d.mean() + 1.959964 * p["stderr"]], rel=1e-6)
    assert p["p50"] == pytest.approx(np.median(d))


def test_independent_stderr_is_the_root_sum_of_the_two_variances_of_the_mean():
    a, b = np.array([1.0, 3.0, 5.0, 7.0]), np.array([2.0, 2.0, 4.0, 4.0])
    expected = np.sqrt(a.var(ddof=1) / 4 + b.var(ddof=1) / 4)
    assert independent_stderr(a, b) == pytest.approx(expected, rel=1e-12)


def test_a_shifted_copy_beats_its_original_in_every_trial_with_zero_paired_error():
    b = np.random.default_rng(4).lognormal(12, 1, 10_000)
    p = pair_stats(b + 1000.0, b)
    assert p["prob_a_beats_b"] == 1.0 and p["prob_tie"] == 0.0
    assert p["mean_difference"] == pytest.approx(1000.0)
    assert p["stderr"] < 1e-9 < p["stderr_independent"]


def test_pair_stats_rejects_arrays_of_different_trials():
    with pytest.raises(ValueError, match="same trials"):
        pair_stats(np.ones(3), np.ones(4))


# --- the common-random-numbers guarantees -----------------------------------------------------

def test_a_scenario_compared_with_itself_differs_by_exactly_zero_in_every_trial(minimal):
    c = compare([minimal, minimal], ["a", "b"], trials=50_000, seed=3)
    assert np.array_equal(c.net(0), c.net(1))
    assert not np.any(c.difference(0, 1))
    pair = c.summary()["pairs"][0]
    assert pair["mean_difference"] == 0.0 and pair["stderr"] == 0.0
    assert pair["prob_tie"] == 1.0 and pair["prob_a_beats_b"] == 0.0
    assert pair["variance_reduction"] is None


def test_crn_stderr_of_the_mean_difference_is_far_below_the_independent_one(shifted):
    p = shifted.summary()["pairs"][0]
    assert p["stderr"] < p["stderr_independent"] / 5
    # And the independent figure is what two separate runs really give.
    alone = compare([shifted.results[1].scenario, shifted.results[1].scenario], ["x", "y"],
                    trials=50_000, seed=12)
    d_indep = shifted.net(0) - alone.net(0)
    assert independent_stderr(shifted.net(0), alone.net(0)) == pytest.approx(
        d_indep.std(ddof=1) / np.sqrt(d_indep.size), rel=0.05)


def test_the_cheaper_provider_beats_the_dearer_one_in_every_trial(shifted):
    p = shifted.summary()["pairs"][0]
    assert p["prob_a_beats_b"] == 1.0
    assert p["min"] > 0


def test_same_name_inputs_draw_the_same_numbers_in_every_option():
    manila = load_scenario(SCENARIOS / "manila_financial_research.toml")
    bangalore = load_scenario(SCENARIOS / "bangalore_analytics.toml")
    c = compare([manila, bangalore], ["m", "b"], trials=20_000, seed=5, keep_inputs=True)
    (rm, rb) = c.results
    row = {name: i for i, name in enumerate(rm.model.input_names)}
    rowb = {name: i for i, name in enumerate(rb.model.input_names)}
    # Same distribution in both files: the same values.
    for name in ("workforce.onshore_cost_per_fte", "workforce.ramp_up_months",
                 "workforce.onshore_cost_growth"):
        assert np.array_equal(rm.inputs[row[name]], rb.inputs[rowb[name]]), name
    # Different distributions, same uniforms: the values move together trial by trial.
    name = "workforce.offshore_cost_per_fte"
    assert np.array_equal(np.argsort(rm.inputs[row[name]], kind="stable"),
                          np.argsort(rb.inputs[rowb[name]], kind="stable"))


def test_risk_counts_align_by_year_when_horizons_differ(minimal, data_dir):
    text = (data_dir / "minimal.toml").read_text().replace("horizon_years = 3", "horizon_years = 5")
    longer = parse_scenario(text)
    c = compare([minimal, longer], ["3 years", "5 years"], trials=20_000, seed=9)
    short, long_ = (r.components["Quality failure"] for r in c.results)
    # The first three years' events and losses are shared, so five years lose at least as much.
    assert np.all(long_ >= short - 1e-6 * np.abs(short))
    assert np.mean(long_ > short) > 0.9


def test_same_seed_gives_the_same_comparison_whatever_the_threads(minimal, dearer):
    one = compare([minimal, dearer], ["a", "b"], trials=70_000, seed=2, threads=1)
    two = compare([minimal, dearer], ["a", "b"], trials=70_000, seed=2, threads=2)
    assert np.array_equal(one.difference(0, 1), two.difference(0, 1))


# --- validation --------------------------------------------------------------------------------

def test_too_many_trials_for_memory_is_a_clear_value_error_before_running(minimal):
    model = compile_scenario(minimal)
    with pytest.raises(ValueError, match=r"GiB.*use at most"):
        check_memory([model, model], 10**9)
    with pytest.raises(ValueError, match="GiB"):
        compare([minimal, minimal], ["a", "b"], trials=10**10)


def test_fewer_than_two_options_is_refused(minimal):
    with pytest.raises(ValueError, match="at least two"):
        compare([minimal], trials=100)


def test_options_in_different_currencies_are_refused(minimal, data_dir):
    text = (data_dir / "minimal.toml").read_text().replace('currency = "USD"', 'currency = "EUR"')
    with pytest.raises(ValueError, match="currency"):
        compare([minimal, parse_scenario(text)], ["usd", "eur"], trials=100)


def test_option_names_must_be_distinct(minimal):
    with pytest.raises(ValueError, match="distinct"):
        compare([minimal, minimal], ["same", "same"], trials=100)


# --- comparison.json ---------------------------------------------------------------------------

def test_summary_has_option_figures_pair_figures_and_provenance(shifted, data_dir):
    s = json.loads(json.dumps(shifted.summary(), allow_nan=False))
    assert [o["name"] for o in s["options"]] == ["base", "dearer"]
    for o in s["options"]:
        assert {"mean", "p5", "p95", "prob_loss", "cvar_5", "stderr"} <= set(o["net_savings"])
    base = s["options"][0]["net_savings"]
    assert base["mean"] == pytest.approx(shifted.net(0).mean())
    pair = s["pairs"][0]
    assert (pair["a"], pair["b"]) == ("base", "dearer")
    assert "workforce.offshore_cost_per_fte" in pair["shared_random_inputs"]
    prov = s["provenance"]
    assert prov["seed"] == 11 and prov["trials"] == 50_000
    sha = hashlib.sha256((data_dir / "minimal.toml").read_bytes()).hexdigest()
    assert prov["scenarios"][0]["scenario_sha256"] == sha


def test_differing_horizons_are_flagged_in_the_summary(data_dir):
    text = (data_dir / "minimal.toml").read_text()
    c = compare([parse_scenario(text),
                 parse_scenario(text.replace("horizon_years = 3", "horizon_years = 5"))],
                ["m", "b"], trials=1000)
    assert any("horizons" in w for w in c.summary()["warnings"])


def test_differing_team_sizes_are_flagged_in_the_summary(data_dir):
    text = (data_dir / "minimal.toml").read_text()
    c = compare([parse_scenario(text),
                 parse_scenario(text.replace("onshore_fte = 20", "onshore_fte = 40"))],
                ["small", "large"], trials=1000)
    assert any("different amounts of work" in w and "small: 20" in w
               for w in c.summary()["warnings"])


def test_shipped_options_share_one_horizon():
    infos = [load_scenario(SCENARIOS / f"{n}.toml").scenario for n in
             ("manila_financial_research", "bangalore_analytics", "mexico_city_backoffice",
              "santiago_research")]
    assert len({(x.horizon_years, x.discount_rate, x.cash_flow_timing) for x in infos}) == 1


def test_options_for_the_same_team_and_horizon_carry_no_warning(minimal):
    assert compare([minimal, minimal], ["a", "b"], trials=1000).summary()["warnings"] == []


# --- charts ------------------------------------------------------------------------------------

def test_box_plot_statistics_come_from_percentiles(shifted):
    cd = shifted.chart_data()
    st = box_stats(cd.options[0])
    x = shifted.net(0)
    assert st["q1"] == pytest.approx(np.percentile(x, 25), rel=1e-3)
    assert st["whislo"] == pytest.approx(np.percentile(x, 5), rel=1e-3)
    assert st["whishi"] == pytest.approx(np.percentile(x, 95), rel=1e-3)
    assert st["fliers"] == []


def test_chart_data_holds_no_per_trial_arrays(shifted):
    cd = shifted.chart_data()
    sizes = [o.quantile_values.size for o in cd.options] + [h.counts.size for h in cd.pairs]
    assert max(sizes) <= 1001 and cd.trials == 50_000


def test_difference_histogram_has_an_edge_at_zero_and_counts_every_non_tie(shifted, minimal):
    h = shifted.chart_data().pairs[0]
    assert np.any(np.isclose(h.edges, 0.0, atol=1e-9 * np.ptp(h.edges)))
    assert h.counts.sum() + h.below + h.above == shifted.trials
    same = compare([minimal, minimal], ["a", "b"], trials=1000).chart_data().pairs[0]
    assert same.prob_tie == 1.0 and same.counts.sum() == 0


def test_difference_chart_title_states_who_wins_and_how_often(shifted):
    fig = plot_difference(shifted.chart_data(), 0)
    title = fig.axes[0].get_title(loc="left")
    assert "base beats dearer in 100% of trials" in title
    colours = {tuple(p.get_facecolor()[:3]) for p in fig.axes[0].patches
               if isinstance(p, StepPatch)}
    assert len(colours) == 1  # only the winner's side has trials


def test_s_curves_draw_one_line_per_option(shifted):
    fig = plot_compare_scurves(shifted.chart_data())
    labelled = [line for line in fig.axes[0].get_lines()
                if not line.get_label().startswith("_")]
    assert [line.get_label().split(":")[0] for line in labelled] == ["base", "dearer"]
    assert "every level of confidence" in fig.axes[0].get_title(loc="left")


def test_box_plot_title_names_the_highest_median(shifted):
    title = plot_compare_boxes(shifted.chart_data()).axes[0].get_title(loc="left")
    assert title.startswith("base has the highest median")


def test_write_compare_charts_writes_png_and_svg_per_chart(shifted, tmp_path):
    paths = write_compare_charts(shifted.chart_data(), tmp_path, keys=["minimal", "dearer"])
    assert set(paths) == {"s_curves", "box_plot", "difference_minimal_vs_dearer"}
    for stem in paths:
        assert (tmp_path / f"{stem}.png").stat().st_size > 0
        assert (tmp_path / f"{stem}.svg").stat().st_size > 0


def test_write_comparison_refuses_to_overwrite_without_force(shifted, tmp_path):
    target = tmp_path / "compare-a-b"
    write_comparison(shifted, target, charts=False)
    with pytest.raises(FileExistsError, match="--force"):
        write_comparison(shifted, target, charts=False)
    write_comparison(shifted, target, force=True, charts=False)
    assert json.loads((target / "comparison.json").read_text())["trials"] == 50_000
    assert [p.name for p in tmp_path.iterdir()] == ["compare-a-b"]  # no temporary left


# --- command line ------------------------------------------------------------------------------

def _invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def files(tmp_path, data_dir):
    a, b = tmp_path / "manila.toml", tmp_path / "dearer.toml"
    shutil.copy(data_dir / "minimal.toml", a)
    b.write_text(a.read_text().replace(OFFSHORE, DEARER))
    return a, b


def test_cli_compare_writes_comparison_json_and_charts(files, tmp_path):
    out = tmp_path / "results"
    res = _invoke("compare", *files, "-n", 20_000, "-s", 4, "-o", out)
    assert res.exit_code == 0, res.output
    folder = out / "compare-manila-dearer"
    s = json.loads((folder / "comparison.json").read_text())
    assert [o["name"] for o in s["options"]] == ["manila", "dearer"]
    assert s["pairs"][0]["prob_a_beats_b"] == 1.0
    for stem in ("s_curves", "box_plot", "difference_manila_vs_dearer"):
        assert (folder / f"{stem}.png").exists() and (folder / f"{stem}.svg").exists()
    assert "Mean difference" in res.output and "Chance A beats B" in res.output


def test_cli_compare_of_a_file_with_itself_differs_by_zero(files, tmp_path):
    res = _invoke("compare", files[0], files[0], "-n", 5000, "-o", tmp_path, "-q")
    assert res.exit_code == 0, res.output
    s = json.loads((tmp_path / "compare-manila-manila" / "comparison.json").read_text())
    assert [o["name"] for o in s["options"]] == ["manila", "manila (2)"]
    assert s["pairs"][0]["max"] == s["pairs"][0]["min"] == 0.0


def test_cli_compare_refuses_to_overwrite_without_force(files, tmp_path):
    assert _invoke("compare", *files, "-n", 1000, "-o", tmp_path, "-q").exit_code == 0
    res = _invoke("compare", *files, "-n", 1000, "-o", tmp_path, "-q")
    assert res.exit_code == 2 and "already exists" in res.output and "--force" in res.output
    assert _invoke("compare", *files, "-n", 1000, "-o", tmp_path, "-q", "-f").exit_code == 0


def test_cli_compare_bad_scenario_exits_2_with_the_loader_message(files, tmp_path):
    files[1].write_text(files[1].read_text().replace("sd = 8_000", "sd = -8_000"))
    res = _invoke("compare", *files, "-o", tmp_path / "out")
    assert res.exit_code == 2
    assert "dearer.toml" in res.output and "workforce.onshore_cost_per_fte.sd" in res.output
    assert not (tmp_path / "out").exists()


def test_cli_compare_needs_two_scenarios(files, tmp_path):
    res = _invoke("compare", files[0], "-o", tmp_path)
    assert res.exit_code == 2 and "at least two" in res.output


def test_cli_compare_names_label_the_options(files, tmp_path):
    res = _invoke("compare", *files, "-n", 1000, "-o", tmp_path, "-q",
                  "--names", "Manila,Manila 5% dearer")
    assert res.exit_code == 0, res.output
    s = json.loads((tmp_path / "compare-manila-dearer" / "comparison.json").read_text())
    assert [o["name"] for o in s["options"]] == ["Manila", "Manila 5% dearer"]
    assert _invoke("compare", *files, "--names", "only one", "-o", tmp_path).exit_code == 2
