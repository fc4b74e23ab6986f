"""Fitting kposim distributions to data.

A 1-D sample (amounts, or whole-number counts per period) is fitted by maximum likelihood to
each candidate family a scenario file accepts, the fits are ranked by AIC (BIC alongside), and
each gets a goodness-of-fit test: the Kolmogorov-Smirnov distance D between the sample and the
fitted distribution, with a **parametric-bootstrap p-value**. The textbook KS p-value assumes
the distribution was fixed before seeing the data; with fitted parameters it is far too kind.
The bootstrap draws ``bootstrap`` samples of the same size from the fitted distribution (a
fixed seed), refits each, and counts how often their D is at least the observed one
(Stute, Gonzalez Manteiga and Presedo Quindimil 1993). This works the same for bounded and
discrete families, where tabulated corrections do not exist.

Every fit carries its scenario-file snippet in kposim's parameter names; :func:`check_snippet`
parses it back with kposim's own parser and checks its mean against the fitted
``scipy.stats`` distribution's.
"""
from __future__ import annotations

import csv
import math
import tomllib
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from difflib import get_close_matches
from pathlib import Path
from typing import Any

import numpy as np
from scipy import optimize, special, stats

from simulator.defaults import FIT_AMOUNT_FAMILIES, FIT_BOOTSTRAP, FIT_COUNT_FAMILIES
from simulator.distributions.base import Distribution
from simulator.distributions.continuous import PERT_LAMBDA, pert_beta
from simulator.distributions.registry import FAMILIES

AMOUNT_FAMILIES = FIT_AMOUNT_FAMILIES
"""Continuous families tried on amounts (``--dist auto``), in kposim's names."""
COUNT_FAMILIES = FIT_COUNT_FAMILIES
"""Count families tried on whole-number counts."""
FAMILY_NAMES = AMOUNT_FAMILIES + COUNT_FAMILIES
DEFAULT_SEED = 20260101
DEFAULT_BOOTSTRAP = FIT_BOOTSTRAP
"""Bootstrap refits per p-value (see :data:`simulator.defaults.FIT_BOOTSTRAP`)."""
MIN_VALUES = 10
SNIPPET_DIGITS = 6
"""Significant digits of the parameters in a snippet (fitted parameters are uncertain in
their second or third digit; six keep the round trip's mean within ROUNDTRIP_RTOL)."""
ROUNDTRIP_RTOL = 1e-4
NB_MAX_DISPERSION = 1e6
"""A negative binomial whose dispersion would exceed this is reported as the Poisson limit."""
COUNT_MAX = 10_000
"""Whole numbers from 0 to this are taken as counts by ``kind="auto"``."""


class FitError(ValueError):
    """The sample cannot be fitted as asked; the message says why and what would work."""


class DataError(ValueError):
    """A data file problem; ``str()`` is ``file:line: what is wrong``."""


class RoundTripError(RuntimeError):
    """A snippet that kposim reads back as a different distribution than the fit (a bug)."""


# --------------------------------------------------------------------------- families

@dataclass(frozen=True)
class _Family:
    """How to fit one of kposim's families (:data:`FAMILIES` says what it is)."""

    kind: str  # "amounts" or "counts"
    names: tuple[str, ...]  # kposim parameter names, in snippet order
    fit: Callable[..., dict[str, float]]  # MLE in kposim's parameters (x, optional start)
    stderr: Callable[[dict[str, float], int], dict[str, float]] | None  # asymptotic SEs
    unfit: Callable[[np.ndarray], str | None] = lambda x: None  # why it does not apply


def distribution(family: str, params: dict[str, float]) -> Distribution:
    """The kposim ``family`` with the fitted ``params`` (kposim's names); a negative binomial
    with infinite dispersion is its limit, the poisson.
    """
    if family == "negative_binomial" and math.isinf(params["dispersion"]):
        family, params = "poisson", {"mean": params["mean"]}
    return FAMILIES[family].model_validate({"dist": family, **params})


def frozen_fit(family: str, params: dict[str, float]) -> Any:
    """The fitted distribution as ``scipy.stats`` freezes it: the family's own
    :meth:`~simulator.distributions.base.Distribution.scipy`.
    """
    return distribution(family, params).scipy()


def _fit_lognormal(x: np.ndarray) -> dict[str, float]:
    s, _, scale = stats.lognorm.fit(x, floc=0)
    return {"mu": math.log(scale), "sigma": float(s)}


def _fit_gamma(x: np.ndarray) -> dict[str, float]:
    a, _, scale = stats.gamma.fit(x, floc=0)
    return {"shape": float(a), "scale": float(scale)}


def _fit_normal(x: np.ndarray) -> dict[str, float]:
    loc, scale = stats.norm.fit(x)
    return {"mean": float(loc), "sd": float(scale)}


def _fit_uniform(x: np.ndarray) -> dict[str, float]:
    loc, scale = stats.uniform.fit(x)
    return {"min": float(loc), "max": float(loc + scale)}


def _fit_beta(x: np.ndarray) -> dict[str, float]:
    a, b, _, _ = stats.beta.fit(x, floc=0, fscale=1)
    return {"a": float(a), "b": float(b), "min": 0.0, "max": 1.0}


def _pert_logpdf(x: np.ndarray, lo: float, mode: float, hi: float) -> float:
    # The PERT's beta log-density summed over x, written out: scipy's per-call overhead
    # would dominate the thousands of evaluations of a fit and its bootstrap.
    w = hi - lo
    a, b = pert_beta(lo, mode, hi, PERT_LAMBDA)
    z = (x - lo) / w
    return float(np.sum(special.xlogy(a - 1, z) + special.xlog1py(b - 1, -z))
                 - x.size * (special.betaln(a, b) + math.log(w)))


def _triangular_logpdf(x: np.ndarray, lo: float, mode: float, hi: float) -> float:
    with np.errstate(divide="ignore"):
        up = np.where(x < mode, np.log(np.maximum(x - lo, 0.0)) - math.log(max(mode - lo, 1e-300)),
                      np.log(np.maximum(hi - x, 0.0)) - math.log(max(hi - mode, 1e-300)))
    return float(np.sum(up) + x.size * (math.log(2.0) - math.log(hi - lo)))


def _three_point_fitter(logpdf: Callable[[np.ndarray, float, float, float], float],
                        mode_guess: Callable[[float, float, float], float]
                        ) -> Callable[..., dict[str, float]]:
    """MLE of (min, mode, max) with min below the smallest and max above the largest value.

    The bounds are written min = x(1) - r e^t0, max = x(n) + r e^t1 (r the sample range) so
    they can never cut off an observation; the mode is a logistic share of [min, max]. Both
    likelihoods are bounded (the densities are at most 2 / (max - min) and 6 / (max - min)
    times a constant), so the maximum exists; it may sit at min = x(1) or max = x(n).
    ``start`` (a previous fit, e.g. the one a bootstrap sample was drawn from) seeds the
    search.
    """
    def fit(x: np.ndarray, start: dict[str, float] | None = None) -> dict[str, float]:
        lo, hi = float(x.min()), float(x.max())
        r = hi - lo

        def unpack(t: np.ndarray) -> dict[str, float]:
            a, b = lo - r * math.exp(t[0]), hi + r * math.exp(t[1])
            # min() only where a share that rounds to 1 would put the mode an ulp above max
            return {"min": a, "mode": min(a + (b - a) * float(special.expit(t[2])), b),
                    "max": b}

        def nll(t: np.ndarray) -> float:
            if np.any(np.abs(t[:2]) > 30):
                return np.inf
            p = unpack(t)
            v = -logpdf(x, p["min"], p["mode"], p["max"])
            return v if math.isfinite(v) else np.inf

        eps = 1.0 / len(x)
        if start is None:
            a0, b0 = lo - r * eps, hi + r * eps
            m0 = mode_guess(float(x.mean()), a0, b0)
        else:
            a0, m0, b0 = (min(start["min"], lo - r * 1e-6), start["mode"],
                          max(start["max"], hi + r * 1e-6))
        m0 = min(max(m0, a0 + 0.01 * (b0 - a0)), b0 - 0.01 * (b0 - a0))
        t0 = np.array([math.log(max((lo - a0) / r, 1e-12)), math.log(max((b0 - hi) / r, 1e-12)),
                       float(special.logit((m0 - a0) / (b0 - a0)))])
        best = optimize.minimize(nll, t0, method="Nelder-Mead",
                                 options={"xatol": 1e-6, "fatol": 1e-8, "maxiter": 4000})
        return unpack(best.x)

    return fit


def _fit_poisson(x: np.ndarray) -> dict[str, float]:
    return {"mean": float(x.mean())}


def _fit_bernoulli(x: np.ndarray) -> dict[str, float]:
    return {"p": float(x.mean())}


def _fit_negative_binomial(x: np.ndarray) -> dict[str, float]:
    """The mean's MLE is the sample mean (it is orthogonal to r); r solves the profile score
    sum_i sum_{j < y_i} 1 / (r + j) - n log(1 + mean / r) = 0, which has a root only when the
    sample is over-dispersed (variance with divisor n above the mean). Without one, or with
    r above NB_MAX_DISPERSION (no over-dispersion the sample can resolve), r = inf: the
    Poisson limit.
    """
    m, n = float(x.mean()), len(x)
    # Counts above each j: the double sum is then one sum over j, exact for any r (the
    # digamma form loses every digit to cancellation once r is large).
    above = n - np.cumsum(np.bincount(x.astype(np.int64)))[:-1]
    j = np.arange(above.size)

    def score(log_r: float) -> float:
        r = math.exp(log_r)
        return float(np.sum(above / (r + j))) - n * math.log1p(m / r)

    hi = math.log(NB_MAX_DISPERSION)
    if x.var() <= m or score(hi) > 0:
        return {"mean": m, "dispersion": math.inf}
    return {"mean": m, "dispersion": math.exp(optimize.brentq(score, -25.0, hi, xtol=1e-12))}


def _se_log_normal(loc: str, scale: str) -> Callable[[dict[str, float], int], dict[str, float]]:
    # Normal and lognormal (on log x): Fisher information diag(n / s^2, 2 n / s^2).
    return lambda p, n: {loc: p[scale] / math.sqrt(n), scale: p[scale] / math.sqrt(2 * n)}


def _se_gamma(p: dict[str, float], n: int) -> dict[str, float]:
    k, theta = p["shape"], p["scale"]
    info = n * np.array([[special.polygamma(1, k), 1 / theta], [1 / theta, k / theta**2]])
    cov = np.linalg.inv(info)
    return {"shape": math.sqrt(cov[0, 0]), "scale": math.sqrt(cov[1, 1])}


def _se_negative_binomial(p: dict[str, float], n: int) -> dict[str, float]:
    # Mean and r are orthogonal; I_rr per observation = sum_j P(Y > j) / (r + j)^2
    # - m / (r (r + m)) (Lawless 1987).
    m, r = p["mean"], p["dispersion"]
    f = frozen_fit("negative_binomial", p)
    j = np.arange(int(f.isf(1e-15)) + 1)
    i_rr = float(np.sum(f.sf(j) / (r + j) ** 2)) - m / (r * (r + m))
    return {"mean": math.sqrt((m + m * m / r) / n),
            "dispersion": math.sqrt(1 / (n * i_rr)) if i_rr > 0 else math.inf}


def _positive(x: np.ndarray) -> str | None:
    if np.any(x <= 0):
        return f"needs values above 0 (the smallest is {x.min():g})"
    return None


def _share(x: np.ndarray) -> str | None:
    if np.any(x <= 0) or np.any(x >= 1):
        return ("fitted on (0, 1) only, for shares and rates; with free bounds a beta has no "
                "maximum likelihood (it grows without limit as a bound nears the data when a "
                "shape is below 1): use pert for a bounded amount")
    return None


def _zero_one(x: np.ndarray) -> str | None:
    if np.any((x != 0) & (x != 1)):
        return "needs 0/1 data (at most one event per period)"
    return None


_FAMILIES: dict[str, _Family] = {
    "lognormal": _Family("amounts", ("mu", "sigma"), _fit_lognormal,
                         _se_log_normal("mu", "sigma"), _positive),
    "gamma": _Family("amounts", ("shape", "scale"), _fit_gamma, _se_gamma, _positive),
    "normal": _Family("amounts", ("mean", "sd"), _fit_normal, _se_log_normal("mean", "sd")),
    "pert": _Family("amounts", ("min", "mode", "max"),
                    _three_point_fitter(_pert_logpdf, lambda m, a, b: (6 * m - a - b) / 4),
                    None),
    "triangular": _Family("amounts", ("min", "mode", "max"),
                          _three_point_fitter(_triangular_logpdf, lambda m, a, b: 3 * m - a - b),
                          None),
    "uniform": _Family("amounts", ("min", "max"), _fit_uniform, None),
    "beta": _Family("amounts", ("a", "b", "min", "max"), _fit_beta, None, _share),
    "poisson": _Family("counts", ("mean",), _fit_poisson,
                       lambda p, n: {"mean": math.sqrt(p["mean"] / n)}),
    "negative_binomial": _Family("counts", ("mean", "dispersion"), _fit_negative_binomial,
                                 _se_negative_binomial),
    "bernoulli": _Family("counts", ("p",), _fit_bernoulli,
                         lambda p, n: {"p": math.sqrt(p["p"] * (1 - p["p"]) / n)}, _zero_one),
}
"""How to fit each family, by kposim's name; what each family is comes from :data:`FAMILIES`."""
_FREE_PARAMS = {"beta": 2}  # beta's min and max are fixed at 0 and 1, not fitted
_WARM_START = ("pert", "triangular")  # numerical fits; closed forms need no start


_ALLOWED: dict[str, tuple[str, Callable[[np.ndarray], np.ndarray]]] = {
    "lognormal": ("values above 0", lambda x: x > 0),
    "gamma": ("values above 0", lambda x: x > 0),
    "beta": ("values strictly between 0 and 1", lambda x: (x > 0) & (x < 1)),
    "poisson": ("whole numbers from 0", lambda x: (x >= 0) & (x == np.round(x))),
    "negative_binomial": ("whole numbers from 0", lambda x: (x >= 0) & (x == np.round(x))),
    "bernoulli": ("0 or 1", lambda x: (x == 0) | (x == 1)),
}


def outside_support(x: np.ndarray, family: str) -> tuple[int, str] | None:
    """The index of the first value of ``x`` (shape (n,), in file order) that ``family``
    cannot take, and what it allows; None when every value is allowed.
    """
    if family not in _ALLOWED:
        return None
    allowed, ok = _ALLOWED[family]
    bad = np.flatnonzero(~ok(np.asarray(x, dtype=float)))
    return (int(bad[0]), allowed) if bad.size else None


def check_support(x: np.ndarray, lines: Sequence[int], families: Sequence[str],
                  source: Path | str) -> None:
    """Raise DataError naming the first value of ``x`` (read from ``source``, ``lines`` the
    line of each) that one of ``families`` cannot take, before any fitting starts.
    """
    for family in families:
        bad = outside_support(x, family)
        if bad is not None:
            i, allowed = bad
            raise DataError(f"{source}:{lines[i]}: {x[i]:g} cannot be fitted by {family} (it "
                            f"takes {allowed}); drop --dist {family} or fix the value")


# --------------------------------------------------------------------------- results

@dataclass(frozen=True)
class Fit:
    """One family fitted to the sample by maximum likelihood.

    ``params`` are in kposim's names (as in the snippet); ``stderr`` their asymptotic
    standard errors from the Fisher information at the fit (None for the bounded families,
    whose fitted bounds are not regular estimators). ``ks`` is the Kolmogorov-Smirnov distance
    and ``p_value`` its parametric-bootstrap p-value (``bootstrap`` refits; None when 0).
    """

    family: str
    params: dict[str, float]
    stderr: dict[str, float] | None
    loglik: float
    k: int
    n: int
    ks: float
    p_value: float | None
    bootstrap: int
    mean: float
    sd: float
    note: str = ""
    frozen: Any = field(default=None, repr=False, compare=False)

    @property
    def aic(self) -> float:
        """Akaike's information criterion, 2 k - 2 log L."""
        return 2 * self.k - 2 * self.loglik

    @property
    def bic(self) -> float:
        """The Bayesian information criterion, k log n - 2 log L."""
        return self.k * math.log(self.n) - 2 * self.loglik

    def table(self) -> dict[str, str | float]:
        """The inline table of the scenario file, as a dict (``dist`` first)."""
        return {"dist": self.family, **{k: _round(v) for k, v in self.params.items()
                                        if not (self.family == "beta" and k in ("min", "max"))}}

    def snippet(self, key: str = "value") -> str:
        """``key = { dist = "...", ... }``, ready to paste into a scenario file."""
        return f"{key} = {inline_table(self.table())}"


@dataclass(frozen=True)
class Skipped:
    """A candidate family that was not fitted, and why."""

    family: str
    reason: str


@dataclass(frozen=True)
class FitReport:
    """Every fit of one sample, best (lowest AIC) first, and the families left out."""

    n: int
    kind: str  # "amounts" or "counts"
    fits: list[Fit]
    skipped: list[Skipped]
    seed: int
    bootstrap: int
    sample: np.ndarray = field(repr=False, compare=False)

    @property
    def best(self) -> Fit:
        """The fit with the lowest AIC."""
        return self.fits[0]

    def delta_aic(self, f: Fit) -> float:
        """How far ``f``'s AIC lies above the best one's."""
        return f.aic - self.best.aic

    def aic_weight(self, f: Fit) -> float:
        """Akaike weight: the relative likelihood of ``f`` among the fitted families."""
        w = np.exp(-0.5 * np.array([self.delta_aic(g) for g in self.fits]))
        return float(np.exp(-0.5 * self.delta_aic(f)) / w.sum())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (what ``kposim fit`` writes to fit.json); a standard error
        that does not exist (an infinite one) is None.
        """
        def finite(d: dict[str, float] | None) -> dict[str, float | None] | None:
            return None if d is None else {k: v if math.isfinite(v) else None
                                           for k, v in d.items()}

        return {
            "n": self.n, "kind": self.kind, "seed": self.seed, "bootstrap": self.bootstrap,
            "test": "Kolmogorov-Smirnov distance, parametric-bootstrap p-value",
            "fits": [{"family": f.family, "params": f.params, "stderr": finite(f.stderr),
                      "loglik": f.loglik, "aic": f.aic, "bic": f.bic,
                      "delta_aic": self.delta_aic(f), "aic_weight": self.aic_weight(f),
                      "ks": f.ks, "p_value": f.p_value, "mean": f.mean, "sd": f.sd,
                      "note": f.note, "snippet": f.snippet()} for f in self.fits],
            "skipped": [{"family": s.family, "reason": s.reason} for s in self.skipped],
        }


def _round(v: float) -> float:
    return float(f"{v:.{SNIPPET_DIGITS}g}")


def format_number(v: float) -> str:
    """A TOML number: whole values without a decimal point, others in short form."""
    if float(v).is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(float(v))


def inline_table(d: dict[str, Any]) -> str:
    """A dict as a TOML inline table (strings quoted, numbers short, lists, nested tables)."""
    def value(v: Any) -> str:
        if isinstance(v, dict):
            return inline_table(v)
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if isinstance(v, list | tuple):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return format_number(v)

    return "{ " + ", ".join(f"{k} = {value(v)}" for k, v in d.items()) + " }"


def check_snippet(snippet: str, frozen: Any, rtol: float = ROUNDTRIP_RTOL) -> Any:
    """Parse a ``key = {...}`` snippet with kposim's distribution parser and check its mean
    against ``frozen`` (a scipy.stats distribution) to ``rtol``; returns the kposim
    distribution. Raises RoundTripError when they disagree.
    """
    from simulator.scenario.model import parse_distribution as parse

    (value,) = tomllib.loads(snippet).values()
    dist = parse(value)
    want, got = float(frozen.mean()), dist.mean()
    if not math.isclose(got, want, rel_tol=rtol, abs_tol=rtol * float(frozen.std())):
        raise RoundTripError(f"snippet {snippet!r} has mean {got:.10g}, the fit {want:.10g}")
    return dist


# --------------------------------------------------------------------------- fitting

def ks_distance(x_sorted: np.ndarray, frozen: Any, discrete: bool) -> float:
    """Kolmogorov-Smirnov distance sup |F_n - F| of a sorted sample (shape (n,)) from
    ``frozen``. For a count distribution the supremum is over the whole numbers.
    """
    n = x_sorted.size
    if discrete:
        ks = np.arange(int(x_sorted[-1]) + 1)
        ecdf = np.searchsorted(x_sorted, ks, side="right") / n
        return float(np.max(np.abs(ecdf - frozen.cdf(ks))))
    cdf = frozen.cdf(x_sorted)
    i = np.arange(1, n + 1)
    return float(max(np.max(i / n - cdf), np.max(cdf - (i - 1) / n)))


def detect_kind(x: np.ndarray) -> str:
    """``counts`` when every value is a whole number from 0 to COUNT_MAX, else ``amounts``."""
    whole = np.all(x == np.round(x)) and x.min() >= 0 and x.max() <= COUNT_MAX
    return "counts" if whole else "amounts"


def _stream(seed: int, family: str) -> np.random.Generator:
    # One stream per family, so a family's p-value does not depend on which others ran.
    return np.random.default_rng([seed, zlib.crc32(family.encode())])


def _bootstrap_p(fam: _Family, name: str, params: dict[str, float], d: float, n: int,
                 b: int, seed: int) -> float:
    rng = _stream(seed, name)
    discrete = fam.kind == "counts"
    samples = np.sort(frozen_fit(name, params).rvs(size=(b, n), random_state=rng), axis=1)
    exceed = 0
    for y in samples:
        refit = fam.fit(y, params) if name in _WARM_START else fam.fit(y)
        exceed += ks_distance(y, frozen_fit(name, refit), discrete) >= d
    return (exceed + 1) / (b + 1)


def fit_family(x: Sequence[float] | np.ndarray, family: str, bootstrap: int = DEFAULT_BOOTSTRAP,
               seed: int = DEFAULT_SEED) -> Fit:
    """Fit one family (kposim's name) to ``x`` (shape (n,)); raises FitError if it does not
    apply (the message says why).
    """
    if family not in _FAMILIES:
        raise FitError(f"unknown family {family!r}; choose from {', '.join(FAMILY_NAMES)}")
    fam = _FAMILIES[family]
    x = np.sort(np.asarray(x, dtype=np.float64))
    why = fam.unfit(x)
    if why:
        raise FitError(f"{family}: {why}")
    if fam.kind == "counts" and detect_kind(x) != "counts":
        raise FitError(f"{family}: needs whole-number counts from 0 to {COUNT_MAX:,}")
    params = fam.fit(x)
    if family == "negative_binomial" and math.isinf(params["dispersion"]):
        raise FitError(f"negative_binomial: the sample (mean {x.mean():.4g}, variance "
                       f"{x.var():.4g}) is not measurably over-dispersed: the maximum "
                       f"likelihood dispersion is above {NB_MAX_DISPERSION:g} (the poisson "
                       "limit); use poisson")
    frozen = frozen_fit(family, params)
    discrete = fam.kind == "counts"
    loglik = float(np.sum(frozen.logpmf(x) if discrete else frozen.logpdf(x)))
    if not math.isfinite(loglik):
        raise FitError(f"{family}: the fit gives some observations zero likelihood")
    d = ks_distance(x, frozen, discrete)
    # A bernoulli fitted to 0/1 data reproduces its two frequencies exactly (D = 0): no test.
    testable = bootstrap and family != "bernoulli"
    p = _bootstrap_p(fam, family, params, d, x.size, bootstrap, seed) if testable else None
    fit = Fit(family=family, params=params,
              stderr=fam.stderr(params, x.size) if fam.stderr else None, loglik=loglik,
              k=_FREE_PARAMS.get(family, len(fam.names)), n=x.size, ks=d, p_value=p,
              bootstrap=bootstrap, mean=float(frozen.mean()), sd=float(frozen.std()),
              frozen=frozen)
    check_snippet(fit.snippet(), frozen)  # kposim reads back what scipy fitted
    note = ""
    if family == "normal" and frozen.cdf(0) > 1e-6 and x.min() >= 0:
        note = (f"puts {frozen.cdf(0):.2%} below zero; kposim refuses that for an amount: "
                "truncate it with min = 0")
    elif family == "bernoulli":
        note = "matches 0/1 data exactly (no goodness-of-fit test)"
    elif family in ("pert", "triangular", "uniform"):
        note = f"bounded: nothing beyond [{params['min']:.4g}, {params['max']:.4g}] is drawn"
    return replace(fit, note=note)


def fit_sample(x: Sequence[float] | np.ndarray, families: Sequence[str] | None = None,
               kind: str = "auto", bootstrap: int = DEFAULT_BOOTSTRAP,
               seed: int = DEFAULT_SEED) -> FitReport:
    """Fit ``families`` (default: every family of the sample's kind) to ``x`` (shape (n,),
    finite) and rank them by AIC.

    ``kind`` is ``amounts``, ``counts`` or ``auto`` (:func:`detect_kind`; named families
    decide it when given). Families that do not apply to the sample are listed in
    ``skipped`` with the reason; if none can be fitted, FitError says why.
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    if x.size < MIN_VALUES:
        raise FitError(f"{x.size} values are too few to fit a distribution (at least "
                       f"{MIN_VALUES}); with fewer, use an empirical distribution or elicit "
                       "one (kposim elicit)")
    if not np.all(np.isfinite(x)):
        raise FitError("the sample has inf or nan values")
    if x.min() == x.max():
        raise FitError(f"every value is {x[0]:g}: a constant, nothing to fit")
    if families:
        unknown = [f for f in families if f not in _FAMILIES]
        if unknown:
            raise FitError(f"unknown family {unknown[0]!r}; choose from "
                           f"{', '.join(FAMILY_NAMES)} or auto")
        kinds = {_FAMILIES[f].kind for f in families}
        if len(kinds) > 1:
            raise FitError("amount families (densities) and count families (probabilities) "
                           "cannot be ranked together by AIC; fit them separately")
        kind = kinds.pop()
    elif kind == "auto":
        kind = detect_kind(x)
    if kind not in ("amounts", "counts"):
        raise FitError(f"kind must be amounts, counts or auto (got {kind!r})")
    candidates = list(families) if families else [f for f in FAMILY_NAMES
                                                  if _FAMILIES[f].kind == kind]
    fits, skipped = [], []
    for name in candidates:
        try:
            fits.append(fit_family(x, name, bootstrap=bootstrap, seed=seed))
        except FitError as e:
            skipped.append(Skipped(name, str(e).removeprefix(f"{name}: ")))
    if not fits:
        raise FitError("no family could be fitted: " + "; ".join(
            f"{s.family} {s.reason}" for s in skipped))
    fits.sort(key=lambda f: f.aic)
    return FitReport(n=x.size, kind=kind, fits=fits, skipped=skipped, seed=seed,
                     bootstrap=bootstrap, sample=np.sort(x))


# --------------------------------------------------------------------------- data files

MAX_DATA_BYTES = 200_000_000
"""Largest data file read by :func:`read_sample` (bounds memory)."""


def read_sample(path: Path | str, column: str | None = None) -> tuple[np.ndarray, list[int]]:
    """The numbers in one column of a CSV file, and the line of each (1-based).

    The first row is a header when any of its cells is not a number; without one, columns are
    named 1, 2, ... Empty cells are skipped. Raises DataError naming the file and line.
    """
    from simulator.scenario.model import InputFileError, read_regular_file

    path = Path(path)
    try:  # a FIFO or device is refused, not read forever
        raw = read_regular_file(path, MAX_DATA_BYTES, "a CSV file")
    except InputFileError as e:
        raise DataError(f"{path}: {e}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: not a UTF-8 text file ({e.reason})") from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(text.splitlines(), dialect)
    rows = [(reader.line_num, row) for row in reader if any(c.strip() for c in row)]
    if not rows:
        raise DataError(f"{path}: the file is empty")

    def number(cell: str) -> float | None:
        try:
            v = float(cell.strip())
        except ValueError:
            return None
        return v

    header = rows[0][1]
    if all(number(c) is not None for c in header):
        names = [str(i + 1) for i in range(len(header))]
    else:
        names = [c.strip() for c in header]
        rows = rows[1:]
    if column is None:
        if len(names) != 1:
            raise DataError(f"{path}:1: {len(names)} columns ({', '.join(names)}); name one "
                            "with --column")
        idx = 0
    elif column in names:
        idx = names.index(column)
    else:
        near = get_close_matches(column, names, n=3)
        hint = f"; did you mean {' or '.join(repr(c) for c in near)}?" if near else ""
        raise DataError(f"{path}:1: no column {column!r}{hint} (columns: {', '.join(names)})")
    values, lines = [], []
    for line, row in rows:
        cell = row[idx].strip() if idx < len(row) else ""
        if not cell:
            continue
        v = number(cell)
        if v is None or not math.isfinite(v):
            raise DataError(f"{path}:{line}: {cell!r} in column {names[idx]!r} is not a "
                            "finite number")
        values.append(v)
        lines.append(line)
    return np.asarray(values, dtype=np.float64), lines
