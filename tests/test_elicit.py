"""Expert ranges to distributions: stated quantiles reproduced, PERT bounds solved, the
linear opinion pool against a direct computation, the mean-above-high warning, experts
files and `kposim elicit`."""
import math
import tomllib

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import stats

from simulator.analysis.elicit import (
    ElicitError,
    Expert,
    elicit,
    lognormal,
    pert,
    pool,
    read_experts,
)
from simulator.cli import main
from simulator.scenario.model import parse_distribution as parse

CONFIDENCES = (0.5, 0.8, 0.9, 0.98)


def _from_snippet(e):
    """The distribution a scenario file gets from the printed snippet."""
    (value,) = tomllib.loads(e.snippet()).values()
    return parse(value)


@pytest.mark.parametrize("confidence", CONFIDENCES)
def test_lognormal_reproduces_the_stated_quantiles(confidence):
    e = Expert(low=150_000, high=600_000, confidence=confidence)
    d = _from_snippet(lognormal(e))
    lo, hi = e.levels()
    assert d.quantile(lo) == pytest.approx(150_000, rel=1e-8)
    assert d.quantile(hi) == pytest.approx(600_000, rel=1e-8)


@pytest.mark.parametrize("confidence", CONFIDENCES)
@pytest.mark.parametrize("likely", (30_000, 33_000, 40_000, 48_000))
def test_pert_reproduces_the_stated_quantiles_and_keeps_the_mode(confidence, likely):
    e = Expert(low=30_000, likely=likely, high=50_000, confidence=confidence)
    result = pert(e)
    d = _from_snippet(result)
    lo, hi = e.levels()
    assert d.quantile(lo) == pytest.approx(30_000, rel=1e-8)
    assert d.quantile(hi) == pytest.approx(50_000, rel=1e-8)
    assert d.mode == likely and d.min < 30_000 and d.max > 50_000
    a, b = d.scipy().args
    assert a + b == pytest.approx(6.0)  # lambda = 4: still a PERT


def test_pert_needs_a_most_likely_value_inside_the_range():
    with pytest.raises(ElicitError, match="likely"):
        pert(Expert(low=1, high=2))
    with pytest.raises(ElicitError, match="between low and high"):
        pert(Expert(low=1, likely=3, high=2))


def test_elicit_picks_pert_with_a_mode_and_lognormal_without():
    assert elicit(Expert(low=1, likely=2, high=4)).family == "pert"
    assert elicit(Expert(low=1, high=4)).family == "lognormal"


def test_warns_exactly_when_the_mean_lies_above_high():
    # A lognormal's mean exceeds its (1 + c) / 2 quantile exactly when sigma > 2 z.
    z = stats.norm.ppf(0.75)
    for factor, warned in ((0.99, False), (1.01, True)):
        ratio = math.exp(2 * z * 2 * z * factor)  # high / low for sigma = 2 z * factor
        e = lognormal(Expert(low=10, high=10 * ratio, confidence=0.5))
        assert (e.mean > e.expert.high) == warned
        assert any("above the stated high" in w for w in e.warnings) == warned


def _direct_pool_cdf(x):
    # Independent of the module: the same two experts built straight from scipy.
    sigma = (math.log(900) - math.log(150)) / (2 * stats.norm.ppf(0.9))
    ln = stats.lognorm(sigma, scale=math.sqrt(150 * 900))
    p = parse(pert(Expert(low=100, likely=200, high=400)).table).scipy()
    return (2 * p.cdf(x) + ln.cdf(x)) / 3


@pytest.fixture
def panel():
    return pool([Expert(low=100, likely=200, high=400, weight=2, name="a"),
                 Expert(low=150, high=900, confidence=0.8, name="b")])


def test_pool_quantiles_match_a_direct_computation(panel):
    for q, x in panel.quantiles().items():
        assert _direct_pool_cdf(x) == pytest.approx(q, abs=1e-10)
    assert list(panel.quantiles()) == [0.05, 0.1, 0.5, 0.9, 0.95]


def test_pool_mean_is_the_weighted_mean_and_the_tabulation_keeps_it(panel):
    a, b = panel.members
    assert panel.mean == pytest.approx((2 * a.mean + b.mean) / 3, rel=1e-12)
    values = np.array(panel.tabulated())
    assert values.mean() == pytest.approx(panel.mean, rel=1e-10)
    assert panel.distribution().dist == "mixture"
    assert panel.distribution().mean() == pytest.approx(panel.mean, rel=1e-9)
    # each value is the mean of one cell, so it lies between the cell's quantiles
    n = panel.cells
    inner = np.array([panel.quantile(j / n) for j in range(1, n)])
    assert np.all(values[:-1] <= inner) and np.all(values[1:] >= inner)


def test_a_zero_weight_expert_does_not_move_the_pool():
    alone = pool([Expert(low=100, high=400), Expert(low=1, high=2, weight=0)])
    assert alone.quantile(0.9) == pytest.approx(lognormal(Expert(low=100, high=400))
                                                .distribution.quantile(0.9), rel=1e-10)


def test_read_experts_from_toml_and_csv(tmp_path):
    t = tmp_path / "e.toml"
    t.write_text('[[experts]]\nname = "a"\nlow = 1\nhigh = 3\nweight = 2\n'
                 '[[experts]]\nlow = 2\nlikely = 3\nhigh = 5\nconfidence = 0.8\n')
    a, b = read_experts(t)
    assert (a.name, a.weight, b.likely, b.confidence) == ("a", 2, 3, 0.8)
    c = tmp_path / "e.csv"
    c.write_text("name,low,likely,high,confidence,weight\nx,1,,3,0.9,1\ny,2,3,5,0.8,2\n")
    assert [e.likely for e in read_experts(c)] == [None, 3.0]


@pytest.mark.parametrize("name, text, message", [
    ("e.toml", "[[experts]]\nlow = 3\nhigh = 1\n", "experts[0].high: must be greater"),
    ("e.toml", "[[experts]]\nlow = 1\nhigh = 3\nconfidance = 0.9\n", "unknown key 'confidance'"),
    ("e.csv", "low,high,confidence\n1,3,0.9\n1,3,1.5\n", "e.csv:3: expert.confidence"),
    ("e.csv", "low,high\n1,x\n", "e.csv:2: high 'x' is not a number"),
])
def test_read_experts_names_the_bad_entry(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ElicitError, match=message.replace("[", r"\[").replace("]", r"\]")):
        read_experts(path)


# --------------------------------------------------------------------------- command line

def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_elicit_command_prints_snippet_mean_and_stated_quantiles():
    res = cli("elicit", "--low", 30000, "--likely", 36000, "--high", 50000,
              "--confidence", 0.8)
    assert res.exit_code == 0, res.output
    assert 'value = { dist = "pert", min = ' in res.output
    assert "P10 30,000" in res.output and "P90 50,000" in res.output and "mean" in res.output


def test_elicit_command_warns_about_a_mean_above_high():
    res = cli("elicit", "--low", 10, "--high", 1000, "--confidence", 0.5)
    assert res.exit_code == 0
    assert "warning" in res.stderr and "above the stated high 1000" in res.stderr


def test_elicit_command_pools_an_experts_file(tmp_path):
    path = tmp_path / "experts.toml"
    path.write_text('[[experts]]\nname = "a"\nlow = 100\nlikely = 200\nhigh = 400\n'
                    'weight = 2\n[[experts]]\nname = "b"\nlow = 150\nhigh = 900\n')
    res = cli("elicit", path)
    assert res.exit_code == 0, res.output
    assert "pool of 2 experts" in res.output and 'dist = "mixture"' in res.output


@pytest.mark.parametrize("args, message", [
    (["--low", 5, "--high", 3], "high: must be greater than low"),
    (["--high", 3], "give --low and --high"),
    (["--low", 1, "--high", 3, "--confidence", 1.2], "confidence"),
    (["--low", 1, "--high", 3, "--dist", "pert"], "a PERT needs the most likely value"),
    (["missing.toml"], "missing.toml: no such file"),
])
def test_elicit_command_refuses_bad_input_with_exit_code_2(args, message):
    res = cli("elicit", *args)
    assert res.exit_code == 2
    assert message in res.output and "Traceback" not in res.output


def test_pooled_snippet_samples_exactly_the_pool(panel):
    import tomllib

    from simulator.scenario.model import parse_distribution as parse

    d = parse(tomllib.loads(panel.snippet())["value"])
    for q in (0.05, 0.5, 0.95):
        assert float(d.quantile(q)) == pytest.approx(panel.quantile(q), rel=1e-9)
