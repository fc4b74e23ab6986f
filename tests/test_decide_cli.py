"""kposim optimize and kposim voi from the command line, their charts, and the report hook
that shows them once they have been run into a results folder."""
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "examples" / "decide.toml"


def pdf_pages(path: Path) -> int:
    """Page objects in a PDF (as tests/test_report.py counts them)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", path.read_bytes()))


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """A run of the worked example, then optimize and voi into the same results folder."""
    tmp = tmp_path_factory.mktemp("decide")
    scenario = tmp / "decide.toml"
    shutil.copy(EXAMPLE, scenario)
    out = tmp / "results"
    for args in (("run", scenario, "-n", 5000, "-q", "--formats", "png,svg,pdf"),
                 ("optimize", scenario, "-n", 5000, "--budget", 300_000, "-q"),
                 ("voi", scenario, "-n", 5000, "-q")):
        res = run(*args, "-o", out)
        assert res.exit_code == 0, res.output
    return out / "decide"


def test_optimize_writes_the_frontier(results):
    o = json.loads((results / "optimize" / "optimize.json").read_text())
    assert o["chosen"]["cost"] <= 300_000 and o["frontier"]
    assert (results / "optimize" / "frontier.svg").is_file()
    rows = (results / "optimize" / "frontier.csv").read_text().splitlines()
    assert len(rows) == 1 + len(o["frontier"])


def test_voi_writes_evpi_inputs_and_the_pilot(results):
    v = json.loads((results / "voi" / "voi.json").read_text())
    assert v["evpi"]["value"] >= max(r["value"] for r in v["inputs"])
    assert v["pilot"]["pilot_years"] == 1 and (results / "voi" / "voi.svg").is_file()


def test_report_shows_the_frontier_and_voi_charts_once_run(results):
    before = pdf_pages(results / "report.pdf")
    page_before = (results / "report.html").read_text(encoding="utf-8")
    assert 'id="frontier"' not in page_before  # the run came first: no hook yet
    assert run("report", results).exit_code == 0
    page = (results / "report.html").read_text(encoding="utf-8")
    assert 'id="frontier"' in page and 'id="voi"' in page
    assert "Which controls to buy" in page and "What is worth finding out" in page
    assert pdf_pages(results / "report.pdf") == before + 2


def test_optimize_prints_the_choice_and_its_margin(tmp_path):
    res = run("optimize", EXAMPLE, "-n", 3000, "-o", tmp_path, "--objective", "cvar5")
    assert res.exit_code == 0, res.output
    assert "chosen:" in res.output and "better by" in res.output


def test_optimize_without_controls_or_choices_exits_2(tmp_path):
    res = run("optimize", ROOT / "tests" / "data" / "minimal.toml", "-n", 1000, "-o", tmp_path)
    assert res.exit_code == 2 and "no [[controls]]" in res.output


def test_run_accepts_statistic_precision_targets(tmp_path):
    res = run("run", EXAMPLE, "-n", 1000, "-o", tmp_path, "--precision", "p95=1e9,prob_loss=0.5")
    assert res.exit_code == 0, res.output
    stop = json.loads((tmp_path / "decide" / "summary.json").read_text())["precision"]
    assert stop["met"] and set(stop["targets"]) == {"p95", "prob_loss"}


def test_run_refuses_statistic_targets_when_streaming(tmp_path):
    res = run("run", EXAMPLE, "-n", 1000, "-o", tmp_path, "--precision", "p5=10",
              "--statistics", "streaming")
    assert res.exit_code == 2 and "need the trials" in res.output
