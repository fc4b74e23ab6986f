"""The comparison's decision pack: dominance, the decision sentence, report.html, CSVs."""
import csv
import html
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from simulator import load_scenario, parse_scenario
from simulator.analysis.compare import compare, dominance
from simulator.output.comparison import write_comparison
from simulator.output.report import regenerate
from simulator.present.report.compare import compare_sentence, dominance_sentence, side_by_side
from simulator.present.report.content import headline_figures

DATA = Path(__file__).parent / "data"
OFFSHORE = "offshore_cost_per_fte = { dist = \"pert\", min = 30_000, mode = 36_000, max = 50_000 }"
DEARER = "offshore_cost_per_fte = { dist = \"pert\", min = 31_500, mode = 37_800, max = 52_500 }"
WIDER = "offshore_cost_per_fte = { dist = \"pert\", min = 10_000, mode = 36_000, max = 95_000 }"


def _variant(text: str, name: str):
    base = (DATA / "minimal.toml").read_text()
    assert OFFSHORE in base
    return parse_scenario(base.replace(OFFSHORE, text), source=f"{name}.toml")


# --- dominance over plain arrays ---------------------------------------------------------------

def test_a_shifted_copy_dominates_and_its_rival_is_ahead_nowhere():
    b = np.random.default_rng(1).normal(0.0, 1.0, 20_000)
    d = dominance(b + 0.3, b)
    assert d["verdict"] == "a" and d["gap_b"] == 0.0
    assert d["gap_a"] > 0.1 and d["gap_a_stderr"] > 0


def test_the_reverse_order_gives_the_reverse_verdict():
    b = np.random.default_rng(2).normal(0.0, 1.0, 20_000)
    assert dominance(b, b + 0.3)["verdict"] == "b"


def test_same_mean_different_spread_cross_so_neither_dominates():
    z = np.random.default_rng(3).normal(0.0, 1.0, 50_000)
    assert dominance(2.0 * z, z)["verdict"] == "neither"


def test_identical_options_are_identical():
    z = np.random.default_rng(4).normal(size=1000)
    d = dominance(z, z.copy())
    assert d["verdict"] == "identical" and d["gap_a"] == d["gap_b"] == 0.0


def test_largest_gap_is_the_largest_difference_of_the_empirical_cdfs():
    rng = np.random.default_rng(5)
    a, b = rng.normal(0.2, 1.0, 300), rng.normal(0.0, 1.3, 300)
    grid = np.concatenate([a, b])
    gap = np.array([np.mean(b <= x) - np.mean(a <= x) for x in grid])
    d = dominance(a, b)
    assert d["gap_a"] == pytest.approx(gap.max()) and d["gap_b"] == pytest.approx(-gap.min())
    at = d["at_a"]
    diff = (b <= at).astype(float) - (a <= at)
    assert d["gap_a_stderr"] == pytest.approx(diff.std(ddof=1) / math.sqrt(a.size))


# --- a written comparison -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """minimal.toml against a 5% dearer provider (dominated) and one with a much wider
    offshore cost (the curves cross), written with every report format."""
    base = load_scenario(DATA / "minimal.toml")
    c = compare([base, _variant(DEARER, "dearer"), _variant(WIDER, "wider")],
                ["Kraków", "Dearer", "Wider"], trials=40_000, seed=7)
    folder = tmp_path_factory.mktemp("cmp") / "compare"
    summary = write_comparison(c, folder, keys=["krakow", "dearer", "wider"],
                               formats=("png", "svg", "pdf"))
    return c, summary, folder


def test_comparison_pairs_carry_their_dominance_verdict(written):
    _, summary, _ = written
    verdicts = {(p["a"], p["b"]): p["dominance"]["verdict"] for p in summary["pairs"]}
    assert verdicts[("Kraków", "Dearer")] == "a"
    assert verdicts[("Kraków", "Wider")] == "neither"


def test_decision_sentence_names_the_leader_its_lead_and_how_often_it_is_ahead(written):
    _, summary, _ = written
    pair = next(p for p in summary["pairs"] if (p["a"], p["b"]) == ("Kraków", "Dearer"))
    from simulator.present.formatting import format_money, format_percent
    text = compare_sentence(summary)
    # Offshore cost means: Kraków $37.3K, Dearer $39.2K, Wider $41.5K a year.
    lead = format_money(pair["mean_difference"], "USD")
    assert text.startswith(f"Kraków saves {lead} more than Dearer on average")
    assert f"ahead in {format_percent(pair['prob_a_beats_b'])} of futures" in text
    assert "it first-order stochastically dominates Dearer" in text
    assert text.endswith(", ".join(
        f"{o['name']} {format_money(o['net_savings']['mean'], 'USD')}"
        for o in summary["options"]) + ".")


def test_report_html_holds_the_sentence_tables_charts_and_dominance(written):
    _, summary, folder = written
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert html.escape(compare_sentence(summary)) in page
    for p in summary["pairs"]:
        assert html.escape(dominance_sentence(p, summary["currency"])) in page
    for sid in ("decision", "figures", "differences", "charts", "costs", "tolerance",
                "assumptions", "provenance"):
        assert f'id="{sid}"' in page
    for stem in ("s_curves", "waterfalls", "loss_exceedance", "box_plot",
                 *(p["chart"] for p in summary["pairs"])):
        assert f'id="{stem}"' in page
    assert (folder / "report.pdf").read_bytes().startswith(b"%PDF")


def test_side_by_side_figures_are_each_options_own_headline_figures(written):
    c, _, _ = written
    rows = side_by_side(c.option_summaries())
    for i, s in enumerate(c.option_summaries()):
        assert [cells[i] for _, cells in rows] == [(f.value, f.error)
                                                   for f in headline_figures(s)]


def test_each_option_folder_lets_the_report_be_rebuilt(written, tmp_path):
    _, summary, folder = written
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    (copy / "report.html").unlink()
    paths = regenerate(copy)
    assert paths["html"].is_file() and "pdf" in paths  # it had a PDF: rebuilt too
    assert html.escape(compare_sentence(summary)) in paths["html"].read_text(encoding="utf-8")
    for o in summary["options"]:
        sub = copy / "options" / o["key"]
        assert json.loads((sub / "summary.json").read_text())["net_savings"]["mean"] == \
            pytest.approx(o["net_savings"]["mean"])


def test_comparison_csv_holds_every_pair_figure_of_the_json(written):
    _, summary, folder = written
    with open(folder / "comparison.csv", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    for p in summary["pairs"]:
        name = f"{p['a']} minus {p['b']}"
        got = {r["statistic"]: r["value"] for r in rows if r["section"] == "pair"
               and r["name"] == name}
        assert float(got["mean_difference"]) == p["mean_difference"]
        assert float(got["prob_a_beats_b"]) == p["prob_a_beats_b"]
        assert got["dominance"] == p["dominance"]["verdict"]


def test_key_figures_csv_is_the_side_by_side_table_as_shown(written):
    c, summary, folder = written
    with open(folder / "key_figures.csv", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    table = side_by_side(c.option_summaries())
    assert [r["figure"] for r in rows] == [label for label, _ in table]
    for r, (_, cells) in zip(rows, table, strict=False):
        value, error = cells[0]
        shown = "\u2212" + value[1:] if value.startswith("-") else value  # inert for Excel
        assert (r["Kraków: value"], r["Kraków: ± 95% error"]) == (shown, error)
