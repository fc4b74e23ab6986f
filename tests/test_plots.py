"""The chart set: money formats, files written, and what the charts draw from ChartData."""
from dataclasses import replace

import matplotlib as mpl
import matplotlib.image as mpimg
import numpy as np
import pytest
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle, StepPatch

from simulator.output.charts import write_charts
from simulator.present.formatting import format_error, format_percent
from simulator.present.plots import (
    CHARTS,
    format_money,
    money_formatter,
    plot_distribution,
    plot_loss_exceedance,
    plot_scurve,
    plot_waterfall,
    save,
)
from simulator.present.plots.distribution import LOSS_GID
from simulator.present.plots.style import FIGSIZE
from simulator.results.chartdata import ChartData


def _exceedance(losses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    thresholds = np.geomspace(1e3, losses.max(), 50)
    return thresholds, (losses[:, None] > thresholds).mean(axis=0)


@pytest.fixture(scope="module")
def data() -> ChartData:
    """20,000 synthetic trials: net savings ~ N($1.5M, $1.2M), so about 10% are losses."""
    rng = np.random.default_rng(1)
    x = rng.normal(1.5e6, 1.2e6, 20_000)
    counts, edges = np.histogram(x, bins=60)
    levels = np.linspace(0.0, 1.0, 201)
    breach = rng.binomial(1, 0.05, x.size) * rng.lognormal(np.log(1e6), 0.5, x.size)
    exit_ = rng.binomial(1, 0.10, x.size) * rng.lognormal(np.log(3e5), 0.5, x.size)
    costs = {"transition": 4.1e5, "governance": 2.0e5, "communication": 6e5, "quality": 3e5,
             "breach": 1.5e5}
    p5, p50, p95 = np.percentile(x, (5, 50, 95))
    return ChartData(
        scenario_name="Synthetic", currency="USD", horizon_years=3, trials=x.size,
        hist_edges=edges, hist_counts=counts.astype(np.int64), mean=float(x.mean()),
        p5=float(p5), p50=float(p50), p95=float(p95), prob_loss=float((x < 0).mean()),
        cvar_5=float(np.sort(x)[: x.size // 20].mean()), quantile_levels=levels,
        quantile_values=np.quantile(x, levels), gross_mean=float(x.mean()) + sum(costs.values()),
        category_costs=costs,
        exceedance={"All risk events": _exceedance(breach + exit_), "Breach": _exceedance(breach),
                    "Exit": _exceedance(exit_)},
        convergence=_running_mean(x))


def _running_mean(x: np.ndarray, chunk: int = 2000) -> tuple[np.ndarray, ...]:
    n = np.arange(chunk, x.size + 1, chunk, dtype=np.float64)
    mean = np.array([x[: int(k)].mean() for k in n])
    half = np.array([1.96 * x[: int(k)].std(ddof=1) / np.sqrt(k) for k in n])
    return n, mean, half


@pytest.mark.parametrize("amount, currency, expected", [
    (1.2e6, "USD", "$1.20M"),
    (-3.5e5, "USD", "-$350K"),
    (0.0, "USD", "$0"),
    (-0.4, "USD", "$0"),
    (12.5e9, "USD", "$12.5B"),
    (3e12, "USD", "$3.00T"),
    (1e6, "USD", "$1.00M"),
    (1.665e6, "USD", "$1.67M"),
    (1.25e6, "USD", "$1.25M"),
    (12_345.0, "USD", "$12.3K"),
    (45.8, "USD", "$46"),
    (999.0, "USD", "$999"),
    (999_960.0, "USD", "$1.00M"),
    (9_996.0, "USD", "$10.0K"),
    (3.4e6, "EUR", "€3.40M"),
    (-2.5e5, "GBP", "-£250K"),
    (9.87e7, "INR", "₹98.7M"),
    (1.2e6, "CHF", "CHF 1.20M"),
    (1.2e6, "chf", "CHF 1.20M"),
    (float("nan"), "USD", "n/a"),
])
def test_format_money_gives_three_significant_figures(amount, currency, expected):
    assert format_money(amount, currency) == expected


def test_format_error_gives_two_significant_figures():
    from simulator.present.formatting import format_error
    assert format_error(5_673.0, "USD") == "± $5.7K"
    assert format_error(-910.4, "USD") == "± $910"


def test_money_axis_formatter_keeps_two_decimals_for_ticks():
    fmt = money_formatter("EUR")
    assert [fmt(v, i) for i, v in enumerate((-5e5, 0.0, 1.25e6, 2e6))] == \
        ["-€500K", "€0", "€1.25M", "€2M"]


@pytest.mark.parametrize("p, expected", [(0.0, "0%"), (0.1234, "12.3%"), (0.0155, "1.55%"),
                                         (0.004, "0.400%"), (0.0004, "0.0400%"),
                                         (0.9996, "99.96%"), (0.99996, "99.996%"),
                                         (1.0, "100%")])
def test_format_percent(p, expected):
    assert format_percent(p) == expected


@pytest.mark.parametrize("stem", list(CHARTS))
def test_each_chart_writes_non_empty_png_and_svg(data, tmp_path, stem):
    paths = save(CHARTS[stem](data), tmp_path, stem)
    assert [p.name for p in paths] == [f"{stem}.png", f"{stem}.svg"]
    png, svg = paths
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 10_000
    assert b"<svg" in svg.read_bytes()[:1000] and svg.stat().st_size > 10_000


def test_png_is_at_least_150_dpi(data, tmp_path):
    png = save(plot_distribution(data), tmp_path, "dist", formats=("png",))[0]
    height, width = mpimg.imread(png).shape[:2]
    assert width / FIGSIZE[0] >= 150 and height / FIGSIZE[1] >= 150


@pytest.mark.parametrize("stem", ["loss_exceedance", "waterfall"])
def test_png_has_the_pixels_savefig_gives(data, tmp_path, stem):
    """save() lays a PNG out and draws it once, and stores it as RGB: the same image as
    matplotlib's own savefig, which draws twice and stores RGBA."""
    from PIL import Image

    png = save(CHARTS[stem](data), tmp_path, stem, formats=("png",))[0]
    CHARTS[stem](data).savefig(tmp_path / "ref.png", dpi=150, facecolor="white")
    ours, ref = Image.open(png), Image.open(tmp_path / "ref.png")
    assert ours.mode == "RGB" and ours.info["dpi"] == pytest.approx((150, 150), abs=0.1)
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(ref.convert("RGB")))


def test_titles_are_pinned_only_where_matplotlib_would_not_move_them(data, tmp_path):
    """_pin_titles() spares matplotlib's title placement where it would leave the titles at
    the top of the axes; never above x ticks on top or beside an offset text ("1e7")."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from simulator.present.plots.style import _pin_titles, figure, titles

    def pinned(setup) -> bool:
        fig, ax = figure()
        ax.plot([0, 1], [5e7, 5.0001e7])  # the default formatter shows an offset here
        setup(ax)
        titles(ax, "A title", "a subtitle")
        FigureCanvasAgg(fig)
        return _pin_titles(fig) == [ax]

    assert pinned(lambda ax: ax.yaxis.set_major_formatter(money_formatter("USD")))
    assert not pinned(lambda ax: None)
    assert not pinned(lambda ax: (ax.yaxis.set_major_formatter(money_formatter("USD")),
                                  ax.xaxis.tick_top()))
    fig = plot_waterfall(data)
    save(fig, tmp_path, "w", formats=("png",))
    assert fig.axes[0]._autotitlepos is True  # switched back on after drawing


@pytest.mark.parametrize("limits", [((3e3, 2e7), (8e-4, 130.0)), ((1.0, 1e4), (0.2, 7.0))])
def test_minor_tick_marks_look_like_matplotlibs_minor_ticks(limits):
    """minor_tick_marks() draws one line of marks where matplotlib would draw a Tick apiece:
    the same pixels, on log axes of several spans (major ticks on some decades only), but
    where a mark meets the other axis (drawn after it now, before it then): a shade or two."""
    import io

    from matplotlib.ticker import LogLocator, NullFormatter

    from simulator.present.plots.style import figure, style_axes
    from simulator.present.plots.ticks import minor_tick_marks

    def png(marks: bool) -> np.ndarray:
        fig, ax = figure()
        style_axes(ax, "y")
        ax.plot([1, 10, 1e6], [100, 1, 1e-3])
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(*limits[0])
        ax.set_ylim(*limits[1])
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        for axis in (ax.xaxis, ax.yaxis):
            minor_tick_marks(axis) if marks else axis.set_minor_formatter(NullFormatter())
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100)
        return mpimg.imread(io.BytesIO(buf.getvalue()))

    ours, theirs = png(True), png(False)
    assert np.abs(ours - theirs).max() <= 2 / 255 + 1e-6
    assert (ours != theirs).any(axis=2).sum() <= 3


def test_png_bytes_keeps_transparency():
    import io

    from PIL import Image

    from simulator.present.plots.style import png_bytes

    rgba = np.random.default_rng(0).integers(0, 256, (7, 5, 4), dtype=np.uint8)
    image = Image.open(io.BytesIO(png_bytes(rgba, 150, {"Software": "x"})))
    assert image.mode == "RGBA" and image.info["Software"] == "x"
    np.testing.assert_array_equal(np.asarray(image), rgba)


def test_write_charts_writes_the_standard_charts(data, tmp_path):
    written = write_charts(data, tmp_path / "new_dir", formats=("png",))
    assert set(written) == {"net_savings_distribution", "s_curve", "waterfall",
                            "loss_exceedance", "convergence"}
    assert all(len(paths) == 1 and paths[0].is_file() for paths in written.values())


def test_svg_output_is_reproducible(data, tmp_path):
    a = save(plot_waterfall(data), tmp_path / "a", "w", formats=("svg",))[0]
    b = save(plot_waterfall(data), tmp_path / "b", "w", formats=("svg",))[0]
    assert a.read_bytes() == b.read_bytes()


def test_drawing_leaves_matplotlib_settings_alone(data, tmp_path):
    before = dict(mpl.rcParams)
    write_charts(data, tmp_path, formats=("png", "svg"))
    assert dict(mpl.rcParams) == before


def _loss_patches(fig) -> list[StepPatch]:
    return [a for a in fig.axes[0].patches if a.get_gid() == LOSS_GID]


def test_distribution_shades_exactly_the_bins_below_zero(data):
    (patch,) = _loss_patches(plot_distribution(data))
    edges = data.hist_edges
    n = int(np.sum(edges[:-1] < 0))  # bins starting below zero; the last straddles zero
    assert 0 < n < edges.size - 1 and edges[n] > 0
    shaded = patch.get_data()
    share = data.hist_counts / data.trials * 100
    np.testing.assert_allclose(shaded.values, share[:n])
    np.testing.assert_allclose(shaded.edges, np.append(edges[:n], 0.0))


def test_distribution_without_losing_bins_shades_nothing(data):
    shifted = replace(data, hist_edges=data.hist_edges - data.hist_edges[0] + 1.0, prob_loss=0.0)
    assert _loss_patches(plot_distribution(shifted)) == []


def test_distribution_histogram_uses_the_given_bins(data):
    full = [a for a in plot_distribution(data).axes[0].patches
            if isinstance(a, StepPatch) and a.get_gid() != LOSS_GID]
    assert len(full) == 1
    np.testing.assert_array_equal(full[0].get_data().edges, data.hist_edges)


@pytest.mark.parametrize("plot", [plot_distribution, plot_waterfall])
def test_title_contains_the_formatted_mean(data, plot):
    assert format_money(data.mean, "USD") in plot(data).axes[0].get_title(loc="left")


def _bars(fig) -> dict[str, Rectangle]:
    return {p.get_gid(): p for p in fig.axes[0].patches if isinstance(p, Rectangle) and p.get_gid()}


def test_waterfall_final_bar_top_equals_the_mean(data):
    net = _bars(plot_waterfall(data))["bar-net"]
    assert net.get_y() == 0.0
    assert net.get_y() + net.get_height() == pytest.approx(data.mean)


def test_waterfall_steps_chain_from_gross_to_net(data):
    bars = _bars(plot_waterfall(data))
    level = data.gross_mean
    assert bars["bar-gross"].get_height() == pytest.approx(level)
    for name, cost in data.category_costs.items():
        bar = bars[f"bar-{name}"]
        assert (bar.get_y(), bar.get_height()) == (pytest.approx(level), pytest.approx(-cost))
        level -= cost
    assert level == pytest.approx(data.mean)


def test_waterfall_bars_cross_zero_for_a_net_loss(data):
    costs = dict(data.category_costs, transition=4e6)  # net savings turn negative
    losing = replace(data, category_costs=costs,
                     mean=data.gross_mean - sum(costs.values()))
    bars = _bars(plot_waterfall(losing))
    transition = bars["bar-transition"]
    assert transition.get_y() > 0 > transition.get_y() + transition.get_height()
    assert bars["bar-net"].get_height() == pytest.approx(losing.mean) and losing.mean < 0


def test_waterfall_with_negative_gross_savings_starts_below_zero(data):
    neg = replace(data, gross_mean=-1e6, mean=-1e6 - sum(data.category_costs.values()))
    gross = _bars(plot_waterfall(neg))["bar-gross"]
    assert (gross.get_y(), gross.get_height()) == (0.0, -1e6)


def test_waterfall_closes_an_unitemised_gap(data):
    gap = replace(data, mean=data.mean - 2e5)
    bars = _bars(plot_waterfall(gap))
    assert bars["bar-not itemised"].get_height() == pytest.approx(-2e5)


def test_scurve_marks_the_chance_of_saving_at_zero(data):
    lines = plot_scurve(data).axes[0].get_lines()
    dots = [ln for ln in lines if ln.get_marker() == "o" and list(ln.get_xdata()) == [0.0]]
    assert len(dots) == 1
    assert dots[0].get_ydata()[0] == pytest.approx((1 - data.prob_loss) * 100)


def test_scurve_is_one_minus_the_cdf(data):
    curve = max(plot_scurve(data).axes[0].get_lines(), key=lambda ln: len(ln.get_xdata()))
    np.testing.assert_allclose(curve.get_ydata()[1:-1], (1 - data.quantile_levels) * 100)
    np.testing.assert_allclose(curve.get_xdata()[1:-1], data.quantile_values)


def _curves(fig) -> dict[str, Line2D]:
    return {ln.get_label(): ln for ln in fig.axes[0].get_lines()}


def test_exceedance_draws_one_line_per_label_on_a_log_axis(data):
    fig = plot_loss_exceedance(data)
    assert set(_curves(fig)) == set(data.exceedance)
    assert fig.axes[0].get_xscale() == "log"
    assert _curves(fig)["All risk events"].get_linewidth() > _curves(fig)["Breach"].get_linewidth()


def test_exceedance_skips_zero_probabilities(data):
    t = np.array([1e4, 1e5, 1e6, 1e7])
    fig = plot_loss_exceedance(replace(data, exceedance={
        "All risk events": (t, np.array([0.3, 0.1, 0.0, 0.0]))}))
    np.testing.assert_array_equal(_curves(fig)["All risk events"].get_xdata(), t[:2])


@pytest.mark.parametrize("exceedance", [{}, {"All risk events": (np.empty(0), np.empty(0)),
                                             "Breach": (np.empty(0), np.empty(0))}])
def test_exceedance_without_risk_losses_draws_a_note(data, tmp_path, exceedance):
    fig = plot_loss_exceedance(replace(data, exceedance=exceedance))
    notes = [t.get_text() for t in fig.axes[0].texts]
    assert any(n.startswith("No risk event") for n in notes)
    assert save(fig, tmp_path, "empty", formats=("png",))[0].stat().st_size > 0


def test_convergence_title_states_the_final_mean_and_half_width(data):
    from simulator.present.plots import plot_convergence

    fig = plot_convergence(data)
    title = fig.axes[0].get_title(loc="left")
    n, mean, half = data.convergence
    assert format_money(mean[-1], "USD") in title and format_error(half[-1], "USD") in title
    assert f"{int(n[-1]):,} trials" in title


def test_convergence_band_is_drawn_around_the_running_mean(data):
    from simulator.present.plots import plot_convergence

    ax = plot_convergence(data).axes[0]
    line = ax.get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), data.convergence[1])


def test_convergence_without_a_record_says_so():
    from simulator.present.plots import plot_convergence

    d = _empty_convergence()
    texts = [t.get_text() for t in plot_convergence(d).axes[0].texts]
    assert "No convergence record for this run" in texts


def _empty_convergence():
    rng = np.random.default_rng(0)
    x = rng.normal(size=100)
    counts, edges = np.histogram(x, bins=10)
    levels = np.linspace(0, 1, 11)
    return ChartData(scenario_name="x", currency="USD", horizon_years=1, trials=100,
                     hist_edges=edges, hist_counts=counts, mean=0.0, p5=-1.6, p50=0.0, p95=1.6,
                     prob_loss=0.5, cvar_5=-2.0, quantile_levels=levels,
                     quantile_values=np.quantile(x, levels), gross_mean=0.0)


def test_importing_the_chart_and_report_modules_leaves_matplotlib_unloaded():
    """matplotlib loads in the drawing processes only: the main process of a run is spared
    its import (about half a second)."""
    import subprocess
    import sys

    code = ("import sys, simulator.present.plots, simulator.present.report, simulator.output.write; "
            "sys.exit('matplotlib' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_titles_are_broken_between_words_only_when_too_wide_for_the_figure():
    from simulator.present.plots.style import (
        TITLE_SIZE,
        _text_width_in,
        _title_room,
        figure,
        titles,
    )

    def drawn(title: str) -> str:
        fig, ax = figure()
        titles(ax, title)
        return ax.get_title(loc="left")

    room = _title_room(figure()[1])

    short = "Mean net savings $3M ± $2.5K (95%) after 1,000,000 trials"
    assert drawn(short) == short
    long = ("A finding stated at such length that no slide could ever hold it on one line, so "
            "it must wrap at the edge")
    lines = drawn(long).split("\n")
    assert len(lines) == 2 and " ".join(lines) == long
    assert all(_text_width_in(line, TITLE_SIZE, "bold") <= room for line in lines)


def test_wrapping_by_bisection_breaks_where_word_by_word_filling_does():
    """wrap_to_width() finds each line's words by bisection: the same lines as adding words
    one at a time while they fit (empty words from doubled spaces included)."""
    import random

    from simulator.present.plots.style import _text_width_in, wrap_to_width

    def word_by_word(text: str, width: float, size: float, weight: str) -> str:
        lines = []
        for paragraph in text.split("\n"):
            line = ""
            for word in paragraph.split(" "):
                trial = f"{line} {word}" if line else word
                if line and _text_width_in(trial, size, weight) > width:
                    lines.append(line)
                    line = word
                else:
                    line = trial
            lines.append(line)
        return "\n".join(lines)

    rng = random.Random(1)
    vocab = ["a", "risk", "events", "$1.04M;", "1", "in", "100", "", "supercalifragilistic",
             "W", "Kraków", "·"]
    for _ in range(60):
        text = " ".join(rng.choice(vocab) for _ in range(rng.randint(0, 20)))
        text = text.replace(" in ", "\nin ", 1) if rng.random() < 0.3 else text
        width = rng.uniform(0.2, 6.0)
        size, weight = rng.choice([(15.0, "bold"), (11.0, "normal")])
        assert wrap_to_width(text, width, size, weight) == word_by_word(text, width, size, weight)


def test_jobs_run_in_the_drawing_process_give_their_results_in_order():
    """In a new process (forking needs one without other threads, which pytest may have);
    the process must also exit promptly, drawing process and all."""
    import subprocess
    import sys

    code = ("from simulator.output.charts import run_jobs, start_workers\n"
            "pool = start_workers()\n"
            "assert pool is not None\n"
            "assert run_jobs([(pow, (2, k)) for k in range(7)], pool) == [2**k for k in range(7)]\n"
            "pool.shutdown()\n")
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


def test_charts_drawn_in_worker_processes_equal_those_drawn_here(data, tmp_path):
    from simulator.output.charts import write_charts

    write_charts(data, tmp_path / "here", formats=("svg",), pool=None)
    for stem, plot in CHARTS.items():
        save(plot(data), tmp_path / "inline", stem, formats=("svg",))
        assert (tmp_path / "here" / f"{stem}.svg").read_bytes() == \
            (tmp_path / "inline" / f"{stem}.svg").read_bytes()
