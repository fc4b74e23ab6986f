"""Sensitivity, sweeps and break-even searches reach the run's report; break-even output."""
import html
import json
import shutil
from pathlib import Path

import pytest

from simulator import load_scenario, simulate
from simulator.analysis.sensitivity import analyze
from simulator.analysis.sweep import Axis, breakeven, suggested_bracket, sweep
from simulator.output.write import write_breakeven, write_results, write_sensitivity, write_sweep
from simulator.present.report.content import breakeven_sentence

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(DATA / "minimal.toml")


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory, scenario):
    folder = tmp_path_factory.mktemp("analyses") / "minimal"
    write_results(simulate(scenario, trials=20_000, seed=2), folder)
    return folder


@pytest.fixture
def folder(run_folder, tmp_path):
    copy = tmp_path / "minimal"
    shutil.copytree(run_folder, copy)
    return copy


def _page(folder: Path) -> str:
    return (folder / "report.html").read_text(encoding="utf-8")


def test_a_sweep_written_into_a_run_folder_joins_its_report(folder, scenario):
    r = sweep(scenario, [Axis.parse("workforce.offshore_fte=20:60:5")], trials=3000)
    paths = write_sweep(r, folder / "sweep")
    assert paths == {"html": folder / "report.html"}
    page = _page(folder)
    assert 'id="sweep"' in page and "Sweep of Offshore staff" in page


def test_a_two_parameter_sweep_joins_the_report_with_its_contour_caption(folder, scenario):
    r = sweep(scenario, [Axis.parse("workforce.offshore_fte=20:60:3"),
                         Axis.parse("workforce.offshore_cost_per_fte=30000:60000:3")],
              trials=2000)
    write_sweep(r, folder / "sweep")
    assert "dashed contour is the break-even" in _page(folder)


def test_a_breakeven_written_into_a_run_folder_joins_its_report(folder, scenario):
    b = breakeven(scenario, "workforce.offshore_fte", "mean", 0.0, trials=5000, curve_points=5)
    write_breakeven(b, folder / "breakeven")
    page = _page(folder)
    assert 'id="breakeven"' in page and html.escape(breakeven_sentence(b)) in page
    assert json.loads((folder / "breakeven" / "breakeven.json").read_text())["breakeven"] == \
        b["breakeven"]
    assert (folder / "breakeven" / "breakeven.png").stat().st_size > 10_000


def test_sensitivity_written_into_a_run_folder_joins_its_report(folder, scenario):
    write_sensitivity(analyze(scenario, trials=2000, seed=1), folder / "sensitivity")
    page = _page(folder)
    assert all(f'id="{stem}"' in page for stem in ("tornado", "drivers", "tail_drivers"))


def test_an_analysis_outside_a_run_folder_leaves_no_report(tmp_path, scenario):
    r = sweep(scenario, [Axis.parse("workforce.offshore_fte=20:30:2")], trials=1000)
    assert write_sweep(r, tmp_path / "alone" / "sweep") is None
    assert not (tmp_path / "alone" / "report.html").exists()


def test_breakeven_sentence_gives_the_answer_and_interval_in_the_parameters_unit(scenario):
    b = breakeven(scenario, "workforce.offshore_cost_per_fte", "mean", 0.0, trials=5000)
    text = breakeven_sentence(b)
    assert text.startswith("Mean net savings reach $0 at Offshore cost per FTE, per year = $")
    assert "(95% interval $" in text


def test_breakeven_of_a_distribution_searches_from_its_p1_to_p99(scenario):
    from simulator.scenario.model import parse_distribution as parse

    d = parse({"dist": "pert", "min": 30_000, "mode": 36_000, "max": 50_000})
    p1, p99 = suggested_bracket(scenario, "workforce.offshore_cost_per_fte")
    assert (p1, p99) == pytest.approx((float(d.quantile(0.01)), float(d.quantile(0.99))))
    assert suggested_bracket(scenario, "workforce.offshore_fte") is None  # a constant


def test_a_failed_search_names_the_p1_p99_it_started_from(scenario):
    with pytest.raises(ValueError, match=r"P1 .* and P99 .*--bracket"):
        breakeven(scenario, "workforce.offshore_cost_per_fte", "mean", 1e12, trials=1000)


def test_breakeven_curve_holds_every_evaluation_in_order_with_the_root(scenario):
    b = breakeven(scenario, "workforce.offshore_fte", "mean", 0.0, trials=3000, curve_points=7)
    values = [c["value"] for c in b["curve"]]
    assert values == sorted(values) and b["breakeven"] in values
    assert len(values) >= 7 + 2 and b["label"] == "Offshore staff" and b["unit"] == "fte"
