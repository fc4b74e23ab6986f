"""The decision pack from the command line: compare's report, --formats xlsx, report --xlsx,
breakeven --out, analyses joining the report, and the terminal's rounding and intervals."""
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.cli import main
from simulator.present.formatting import format_error, format_percent

DATA = Path(__file__).parent / "data"
OFFSHORE = "offshore_cost_per_fte = { dist = \"pert\", min = 30_000, mode = 36_000, max = 50_000 }"
DEARER = "offshore_cost_per_fte = { dist = \"pert\", min = 31_500, mode = 37_800, max = 52_500 }"


def kposim(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False,
                              env={"COLUMNS": "200"})


@pytest.fixture
def files(tmp_path):
    a, b = tmp_path / "krakow.toml", tmp_path / "bangalore.toml"
    shutil.copy(DATA / "minimal.toml", a)
    b.write_text(a.read_text().replace(OFFSHORE, DEARER))
    return a, b


def test_compare_writes_the_report_pdf_and_workbook(files, tmp_path):
    res = kposim("compare", *files, "-n", 20_000, "-o", tmp_path, "--formats", "png,pdf,xlsx")
    assert res.exit_code == 0, res.output
    folder = tmp_path / "compare-krakow-bangalore"
    assert all((folder / n).is_file() for n in ("report.html", "report.pdf", "report.xlsx",
                                               "comparison.csv", "key_figures.csv"))
    assert f"decision report: {folder / 'report.html'} and report.pdf and report.xlsx" \
        in res.output.replace("\n", "")
    assert "krakow saves " in res.output and "First-order dominance" in res.output
    assert kposim("report", folder).exit_code == 0


def test_compare_refuses_an_unknown_format(files, tmp_path):
    res = kposim("compare", *files, "-n", 1000, "-o", tmp_path, "--formats", "png,docx")
    assert res.exit_code == 2 and "--formats" in res.output
    assert not (tmp_path / "compare-krakow-bangalore").exists()


def test_run_terminal_shows_the_report_figures_and_summary_json_intervals(files, tmp_path):
    res = kposim("run", files[0], "-n", 140_000, "-s", 3, "-o", tmp_path, "--sampling", "lhs")
    assert res.exit_code == 0, res.output
    ns = json.loads((tmp_path / "krakow" / "summary.json").read_text())["net_savings"]
    half = (ns["ci95"][1] - ns["ci95"][0]) / 2  # batch means, Student's t with 2 d.f.
    assert format_error(half, "USD") in res.output
    assert format_error(1.959963984540054 * ns["stderr"], "USD") not in res.output
    assert format_percent(ns["prob_loss"]) in res.output


def test_run_with_xlsx_and_report_adding_it_later(files, tmp_path):
    res = kposim("run", files[0], "-n", 20_000, "-o", tmp_path, "-q", "--formats", "png,xlsx")
    assert res.exit_code == 0, res.output
    folder = tmp_path / "krakow"
    assert (folder / "report.xlsx").is_file()
    (folder / "report.xlsx").unlink()
    res = kposim("report", folder, "--xlsx")
    assert res.exit_code == 0 and "report.xlsx" in res.output
    assert (folder / "report.xlsx").is_file()


def test_breakeven_out_joins_the_run_report(files, tmp_path):
    assert kposim("run", files[0], "-n", 20_000, "-o", tmp_path, "-q").exit_code == 0
    res = kposim("breakeven", files[0], "--param", "workforce.offshore_cost_per_fte",
                 "--target", "mean=0", "-n", 5000, "--out", tmp_path)
    assert res.exit_code == 0, res.output
    assert res.output.startswith("Mean net savings reach $0 at Offshore cost per FTE, per "
                                 "year = $")
    assert "added to the report" in res.output
    assert 'id="breakeven"' in (tmp_path / "krakow" / "report.html").read_text()
    again = kposim("breakeven", files[0], "--param", "workforce.offshore_cost_per_fte",
                   "--target", "mean=0", "-n", 5000, "--out", tmp_path)
    assert again.exit_code == 2 and "--force" in again.output


def test_an_analysis_without_a_run_says_which_commands_add_it_to_a_report(files, tmp_path):
    res = kposim("sweep", files[0], "--param", "workforce.offshore_fte=20:40:3", "-n", 2000,
                 "-o", tmp_path)
    assert res.exit_code == 0, res.output
    assert f"kposim run {files[0]} --out {tmp_path}, then kposim report {tmp_path / 'krakow'}" \
        in res.output.replace("\n", "")


def test_breakeven_beyond_a_distribution_s_range_names_where_it_searched(files):
    res = kposim("breakeven", files[0], "--param", "workforce.offshore_cost_per_fte",
                 "--target", "mean=1e12", "-n", 1000)
    assert res.exit_code == 2
    assert "P1" in res.output and "P99" in res.output and "--bracket" in res.output
