"""The Excel workbook (report.xlsx), read back with openpyxl, and its year-by-year cash flows."""
import json
import math
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook

from simulator import load_scenario, scenario_from_dict, simulate
from simulator.analysis.compare import compare
from simulator.output.comparison import write_comparison
from simulator.output.report import regenerate
from simulator.output.workbook import (
    WORKBOOK,
    CashFlowsUnavailable,
    figure_rows,
    money_format,
    truncated,
    yearly_means,
)
from simulator.output.write import write_results

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent
EXCEL = 1e-14  #: Excel keeps 15 significant digits, and openpyxl writes no more


def same(x: float) -> object:
    return pytest.approx(x, rel=EXCEL, abs=1e-9)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("xlsx") / "minimal"
    summary = write_results(simulate(load_scenario(DATA / "minimal.toml"), trials=30_000,
                                     seed=5), folder, formats=("png", "xlsx"))
    return folder, summary, load_workbook(folder / WORKBOOK)


def _table(ws, first: str) -> list[tuple]:
    """The rows of a sheet from the one whose first cell is ``first`` to the next blank."""
    rows = list(ws.iter_rows())
    start = next(i for i, r in enumerate(rows) if r[0].value == first)
    out = []
    for r in rows[start + 1:]:
        if r[0].value is None:
            break
        out.append(r)
    return out


def test_workbook_has_every_sheet(run):
    _, _, wb = run
    assert wb.sheetnames == ["Summary", "Components", "Assumptions", "Tolerance", "Controls",
                             "Cash flows", "Charts", "Audit"]


def test_summary_sheet_values_equal_summary_json_with_number_formats(run):
    _, summary, wb = run
    rows = _table(wb["Summary"], "Figure")
    expected = figure_rows(summary)
    assert [r[0].value for r in rows] == [e[1] for e in expected]
    ns = summary["net_savings"]
    by_label = {r[0].value: r for r in rows}
    mean = by_label["Expected net savings"]
    assert mean[1].value == same(ns["mean"])
    assert (mean[3].value, mean[4].value) == (same(ns["ci95"][0]), same(ns["ci95"][1]))
    assert mean[1].number_format == money_format("USD") and "#,##0" in mean[1].number_format
    p = by_label["Chance of a net loss"]
    assert p[1].value == same(ns["prob_loss"]) and p[1].number_format == "0.00%"
    assert p[2].value == pytest.approx(1.959963984540054 * ns["prob_loss_stderr"])
    p5 = by_label["P5 net savings"]
    assert [p5[1].value, p5[3].value, p5[4].value] == \
        [same(x) for x in (ns["p5"], *ns["percentile_ci95"]["p5"])]


def test_components_sheet_values_equal_summary_json(run):
    _, summary, wb = run
    rows = _table(wb["Components"], "Cost line or risk")
    got = {r[0].value: (r[1].value, r[2].value, r[4].value, r[5].value) for r in rows}
    assert got == {name: (c["category"], same(c["mean"]), same(c["p5"]), same(c["p95"]))
                   for name, c in summary["components"].items()}
    assert all(r[2].number_format == money_format("USD") for r in rows)


def test_assumptions_sheet_gives_quantiles_as_numbers_in_their_unit(run):
    _, _, wb = run
    rows = {r[2].value: r for r in _table(wb["Assumptions"], "Group")}
    cost = rows["workforce.offshore_cost_per_fte"]
    from simulator.scenario.model import parse_distribution as parse

    d = parse({"dist": "pert", "min": 30_000, "mode": 36_000, "max": 50_000})
    assert [c.value for c in cost[4:7]] == pytest.approx(
        [float(d.quantile(q)) for q in (0.05, 0.5, 0.95)], rel=1e-12)
    assert cost[4].number_format == money_format("USD")
    assert rows["workforce.offshore_cost_growth"][4].number_format == "0.0%"


def test_cash_flows_add_up_to_the_run_means(run):
    folder, summary, wb = run
    flows = json.loads((folder / "cash_flows.json").read_text())
    pv = flows["present_value"]
    assert math.fsum(pv["net savings"]) == pytest.approx(summary["net_savings"]["mean"],
                                                         rel=1e-12)
    assert math.fsum(pv["gross wage savings"]) == pytest.approx(
        summary["gross_wage_savings"]["mean"], rel=1e-12)
    for cat, mean in summary["categories"].items():
        assert math.fsum(pv[cat]) == pytest.approx(mean, rel=1e-9, abs=1e-6)
    rows = {r[0].value: r for r in _table(wb["Cash flows"], "Undiscounted")[1:]}
    assert [c.value for c in rows["Net savings"][1:4]] == pytest.approx(
        flows["nominal"]["net savings"])


def test_cash_flows_of_a_fixed_scenario_match_the_closed_form():
    """No uncertainty and no risks: year t saves 10 * 100,000 * 1.03^(t-1) - 10 * 40,000,
    less a 50,000 transition cost in year 1 and a yearly 20,000 from year 2."""
    s = scenario_from_dict({
        "scenario": {"name": "fixed", "horizon_years": 4, "discount_rate": 0.1},
        "workforce": {"onshore_fte": 10, "onshore_cost_per_fte": 100_000,
                      "onshore_cost_growth": 0.03, "offshore_fte": 10,
                      "offshore_cost_per_fte": 40_000},
        "costs": [{"name": "T", "category": "transition", "timing": "once", "amount": 50_000},
                  {"name": "G", "category": "governance", "timing": "yearly", "amount": 20_000,
                   "start_year": 2}]})
    flows = yearly_means(s, trials=1000, seed=1)
    gross = [10 * 100_000 * 1.03 ** (t - 1) - 400_000 for t in range(1, 5)]
    assert flows["nominal"]["gross wage savings"] == pytest.approx(gross, rel=1e-12)
    assert flows["nominal"]["transition"] == pytest.approx([50_000, 0, 0, 0], abs=1e-6)
    assert flows["nominal"]["governance"] == pytest.approx([0, 20_000, 20_000, 20_000],
                                                           abs=1e-6)
    assert flows["discount_factors"] == pytest.approx([1.1 ** -k for k in range(4)])


def test_cut_scenarios_draw_the_same_numbers_for_the_years_they_share():
    """Per trial, a risk's loss up to year 2 never exceeds its loss up to year 3, and a cost
    drawn once per trial costs the same in year 1 whatever the horizon: the years shared are
    the same draws, which is what makes the year-by-year means exact."""
    s = load_scenario(DATA / "minimal.toml")
    full = simulate(s, trials=20_000, seed=9)
    cut = simulate(truncated(s, 2)[0], trials=20_000, seed=9)
    names = full.model.component_names
    for i, name in enumerate(names):
        j = list(cut.model.component_names).index(name)
        assert np.all(cut.component_totals[j] <= full.component_totals[i] + 1e-6), name
    once = names.index("Transition and knowledge transfer")
    np.testing.assert_array_equal(cut.component_totals[once], full.component_totals[once])


def test_items_starting_after_the_cut_are_left_out():
    s = load_scenario(ROOT / "scenarios" / "template.toml")
    cut, dropped = truncated(s, 1)
    assert cut.scenario.horizon_years == 1 and dropped
    assert all(c.name not in dropped for c in cut.costs)


def test_a_cut_that_would_change_other_draws_is_refused():
    s = load_scenario(ROOT / "scenarios" / "template.toml")
    with pytest.raises(CashFlowsUnavailable, match="sampling lhs"):
        yearly_means(s, trials=2000, seed=1, sampling="lhs")


def test_charts_sheet_holds_the_run_charts_as_images(run):
    _, _, wb = run
    assert len(wb["Charts"]._images) == 5


def test_report_command_writes_the_workbook_later(run, tmp_path):
    import shutil

    folder, summary, _ = run
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    (copy / WORKBOOK).unlink()
    paths = regenerate(copy, xlsx=True)
    wb = load_workbook(paths["xlsx"])
    assert _table(wb["Summary"], "Figure")[0][1].value == same(summary["net_savings"]["mean"])


def test_comparison_workbook_has_a_sheet_per_option_and_the_differences(tmp_path):
    base = load_scenario(DATA / "minimal.toml")
    c = compare([base, load_scenario(DATA / "engaged.toml")], ["Manila: base", "Engaged"],
                trials=20_000, seed=3)
    summary = write_comparison(c, tmp_path / "cmp", formats=("png", "xlsx"))
    wb = load_workbook(tmp_path / "cmp" / WORKBOOK)
    assert wb.sheetnames == ["Overview", "Manila  base", "Engaged", "Differences", "Charts",
                             "Audit"]
    for sheet, option in zip(("Manila  base", "Engaged"), summary["options"], strict=False):
        rows = {r[0].value: r for r in _table(wb[sheet], "Figure")}
        assert rows["Expected net savings"][1].value == same(option["net_savings"]["mean"])
    diff = _table(wb["Differences"], "Pair")[0]
    pair = summary["pairs"][0]
    assert diff[1].value == same(pair["mean_difference"])
    assert diff[3].value == same(pair["prob_a_beats_b"]) and diff[3].number_format == "0.00%"
