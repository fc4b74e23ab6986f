"""Fitting distributions to data: recovery of known parameters within their standard errors,
AIC ranking, the goodness-of-fit test, the snippet round trip, data files and `kposim fit`."""
import json
import math

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import special, stats

from simulator.analysis.fit import (
    DataError,
    FitError,
    RoundTripError,
    check_snippet,
    fit_family,
    fit_sample,
    ks_distance,
    read_sample,
)
from simulator.cli import main

Z = 4.0  # standard errors allowed: a correct estimator fails with probability ~6e-5


def test_lognormal_recovers_mu_and_sigma_within_their_standard_errors():
    n, mu, sigma = 400, 10.0, 0.7
    x = stats.lognorm(sigma, scale=math.exp(mu)).rvs(n, random_state=1)
    f = fit_family(x, "lognormal", bootstrap=0)
    assert abs(f.params["mu"] - mu) < Z * sigma / math.sqrt(n)
    assert abs(f.params["sigma"] - sigma) < Z * sigma / math.sqrt(2 * n)


def test_gamma_recovers_shape_and_scale_within_fisher_standard_errors():
    n, k, theta = 500, 2.5, 4000.0
    x = stats.gamma(k, scale=theta).rvs(n, random_state=2)
    f = fit_family(x, "gamma", bootstrap=0)
    info = n * np.array([[special.polygamma(1, k), 1 / theta], [1 / theta, k / theta**2]])
    se = np.sqrt(np.diag(np.linalg.inv(info)))
    assert abs(f.params["shape"] - k) < Z * se[0]
    assert abs(f.params["scale"] - theta) < Z * se[1]


def test_normal_and_poisson_recover_their_parameters():
    x = stats.norm(100, 15).rvs(300, random_state=3)
    f = fit_family(x, "normal", bootstrap=0)
    assert abs(f.params["mean"] - 100) < Z * 15 / math.sqrt(300)
    assert abs(f.params["sd"] - 15) < Z * 15 / math.sqrt(600)
    counts = stats.poisson(3.2).rvs(300, random_state=4)
    g = fit_family(counts, "poisson", bootstrap=0)
    assert abs(g.params["mean"] - 3.2) < Z * math.sqrt(3.2 / 300)


@pytest.mark.parametrize("family, true, draw, key", [
    ("gamma", 2.0, lambda rng, n: rng.gamma(2.0, 10.0, n), "shape"),
    ("negative_binomial", 3.0, lambda rng, n: rng.negative_binomial(3.0, 3.0 / 9.0, n),
     "dispersion"),
])
def test_reported_standard_error_matches_the_spread_of_repeated_fits(family, true, draw, key):
    # R replicate fits: the sd of the estimates has relative standard error 1 / sqrt(2 ).
    rng, n, reps = np.random.default_rng(5), 500, 200
    estimates, reported = [], []
    for _ in range(reps):
        f = fit_family(draw(rng, n).astype(float), family, bootstrap=0)
        estimates.append(f.params[key])
        reported.append(f.stderr[key])
    assert abs(np.mean(estimates) - true) < Z * np.std(estimates) / math.sqrt(reps) + \
        0.1 * np.std(estimates)  # MLE bias is O(1/n), a tenth of an SE here at most
    assert np.std(estimates, ddof=1) / np.median(reported) == \
        pytest.approx(1.0, abs=Z / math.sqrt(2 * (reps - 1)))


def test_pert_fit_is_a_maximum_within_wilks_bounds_of_the_truth():
    # PERT(0, 3, 10) has beta shapes 2.2 and 3.8 (> 2: a regular problem), so
    # 2 (loglik(fit) - loglik(true)) is asymptotically chi-square with 3 degrees of freedom.
    true = stats.beta(2.2, 3.8, loc=0, scale=10)
    x = true.rvs(2000, random_state=6)
    f = fit_family(x, "pert", bootstrap=0)
    gain = f.loglik - true.logpdf(x).sum()
    assert 0 <= gain < stats.chi2(3).ppf(1 - 1e-4) / 2
    assert f.params["min"] < x.min() and f.params["max"] > x.max()


def test_triangular_fit_beats_the_true_parameters_and_keeps_every_observation():
    x = stats.triang(0.3, loc=10, scale=20).rvs(500, random_state=7)
    f = fit_family(x, "triangular", bootstrap=0)
    assert f.loglik >= stats.triang(0.3, loc=10, scale=20).logpdf(x).sum()
    assert f.params["min"] < x.min() and f.params["max"] > x.max()


@pytest.mark.parametrize("draw, best", [
    (lambda: stats.lognorm(1.0, scale=5e4).rvs(500, random_state=8), "lognormal"),
    (lambda: stats.gamma(0.7, scale=5e4).rvs(500, random_state=9), "gamma"),
    (lambda: stats.nbinom(2, 0.25).rvs(300, random_state=10), "negative_binomial"),
])
def test_aic_ranks_the_true_family_first_on_a_decisive_sample(draw, best):
    report = fit_sample(draw(), bootstrap=0)
    assert report.best.family == best
    assert report.delta_aic(report.fits[1]) > 4  # decisive, not a coin toss
    assert [f.aic for f in report.fits] == sorted(f.aic for f in report.fits)


def test_bootstrap_p_value_is_reproducible_and_rejects_a_wrong_family():
    x = stats.lognorm(1.0, scale=100).rvs(200, random_state=11)
    right = fit_family(x, "lognormal", bootstrap=99, seed=3)
    assert fit_family(x, "lognormal", bootstrap=99, seed=3).p_value == right.p_value
    wrong = fit_family(x, "normal", bootstrap=99, seed=3)
    assert wrong.p_value == pytest.approx(1 / 100)  # no refit of a normal sample is that far
    assert right.p_value > 0.05


def test_bootstrap_p_value_is_calibrated_where_the_naive_ks_p_value_is_not():
    # The lognormal's KS distance with fitted mu, sigma has a parameter-free null
    # distribution, so with B = 19 refits P(p <= 0.2) is exactly 0.2 (D among the top 4 of
    # 20). scipy's kstest p-value, blind to the fitting, rejects far less often.
    rng, reps = np.random.default_rng(18), 150
    boot, naive = 0, 0
    for r in range(reps):
        x = rng.lognormal(3.0, 1.2, 40)
        f = fit_family(x, "lognormal", bootstrap=19, seed=r)
        boot += f.p_value <= 0.2
        naive += stats.kstest(x, f.frozen.cdf).pvalue <= 0.2
    se = math.sqrt(0.2 * 0.8 / reps)
    assert abs(boot / reps - 0.2) < Z * se
    assert naive / reps < 0.2 - Z * se


def test_ks_distance_agrees_with_scipy_and_with_a_brute_force_supremum_for_counts():
    x = np.sort(stats.norm.rvs(size=50, random_state=12))
    assert ks_distance(x, stats.norm(), False) == pytest.approx(
        stats.kstest(x, "norm").statistic, abs=1e-15)
    k = np.sort(stats.poisson(2).rvs(40, random_state=13)).astype(float)
    grid = np.arange(-1, 30)
    brute = np.max(np.abs(np.searchsorted(k, grid, side="right") / k.size
                          - stats.poisson(2).cdf(grid)))
    assert ks_distance(k, stats.poisson(2), True) == pytest.approx(brute, abs=1e-15)


def test_every_snippet_parses_back_with_the_fitted_mean():
    x = stats.gamma(3.0, scale=1000).rvs(100, random_state=14)
    for f in fit_sample(x, bootstrap=0).fits:
        d = check_snippet(f.snippet("amount"), f.frozen)
        assert d.dist == f.family
        assert d.mean() == pytest.approx(f.frozen.mean(), rel=1e-4)


def test_a_snippet_whose_mean_disagrees_is_refused():
    with pytest.raises(RoundTripError, match="mean"):
        check_snippet('x = { dist = "gamma", shape = 2, scale = 3 }', stats.gamma(2, scale=4))


def test_families_that_do_not_apply_are_skipped_with_the_reason():
    x = stats.norm(10, 2).rvs(100, random_state=15)
    report = fit_sample(x, bootstrap=0)
    reasons = {s.family: s.reason for s in report.skipped}
    assert "0, 1" in reasons["beta"] and "pert" in reasons["beta"]
    under = np.array([2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3.0])  # variance below the mean
    report = fit_sample(under, bootstrap=0)
    assert "poisson" in {s.family: s.reason for s in report.skipped}["negative_binomial"]


def test_too_few_or_constant_values_are_refused():
    with pytest.raises(FitError, match="too few"):
        fit_sample([1.0, 2.0, 3.0])
    with pytest.raises(FitError, match="constant"):
        fit_sample([5.0] * 20)


def test_read_sample_finds_the_column_and_lines(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("id,loss\n1,10.5\n2,\n3,12\n")
    values, lines = read_sample(path, "loss")
    assert values.tolist() == [10.5, 12.0] and lines == [2, 4]
    (tmp_path / "bare.csv").write_text("1.5\n2.5\n")
    assert read_sample(tmp_path / "bare.csv")[0].tolist() == [1.5, 2.5]


def test_read_sample_names_the_line_of_a_bad_cell_and_suggests_columns(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("id,loss\n1,10.5\n2,ten\n")
    with pytest.raises(DataError, match=r"d.csv:3: 'ten' in column 'loss'"):
        read_sample(path, "loss")
    with pytest.raises(DataError, match=r"did you mean 'loss'"):
        read_sample(path, "losses")


# --------------------------------------------------------------------------- command line

@pytest.fixture
def losses(tmp_path):
    x = stats.lognorm(0.8, scale=5e4).rvs(80, random_state=16)
    path = tmp_path / "losses.csv"
    path.write_text("incident,loss\n" + "".join(f"{i},{v:.2f}\n" for i, v in enumerate(x)))
    return path


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_fit_command_prints_the_ranking_and_writes_the_chart(losses, tmp_path):
    out = tmp_path / "results"
    res = cli("fit", losses, "--column", "loss", "--bootstrap", 19, "--out", out)
    assert res.exit_code == 0, res.output
    assert 'best: loss = { dist = "lognormal"' in res.output
    folder = out / "fit_losses"
    assert (folder / "fit.png").stat().st_size > 10_000
    saved = json.loads((folder / "fit.json").read_text())
    assert saved["fits"][0]["family"] == "lognormal" and saved["bootstrap"] == 19
    again = cli("fit", losses, "--column", "loss", "--bootstrap", 0, "--out", out)
    assert again.exit_code == 2 and "--force" in again.output


def test_fit_command_fits_counts_and_prints_each_named_family(tmp_path):
    path = tmp_path / "failures.csv"
    path.write_text("year,failures\n" + "".join(
        f"{i},{k}\n" for i, k in enumerate(stats.nbinom(2, 0.3).rvs(40, random_state=17))))
    res = cli("fit", path, "-c", "failures", "--dist", "poisson", "--dist", "negative_binomial",
              "-b", 9, "-o", tmp_path / "out")
    assert res.exit_code == 0, res.output
    assert "40 counts" in res.output
    assert 'best: failures = { dist = "negative_binomial"' in res.output
    assert 'poisson: failures = { dist = "poisson"' in res.output
    assert (tmp_path / "out" / "fit_failures" / "fit.png").exists()


@pytest.mark.parametrize("content, args, message", [
    (None, ["--column", "loss"], "no such file"),
    ("incident,loss\n" + "1,5\n" * 20, ["--column", "los"], "did you mean 'loss'"),
    ("incident,loss\n1,5\n2,n/a\n", ["--column", "loss"], "data.csv:3: 'n/a'"),
    ("incident,loss\n1,5\n2,6\n", ["--column", "loss"], "too few"),
    ("loss\n" + "5\n" * 12 + "-3\n", ["--dist", "lognormal"], "data.csv:14: -3 cannot be"),
])
def test_fit_command_refuses_bad_data_with_exit_code_2(tmp_path, content, args, message):
    path = tmp_path / "data.csv"
    if content is not None:
        path.write_text(content)
    res = cli("fit", path, *args, "--bootstrap", 0, "--out", tmp_path / "out")
    assert res.exit_code == 2
    assert message in res.output and "Traceback" not in res.output
    assert not (tmp_path / "out").exists()


def test_cli_offers_exactly_the_fitted_families_and_default_bootstrap():
    from simulator.analysis import fit
    from simulator.cli.inputs import fit_command

    options = {p.name: p for p in fit_command.params}
    assert tuple(options["dists"].type.choices) == (*fit.FAMILY_NAMES, "auto")
    assert options["bootstrap"].default == fit.DEFAULT_BOOTSTRAP
