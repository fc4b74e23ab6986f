"""The decision report (report.html, report.pdf) and the audit trail (summary.csv, trials.npz),
without a browser (see test_report_browser.py for that)."""
import base64
import csv
import html
import json
import math
import re
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from simulator import load_scenario, simulate
from simulator.cli import main
from simulator.engine.run import control_returns
from simulator.output.audit import load_trials
from simulator.present.formatting import format_error, format_money
from simulator.present.plots import CHARTS
from simulator.present.plots.sensitivity import CHARTS as SENSITIVITY_CHARTS
from simulator.present.report.content import decision_sentence, in_words
from simulator.present.report.html import render_html
from simulator.present.report.pdf import ASSUMPTION_ROWS_PER_PAGE, ROWS_PER_PAGE
from simulator.results.chartdata import ChartData
from simulator.scenario.compiled import compile_scenario
from simulator.scenario.model import parse_distribution as parse

ROOT = Path(__file__).parent.parent
TRIALS = 20_000


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """One run of the minimal scenario through the command line, with --save-trials and
    every format (SVG charts, PDF report)."""
    tmp = tmp_path_factory.mktemp("report")
    scenario = tmp / "manila.toml"
    shutil.copy(ROOT / "tests" / "data" / "minimal.toml", scenario)
    res = run("run", scenario, "-n", TRIALS, "-s", 3, "-o", tmp / "results", "-q",
              "--save-trials", "--formats", "png,svg,pdf")
    assert res.exit_code == 0, res.output
    return tmp / "results" / "manila"


@pytest.fixture(scope="module")
def summary(folder):
    return json.loads((folder / "summary.json").read_text())


@pytest.fixture(scope="module")
def page(folder):
    return (folder / "report.html").read_text(encoding="utf-8")


def pdf_pages(path: Path) -> int:
    """Page objects in a PDF (matplotlib writes object dictionaries uncompressed)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", path.read_bytes()))


def inputs_of(scenario) -> list[str]:
    """Every input path the assumptions table must list: compiled inputs, then each risk's
    frequency and severity."""
    model = compile_scenario(scenario)
    risks = [f'risks["{r.name}"].{k}' for r in scenario.risks for k in ("frequency", "severity")]
    return list(model.input_names) + risks


def summary_with(mean, prob_loss, cvar, trials=1000):
    return {"scenario": "Move the team to Manila", "currency": "USD", "horizon_years": 3,
            "trials": trials, "net_savings": {"mean": mean, "prob_loss": prob_loss,
                                              "cvar_5": cvar}}


# --- what a run writes ----------------------------------------------------------------------

def test_run_writes_the_report_and_the_audit_files(folder):
    for name in ("report.html", "report.pdf", "summary.csv", "summary.json", "chartdata.npz",
                 "scenario.toml", "trials.npz"):
        assert (folder / name).stat().st_size > 0, name


def test_scenario_copy_is_byte_identical_to_the_file_that_was_run(folder, summary):
    import hashlib

    digest = hashlib.sha256((folder / "scenario.toml").read_bytes()).hexdigest()
    assert digest == summary["provenance"]["scenario_sha256"]


def test_chart_data_survives_a_round_trip_through_npz(tmp_path):
    d = simulate(load_scenario(ROOT / "tests/data/minimal.toml"), trials=5000,
                 seed=1).chart_data()
    d.save(tmp_path / "c.npz")
    back = ChartData.load(tmp_path / "c.npz")
    assert (back.mean, back.trials, back.category_costs) == (d.mean, d.trials, d.category_costs)
    np.testing.assert_array_equal(back.quantile_values, d.quantile_values)
    assert list(back.exceedance) == list(d.exceedance)
    np.testing.assert_array_equal(back.convergence[1], d.convergence[1])


# --- the decision in one sentence -----------------------------------------------------------

@pytest.mark.parametrize("mean, p, cvar, expected", [
    (1_900_000, 0.12, -600_000,
     "Move the team to Manila: the move saves $1.90M over 3 years on average; in 12.0% of "
     "trials it loses money; in the worst 5% of trials it loses $600K on average."),
    (-250_000, 0.7, -2_400_000,
     "Move the team to Manila: the move loses $250K over 3 years on average; in 70.0% of "
     "trials it loses money; in the worst 5% of trials it loses $2.40M on average."),
    (3_000_000, 0.0, 1_200_000,
     "Move the team to Manila: the move saves $3.00M over 3 years on average; it saved money "
     "in all 1,000 trials; even in the worst 5% of trials it still saves $1.20M on average."),
])
def test_decision_sentence_is_generated_from_the_numbers(mean, p, cvar, expected):
    assert decision_sentence(summary_with(mean, p, cvar)) == expected


def test_report_opens_with_the_decision_sentence(page, summary):
    first = page.index('<p class="decision">')
    assert html.escape(decision_sentence(summary)) in page[first:first + 1000]


# --- report.html ----------------------------------------------------------------------------

def test_report_has_every_section_in_order(page):
    ids = ["decision", "figures", "charts", "costs", "assumptions", "provenance"]
    positions = [page.index(f'id="{i}"') for i in ids]
    assert positions == sorted(positions)


def test_headline_table_gives_each_figure_with_its_monte_carlo_error(page, summary):
    table = page[page.index('id="figures"'):page.index('id="charts"')]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]
    assert len(rows) == 7
    assert all("± " in row for row in rows)
    lo, hi = summary["net_savings"]["ci95"]
    assert f"{format_money(summary['net_savings']['mean'])}</td>" in rows[0]
    assert f"{html.escape(format_error((hi - lo) / 2, 'USD'))}</td>" in rows[0]


def test_headline_error_is_the_interval_of_summary_json_whatever_the_design():
    """A Latin hypercube run's mean interval is from batch means (Student's t): the report
    shows that half-width, not 1.96 standard errors of independent trials."""
    from simulator.present.report.content import headline_figures

    s = load_scenario(ROOT / "tests/data/minimal.toml")
    summary = simulate(s, trials=140_000, seed=3, sampling="lhs").summary()
    ns = summary["net_savings"]
    half = (ns["ci95"][1] - ns["ci95"][0]) / 2
    assert half > 1.5 * 1.959963984540054 * ns["stderr"]  # 3 chunks: t with 2 d.f. is wide
    mean = next(f for f in headline_figures(summary) if f.key == "mean")
    assert mean.error == format_error(half, "USD")


def test_report_has_no_external_urls(page):
    assert not re.search(r"https?://|(src|href)\s*=\s*[\"']?//", page, re.I)


def test_inline_charts_refer_to_nothing_outside_themselves(page):
    uris = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page)
    assert len(uris) == len(CHARTS)
    for uri in uris:
        svg = base64.b64decode(uri).decode()
        assert svg.startswith("<svg")
        refs = re.findall(r'(?:href|src)="([^"]*)"', svg)
        assert [r for r in refs if not r.startswith("#")] == []  # internal references only
        assert "@import" not in svg and "url(http" not in svg


def test_report_has_no_scripts(page):
    assert "<script" not in page.lower()


def test_report_has_print_styles(page):
    assert "@media print" in page and "@page" in page


def test_assumptions_table_lists_every_input(page, folder):
    table = page[page.index('id="assumptions"'):page.index('id="provenance"')]
    missing = [p for p in inputs_of(load_scenario(folder / "scenario.toml"))
               if html.escape(p) not in table]
    assert missing == []


def test_assumptions_give_each_input_in_words_with_p5_p50_p95(page):
    table = page[page.index('id="assumptions"'):page.index('id="provenance"')]
    # workforce.offshore_cost_per_fte = pert(30,000, 36,000, 50,000)
    row = re.search(r"offshore_cost_per_fte</span></td>(.*?)</tr>", table, re.S).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    assert cells[0] == "PERT, $30K to $50K, most likely $36K"
    d = parse({"dist": "pert", "min": 30_000, "mode": 36_000, "max": 50_000})
    assert cells[1:] == [format_money(d.quantile(q)) for q in (0.05, 0.5, 0.95)]


@pytest.mark.parametrize("spec, words", [
    (5, "Fixed at 5"),
    ({"dist": "uniform", "min": 1, "max": 2}, "Uniform between 1 and 2"),
    ({"dist": "triangular", "min": 3, "mode": 6, "max": 12},
     "Triangular, 3 to 12, most likely 6"),
    ({"dist": "normal", "mean": 10, "sd": 2, "min": 0}, "Normal, mean 10, sd 2, "
                                                        "truncated below at 0"),
    ({"dist": "lognormal", "low": 100, "high": 800}, "Lognormal, 90% between 100 and 800"),
    ({"dist": "poisson", "mean": 0.5}, "Poisson, mean 0.5"),
    ({"dist": "empirical", "values": [1, 2, 3]}, "Resampled from 3 observations"),
])
def test_distributions_in_words(spec, words):
    assert in_words(parse(spec)) == words


def test_provenance_says_how_to_reproduce_the_run_and_where_the_trials_are(page, summary):
    section = page[page.index('id="provenance"'):]
    assert f"kposim run scenario.toml --trials {TRIALS} --seed 3" in section
    assert "trials.npz" in section
    for value in (summary["provenance"]["version"], summary["provenance"]["scenario_sha256"],
                  summary["provenance"]["created"]):
        assert value in section


def test_sections_for_analyses_not_run_are_left_out(page):
    for absent in ('id="tornado"', 'id="drivers"', 'id="comparison"', "Risk tolerance",
                   "<h3>Controls</h3>"):
        assert absent not in page


def test_tolerance_and_controls_sections_appear_when_the_scenario_sets_them():
    s = load_scenario(ROOT / "scenarios/template.toml")
    r = simulate(s, trials=5000, seed=2)
    r = replace(r, controls=control_returns(r))
    out = render_html(r.summary(), r.chart_data(), s, charts={})
    assert "Risk tolerance: the move" in out and "<h3>Controls</h3>" in out
    assert "Data loss prevention and provider audits" in out


def test_assumptions_of_a_scenario_with_controls_list_every_input():
    s = load_scenario(ROOT / "scenarios/template.toml")
    r = simulate(s, trials=2000, seed=2)
    out = render_html(r.summary(), r.chart_data(), s, charts={})
    assert [p for p in inputs_of(s) if html.escape(p) not in out] == []


def test_comparison_section_appears_when_a_comparison_is_given(summary, folder):
    comparison = {"currency": "USD", "options": [
        {"name": name, "net_savings": summary["net_savings"]} for name in ("Manila", "Pune")],
        "pairs": [{"a": "Manila", "b": "Pune", "mean_difference": 0.0,
                   "prob_a_beats_b": 0.5}]}
    s = load_scenario(folder / "scenario.toml")
    out = render_html(summary, ChartData.load(folder / "chartdata.npz"), s, charts={},
                      comparison=comparison)
    assert 'id="comparison"' in out and "Manila minus Pune" in out


# --- report.pdf -------------------------------------------------------------------------------

def test_pdf_has_the_expected_number_of_pages(folder, summary):
    inputs = len(inputs_of(load_scenario(folder / "scenario.toml")))
    expected = (1 + len(CHARTS) + math.ceil(len(summary["components"]) / ROWS_PER_PAGE)
                + math.ceil(inputs / ASSUMPTION_ROWS_PER_PAGE) + 1)
    assert pdf_pages(folder / "report.pdf") == expected


# --- summary.csv --------------------------------------------------------------------------------

def read_csv(folder):
    with open(folder / "summary.csv", newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def test_summary_csv_starts_with_a_byte_order_mark_for_excel(folder):
    assert (folder / "summary.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_summary_csv_has_one_row_per_statistic_and_component(folder, summary):
    rows = read_csv(folder)
    keys = [(r["section"], r["name"], r["statistic"]) for r in rows]
    assert len(keys) == len(set(keys))
    for name in summary["components"]:
        stats = {r["statistic"] for r in rows if r["section"] == "component" and r["name"] == name}
        assert stats == {"mean_cost", "stderr_cost", "p5_cost", "p95_cost"}
    net = {r["statistic"]: r for r in rows if r["section"] == "net_savings"}
    for stat in ("mean", "p5", "p50", "p95", "prob_loss", "cvar_5"):
        assert float(net[stat]["value"]) == summary["net_savings"][stat]
    assert [float(net["mean"]["ci95_low"]), float(net["mean"]["ci95_high"])] == \
        summary["net_savings"]["ci95"]


# --- --save-trials ------------------------------------------------------------------------------

def test_saved_trials_recompute_the_mean_in_summary_json(folder, summary):
    t = load_trials(folder / "trials.npz")
    assert t["net_savings"].shape == (TRIALS,)
    assert float(t["net_savings"].mean()) == pytest.approx(summary["net_savings"]["mean"],
                                                           rel=1e-12)


def test_saved_trials_add_up_from_gross_savings_and_components(folder):
    t = load_trials(folder / "trials.npz")
    net = t["gross_wage_savings"] - t["component_totals"].sum(axis=0)
    np.testing.assert_allclose(net, t["net_savings"], rtol=1e-9, atol=1e-3)


def test_saved_trials_hold_every_drawn_input(folder):
    t = load_trials(folder / "trials.npz")
    model = compile_scenario(load_scenario(folder / "scenario.toml"))
    assert t["input_names"] == list(model.input_names)
    assert t["inputs"].shape == (len(model.input_names), TRIALS)


def test_save_trials_with_streaming_statistics_exits_2(tmp_path):
    res = run("run", ROOT / "tests/data/minimal.toml", "-n", 1000, "-o", tmp_path, "-q",
              "--save-trials", "--statistics", "streaming")
    assert res.exit_code == 2 and "--save-trials" in res.output
    assert not (tmp_path / "minimal").exists()


# --- kposim report --------------------------------------------------------------------------------

def test_report_command_rebuilds_the_same_report_without_a_rerun(folder, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    for name in ("report.html", "report.pdf"):
        (copy / name).unlink()
    res = run("report", copy, "--pdf")
    assert res.exit_code == 0, res.output
    assert (copy / "report.html").read_text(encoding="utf-8") == \
        (folder / "report.html").read_text(encoding="utf-8")
    assert pdf_pages(copy / "report.pdf") == pdf_pages(folder / "report.pdf")


def test_report_command_rebuilds_the_pdf_only_where_there_was_one(folder, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    (copy / "report.pdf").unlink()
    res = run("report", copy)
    assert res.exit_code == 0, res.output
    assert (copy / "report.html").is_file() and not (copy / "report.pdf").exists()
    assert "report.pdf" not in res.output


def test_report_command_without_saved_chart_data_exits_2(folder, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    (copy / "chartdata.npz").unlink()
    res = run("report", copy)
    assert res.exit_code == 2 and "chartdata.npz" in res.output


def test_report_includes_the_sensitivity_charts_once_they_are_run(folder, tmp_path):
    out = tmp_path / "results"
    shutil.copytree(folder, out / "manila")
    res = run("sensitivity", out / "manila" / "scenario.toml", "-n", 2000, "-o", out, "-q")
    assert res.exit_code == 0, res.output
    # `sensitivity` writes OUT/<stem>/sensitivity/, and the copy's stem is "scenario".
    shutil.move(out / "scenario" / "sensitivity", out / "manila" / "sensitivity")
    before = pdf_pages(out / "manila" / "report.pdf")
    assert run("report", out / "manila").exit_code == 0
    page = (out / "manila" / "report.html").read_text(encoding="utf-8")
    assert all(f'id="{stem}"' in page for stem in SENSITIVITY_CHARTS)
    assert pdf_pages(out / "manila" / "report.pdf") == before + len(SENSITIVITY_CHARTS)


def test_pdf_uses_the_standard_fonts_when_every_name_is_latin(folder):
    pdf = (folder / "report.pdf").read_bytes()
    assert b"/BaseFont /Helvetica" in pdf and b"/Type3" not in pdf


def test_pdf_embeds_fonts_when_a_name_needs_them(tmp_path):
    from simulator import scenario_from_dict
    from simulator.present.report.pdf import write_pdf

    doc = {"scenario": {"name": "Back office to Pune (₹ costs)", "horizon_years": 2},
           "workforce": {"onshore_fte": 10, "onshore_cost_per_fte": 100_000, "offshore_fte": 10,
                         "offshore_cost_per_fte": {"dist": "uniform", "min": 30_000,
                                                   "max": 40_000}}}
    s = scenario_from_dict(doc)
    r = simulate(s, trials=2000, seed=1)
    pages = write_pdf(tmp_path / "r.pdf", r.summary(), r.chart_data(), s)
    pdf = (tmp_path / "r.pdf").read_bytes()
    assert b"/Type3" in pdf and pdf_pages(tmp_path / "r.pdf") == pages


def test_a_scenario_built_in_python_is_kept_as_json_and_the_report_rebuilds(tmp_path):
    from simulator import scenario_from_dict
    from simulator.output.report import regenerate
    from simulator.output.write import write_results

    doc = {"scenario": {"name": "Built in Python", "horizon_years": 2},
           "workforce": {"onshore_fte": 10, "onshore_cost_per_fte": 100_000, "offshore_fte": 10,
                         "offshore_cost_per_fte": {"dist": "uniform", "min": 30_000,
                                                   "max": 40_000}}}
    write_results(simulate(scenario_from_dict(doc), trials=2000, seed=1), tmp_path / "py")
    assert (tmp_path / "py" / "scenario.json").is_file()
    (tmp_path / "py" / "report.html").unlink()
    regenerate(tmp_path / "py")
    assert "workforce.offshore_cost_per_fte" in (tmp_path / "py" / "report.html").read_text()


def test_report_lists_the_correlations_and_the_design_and_reruns_with_it():
    s = load_scenario(ROOT / "scenarios/template.toml")  # declares one correlated pair
    r = simulate(s, trials=2000, seed=2, sampling="lhs")
    out = render_html(r.summary(), r.chart_data(), s, charts={})
    assert "<h3>Correlated inputs</h3>" in out and "+0.50" in out
    assert "Latin hypercube over the per-trial inputs" in out
    assert "--sampling lhs" in out


def test_report_of_an_uncorrelated_plain_run_has_no_correlation_table(page):
    assert "Correlated inputs" not in page and "plain Monte Carlo" in page


def test_deal_terms_section_is_left_out_for_a_scenario_without_them(page):
    assert 'id="deal-terms"' not in page


def engaged_page() -> str:
    s = load_scenario(ROOT / "tests/data/engaged.toml")
    r = simulate(s, trials=5000, seed=2)
    return render_html(r.summary(), r.chart_data(), s, charts={})


def test_deal_terms_describe_exit_recoveries_in_house_raises_and_currency():
    out = engaged_page()
    section = out[out.index('id="deal-terms"'):out.index('id="assumptions"')]
    for words in ("ends the engagement at a uniform point", "recovery per event",
                  "recovery per year", "secondary loss", "by 4 for the next 2 years",
                  "in-house risk", "PHP at 56 per USD"):
        assert words in html.unescape(section), words


def test_key_figures_give_the_chance_of_an_early_end_and_the_years_run():
    out = html.unescape(engaged_page())
    assert "Chance the engagement ends early" in out
    assert re.search(r"Years the engagement runs \(mean\).*?\d\.\d\d of 4", out, re.S)
    assert "the engagement ends early in" in out  # the decision sentence says it


def test_provider_currency_inputs_are_shown_in_that_currency():
    out = engaged_page()
    row = out[out.index("workforce.offshore_cost_per_fte"):][:600]
    assert "PHP 2M" in row and "$" not in row
