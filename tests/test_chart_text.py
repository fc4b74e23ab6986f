"""No chart title or label is cut off, and inputs are named by their plain labels.

Every chart kposim draws is written to PNG (through :func:`simulator.present.plots.style.save`, which
wraps a title the layout pushed past the edge), then every title, subtitle, axis label,
legend entry and annotation must lie inside the figure, as must everything drawn at all.
The scenarios use long names on purpose: a long risk name once pushed the contribution-to-
variance title off the figure ("...drives 23% of the va").
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from matplotlib.text import Text

from simulator import scenario_from_dict, simulate
from simulator.analysis.compare import compare
from simulator.analysis.sensitivity import analyze
from simulator.analysis.sweep import Axis, breakeven, sweep
from simulator.present.plots import CHARTS
from simulator.present.plots import compare as cplots
from simulator.present.plots.sensitivity import CHARTS as SENSITIVITY_CHARTS
from simulator.present.plots.style import save
from simulator.present.plots.sweep import plot_breakeven, plot_sweep_heatmap, plot_sweep_line

LONG_RISK = "Payment error (duplicate / misdirected payment to a supplier at quarter end)"
EDGE = 1.0  #: pixels of tolerance at the figure's edge


def scenario(name: str = "Forty AP/AR clerks from Chicago to a shared-service centre in "
                         "Kraków, with a managed-service provider") -> object:
    return scenario_from_dict({
        "scenario": {"name": name, "horizon_years": 3, "discount_rate": 0.08},
        "workforce": {"onshore_fte": 40,
                      "onshore_cost_per_fte": {"dist": "normal", "mean": 85_000, "sd": 6_000},
                      "offshore_fte": 44,
                      "offshore_cost_per_fte": {"dist": "pert", "min": 28_000, "mode": 34_000,
                                                "max": 45_000},
                      "ramp_up_months": {"dist": "triangular", "min": 3, "mode": 6, "max": 12}},
        "costs": [{"name": "Communication, coordination and lost productivity of the "
                           "onshore finance team", "category": "communication",
                   "timing": "yearly", "share_of": "onshore_cost",
                   "share": {"dist": "uniform", "min": 0.02, "max": 0.06}}],
        "risks": [{"name": LONG_RISK, "category": "quality",
                   "frequency": {"dist": "poisson", "mean": 2.0},
                   "severity": {"dist": "lognormal", "low": 5_000, "high": 400_000}},
                  {"name": "Client data breach at the provider", "category": "breach",
                   "frequency": {"dist": "poisson", "mean": 0.05},
                   "severity": {"dist": "lognormal", "low": 100_000, "high": 6_000_000}}],
        "tolerance": {"max_prob_loss": 0.1,
                      "loss_exceedance": [{"loss": 1_000_000, "max_probability": 0.05}]}})


def outside(fig, folder: Path) -> list[str]:
    """Write ``fig`` as PNG, then list every text (and the drawing as a whole) that reaches
    past the figure's edges."""
    save(fig, folder, "chart", formats=("png",))
    fig.draw_without_rendering()  # lay out again at the figure's own dpi, to measure
    renderer = fig._get_renderer()
    box = fig.bbox

    def out(b) -> bool:
        return (b.x0 < box.x0 - EDGE or b.y0 < box.y0 - EDGE or b.x1 > box.x1 + EDGE
                or b.y1 > box.y1 + EDGE)

    texts: list[Text] = [t for t in (getattr(fig, "_suptitle", None),
                                     getattr(fig, "_supxlabel", None)) if t is not None]
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        texts += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label,
                  *ax.texts]
        legend = ax.get_legend()
        if legend is not None:
            texts += legend.get_texts()
    for legend in fig.legends:
        texts += legend.get_texts()
    bad = [t.get_text() for t in texts
           if t.get_visible() and t.get_text() and out(t.get_window_extent(renderer))]
    if out(fig.get_tightbbox(renderer).transformed(fig.dpi_scale_trans)):
        bad.append("<something drawn outside the figure>")
    return bad


@pytest.fixture(scope="module")
def s():
    return scenario()


@pytest.fixture(scope="module")
def result(s):
    return simulate(s, trials=20_000, seed=4)


@pytest.fixture(scope="module")
def analysis(s):
    return analyze(s, trials=4_000, seed=4)


@pytest.mark.parametrize("stem", list(CHARTS))
def test_standard_chart_keeps_every_title_and_label_inside(result, tmp_path, stem):
    assert outside(CHARTS[stem](result.chart_data()), tmp_path) == []


@pytest.mark.parametrize("stem", list(SENSITIVITY_CHARTS))
def test_sensitivity_chart_keeps_every_title_and_label_inside(analysis, tmp_path, stem):
    assert outside(SENSITIVITY_CHARTS[stem](analysis), tmp_path) == []


def test_drivers_title_names_the_input_whole_by_its_plain_label(analysis):
    fig = SENSITIVITY_CHARTS["drivers"](analysis)
    top = max(analysis["drivers"]["rows"], key=lambda r: abs(r["contribution_to_variance"]))
    title = fig.axes[0].get_title(loc="left").replace("\n", " ")
    assert title.startswith(top["label"]) and "of the variation in net savings" in title
    assert "workforce." not in title and "risks[" not in title


def test_frequency_and_severity_of_a_long_named_risk_stay_apart(analysis, tmp_path):
    fig = SENSITIVITY_CHARTS["tornado"](analysis)
    labels = [t.get_text().replace("\n", " ") for t in fig.axes[0].get_yticklabels()]
    mine = [label for label in labels if label.startswith("Payment error")]
    assert sorted(mine) == sorted([f"{LONG_RISK}: events per year",
                                   f"{LONG_RISK}: loss per event"])


def test_sweep_and_breakeven_charts_keep_every_title_and_label_inside(s, tmp_path):
    one = sweep(s, [Axis.parse(f'risks["{LONG_RISK}"].frequency.mean=0.5:6:4')], trials=3000)
    two = sweep(s, [Axis.parse("workforce.offshore_fte=40:90:3"),
                    Axis.parse("workforce.offshore_cost_per_fte=30000:60000:3")], trials=3000)
    b = breakeven(s, "workforce.offshore_cost_per_fte", "mean", 0.0, trials=3000,
                  curve_points=5)
    for fig in (plot_sweep_line(one), plot_sweep_heatmap(two), plot_breakeven(b)):
        assert outside(fig, tmp_path) == []
    assert f"{LONG_RISK}: rate (mean events per year)" in \
        plot_sweep_line(one).axes[1].get_xlabel().replace("\n", " ")


def test_comparison_charts_keep_every_title_and_label_inside(s, tmp_path):
    other = scenario("Forty AP/AR clerks from Chicago to a captive centre in Bangalore")
    c = compare([s, other], ["Kraków shared-service centre (managed service)",
                             "Bangalore captive centre"], trials=10_000, seed=2)
    cd = c.chart_data()
    data = [r.chart_data() for r in c.results]
    names = list(c.names)
    figures = [cplots.plot_compare_scurves(cd), cplots.plot_compare_boxes(cd),
               cplots.plot_difference(cd, 0), cplots.plot_compare_waterfalls(names, data),
               cplots.plot_compare_exceedance(names, data)]
    for fig in figures:
        assert outside(fig, tmp_path) == []


def test_a_very_long_title_is_wrapped_not_cut(result, tmp_path):
    d = replace(result.chart_data(), scenario_name="x" * 59)
    fig = CHARTS["waterfall"](d)
    fig.axes[0].set_title("A finding " + "that goes on and on " * 8, loc="left")
    assert outside(fig, tmp_path) == []
    assert "\n" in fig.axes[0].get_title(loc="left")


def test_decision_charts_keep_every_title_and_label_inside(tmp_path):
    """kposim optimize's frontier and kposim voi's chart (docs/examples/decide.toml), the
    inputs named by their plain labels."""
    from simulator import load_scenario
    from simulator.analysis.optimize import optimize
    from simulator.analysis.voi import analyze as voi
    from simulator.present.plots.frontier import plot_frontier
    from simulator.present.plots.voi import plot_voi

    s = load_scenario(Path(__file__).parent.parent / "docs" / "examples" / "decide.toml")
    v = voi([s], trials=5000, seed=1, replicates=20)
    assert outside(plot_voi(v), tmp_path) == []
    assert outside(plot_frontier(optimize(s, trials=5000, seed=1)), tmp_path) == []
    ticks = [t.get_text().replace("\n", " ") for t in plot_voi(v).axes[0].get_yticklabels()]
    assert ticks and not any(t.startswith(("workforce.", "risks[", "costs[")) for t in ticks)
