"""The count families: poisson, bernoulli and negative binomial. Each one's rate (a mean, or
a bernoulli's p) may be a number or a distribution drawn once per trial (:class:`_Count`).
"""
from __future__ import annotations

import math
from typing import Annotated, Any, ClassVar, Literal, Self

import numpy as np
from pydantic import ConfigDict, Field, model_validator

from simulator import codes as K  # the kernels' plain-array contract, without numba
from simulator.distributions.base import (
    ClosedForm,
    DataBuilder,
    Distribution,
    FieldError,
    Finite,
    Frozen,
    Uncertain,
    _finite,
    _params,
    _rng,
    _sample_size,
    _special,
)
from simulator.distributions.scaled import TAIL_S, Gamma, _Scaled


def _count_table(frozen: Any, data: DataBuilder) -> tuple[int, np.ndarray]:
    """Compile a count distribution on 0, 1, 2, ... (``frozen`` has ``cdf``, ``sf`` and
    ``isf``); counts whose upper tail holds under 1e-18 of the probability (below the
    resolution of a double-precision uniform) are cut.
    """
    kmax = int(frozen.isf(1e-15))  # scipy's isf turns to nan for much smaller tails
    while frozen.sf(kmax) > 1e-18:
        kmax = int(kmax * 1.05) + 2
    return _finite(frozen.cdf(np.arange(kmax + 1)), None, data)


def _bernstein(mu: float) -> float:
    """A whole count above the quantile at 1 - 2^-53 of a Poisson count of mean ``mu``:
    Bernstein's P(X > mu + sqrt(2 mu s) + s / 3) <= e^-s at s = TAIL_S, with room for
    scipy's rounding of the cdf near 1 (tested against scipy's quantile).
    """
    return math.ceil((mu + math.sqrt(2.0 * mu * TAIL_S) + TAIL_S / 3.0) * (1.0 + 1e-6)) + 1.0


class _Count(Distribution):
    """Shared by the count families whose rate may itself be uncertain.

    With an uncertain rate, each trial draws the rate once from its distribution and every
    year's count from the family at that rate, so a trial's years share their rate (the
    riskquant / Hubbard approach): the counts are over-dispersed and correlated across years.
    A family says how to compile and draw at a fixed rate in :meth:`_compile_fixed` and
    :meth:`_sample_at`.
    """

    RATE_FIELD: ClassVar[str] = "mean_"
    RATE_KEY: ClassVar[str] = "mean"

    def integer_valued(self) -> bool:
        """True: every draw is a count."""
        return True

    def rate_distribution(self) -> Distribution | None:
        """The per-trial distribution of the rate, or None when the rate is a fixed number."""
        value = getattr(self, self.RATE_FIELD)
        return value if isinstance(value, Distribution) else None

    def _uncertain_rate(self) -> Distribution:
        rate = self.rate_distribution()
        if rate is None:
            raise TypeError(f"this {self.dist}'s {self.RATE_KEY} is a number, not uncertain")
        return rate

    def rate_key(self) -> str:
        """The rate's key in the scenario file (``mean`` or ``p``)."""
        return self.RATE_KEY

    def at_rate(self, rate: float) -> Self:
        """The same family with the rate fixed at ``rate``."""
        return self.model_copy(update={self.RATE_FIELD: float(rate), "prior": None,
                                       "observed_events": None, "observed_years": None}
                               if "prior" in type(self).model_fields else
                               {self.RATE_FIELD: float(rate)})

    def _compile_fixed(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        raise NotImplementedError

    def _sample_at(self, rates: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def _check_rate(self, lo: float, hi: float) -> None:
        rate = self.rate_distribution()
        if rate is None:
            return
        if isinstance(rate, _Count):
            raise FieldError(self.RATE_KEY, "an uncertain rate must be a continuous or tabled "
                             f"distribution, not a count ({rate.describe()})")
        if isinstance(rate, _Scaled) and rate.scale_distribution() is not None:
            raise FieldError(self.RATE_KEY, "an uncertain parameter's distribution cannot have "
                             "uncertain parameters of its own")
        a, b = rate.support()
        if a < lo or b > hi:
            raise FieldError(self.RATE_KEY, f"the rate's distribution {rate.describe()} "
                             f"ranges over [{a:g}, {b:g}]; it must stay within [{lo:g}, {hi:g}] "
                             "(truncate a normal with min/max, or use lognormal/gamma/pert)")

    def _mixture_nodes(self) -> tuple[np.ndarray, np.ndarray]:
        # Rates at 4096 equal-probability nodes of the rate distribution: the mixture's
        # closed forms are averages over them (midpoint rule in probability).
        q = (np.arange(4096) + 0.5) / 4096
        return np.asarray(self._uncertain_rate().quantile(q), dtype=float), q

    def mean(self) -> float:
        """The mean count (the rate's mean when it is uncertain)."""
        rate = self.rate_distribution()
        if rate is None:
            return float(self.scipy().mean())
        return float(rate.mean())

    def std(self) -> float:
        """The standard deviation of the count (over the rate's distribution when uncertain)."""
        if self.rate_distribution() is None:
            return float(self.scipy().std())
        rates, _ = self._mixture_nodes()
        m = np.array([self.at_rate(x).scipy().stats("mv") for x in rates], dtype=float)
        mean = m[:, 0].mean()
        return float(np.sqrt(m[:, 1].mean() + ((m[:, 0] - mean) ** 2).mean()))

    def cdf(self, k: Any) -> Any:
        """P(count <= k); with an uncertain rate, averaged over the rate's distribution."""
        if self.rate_distribution() is None:
            return self.closed_form().cdf(k)
        rates, _ = self._mixture_nodes()
        k = np.asarray(k, dtype=float)
        return np.mean([self.at_rate(x).closed_form().cdf(k) for x in rates], axis=0)

    def quantile(self, q: Any) -> Any:
        """Quantiles at levels ``q``; with an uncertain rate, from the mixture's cdf."""
        rate = self.rate_distribution()
        if rate is None:
            return self.closed_form().ppf(q)
        qs = np.asarray(q, dtype=float)
        top = rate.support()[1]
        hi = int(max(self.at_rate(top if np.isfinite(top) else rate.quantile(1 - 1e-9))
                     .closed_form().ppf(1 - 1e-12), 1))
        ks = np.arange(hi + 1)
        cum = self.cdf(ks)
        out = ks[np.minimum(np.searchsorted(cum, qs - 1e-12, side="left"), hi)].astype(float)
        return out if np.ndim(q) else float(out)

    def support(self) -> tuple[float, float]:
        """0 to infinity (to 1 for a bernoulli)."""
        return (0.0, 1.0) if self.RATE_KEY == "p" else (0.0, math.inf)

    def sample(self, size: int | tuple[int, ...],
               seed: int | np.random.Generator | None = None) -> np.ndarray:
        """With an uncertain rate: a rate per draw (the engine's inverse-CDF path), then the
        count at that rate (numpy's sampler; the engine has its own, tested separately).
        """
        rate = self.rate_distribution()
        if rate is None:
            return super().sample(size, seed)
        n, shape = _sample_size(size)
        rng = _rng(seed)
        rates = rate.sample(n, rng)
        return self._sample_at(rates, rng).astype(float).reshape(shape)

    def draw_range(self, factor: float = 1.0) -> tuple[float, float]:
        """As :meth:`Distribution.draw_range`, with the rate times ``factor`` (a control's
        frequency factor); an uncertain rate at the top of its own range.
        """
        top = self._top_rate(factor, bounds=False)
        return self._range_at_top(top) or Distribution.draw_range(self.at_rate(top))

    def draw_range_bounds(self, factor: float = 1.0) -> tuple[float, float]:
        """Bounds on :meth:`draw_range` (the count at the top of the bounds of the rate's
        range; a count's quantile grows with its rate), without scipy.
        """
        top = self._top_rate(factor, bounds=True)
        return self._range_at_top(top) or (0.0, self.at_rate(top)._extreme_count_bound())

    def _top_rate(self, factor: float, bounds: bool) -> float:
        """The largest rate times ``factor``: a fixed rate, or the top of an uncertain rate's
        draw range (of its scipy-free bounds with ``bounds``).
        """
        rate = self.rate_distribution()
        if rate is None:
            return float(getattr(self, self.RATE_FIELD)) * factor
        return (rate.draw_range_bounds() if bounds else rate.draw_range())[1] * factor

    def _range_at_top(self, top: float) -> tuple[float, float] | None:
        """The draw range where the top rate alone decides it (none, a probability, an
        infinite rate), else None.
        """
        if top <= 0:
            return 0.0, 0.0
        if self.RATE_KEY == "p":
            return 0.0, 1.0
        if not math.isfinite(top):
            return 0.0, math.inf
        return None

    def _extreme_count_bound(self) -> float:
        """A count above this family's (fixed-rate) quantile at 1 - 2^-53."""
        raise NotImplementedError

    def compile(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        """The kernel code and parameters; TypeError with an uncertain rate (the scenario
        compiler draws one rate per trial instead).
        """
        if self.rate_distribution() is not None:
            raise TypeError("a count with an uncertain rate is compiled by the engine's model "
                            "compiler (simulator.scenario.compiled), one rate per trial")
        return self._compile_fixed(data)

    def describe(self) -> str:
        """``family(mean=...)`` with the rate (or its distribution) in words."""
        rate = self.rate_distribution()
        inner = f"{getattr(self, self.RATE_FIELD):g}" if rate is None else rate.describe()
        extra = "" if self.RATE_KEY == "p" or not hasattr(self, "dispersion") else \
            f", dispersion={self.dispersion:g}"
        return f"{self.dist}({self.RATE_KEY}={inner}{extra})"


class Poisson(_Count):
    """Poisson count with ``mean`` events (per year, where it is a frequency).

    The mean may be a number, a distribution (an uncertain rate, drawn once per trial), or
    learned from history: a gamma ``prior`` updated by ``observed_events`` in
    ``observed_years`` (conjugate update: the rate's posterior is gamma with shape
    ``prior.shape + observed_events`` and scale ``1 / (1 / prior.scale + observed_years)``).
    """

    dist: Literal["poisson"]
    mean_: Uncertain[Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)]] | None = Field(
        None, alias="mean", description="expected count (events per year, where it is a "
        "frequency): a number, or a distribution of the rate drawn once per trial")
    prior: Gamma | None = Field(None, description="gamma prior of the rate (events per "
                                  "year), instead of mean; updated by observed_events and "
                                  "observed_years")
    observed_events: int | None = Field(None, ge=0, le=10**9, description="events seen in "
                                        "observed_years (with prior)")
    observed_years: Finite | None = Field(None, gt=0, le=1e6, description="years of history "
                                          "in which observed_events happened (with prior)")

    model_config = ConfigDict(populate_by_name=True, json_schema_extra={"examples": [
        {"dist": "poisson", "mean": 1.5},
        {"dist": "poisson", "mean": {"dist": "lognormal", "low": 0.01, "high": 0.08}},
        {"dist": "poisson", "prior": {"dist": "gamma", "shape": 1, "scale": 0.2},
         "observed_events": 2, "observed_years": 5}]})

    @model_validator(mode="after")
    def _check(self) -> Poisson:
        if (self.mean_ is None) == (self.prior is None):
            raise ValueError("give either mean (a number or a distribution) or a gamma prior "
                             "with observed_events and observed_years")
        if self.prior is None and (self.observed_events is not None or
                                   self.observed_years is not None):
            raise FieldError("observed_events", "observed_events and observed_years update a "
                             "prior; give prior = { dist = \"gamma\", shape = ..., scale = ... }")
        if self.prior is not None and ((self.observed_events is None) !=
                                       (self.observed_years is None)):
            raise FieldError("observed_years" if self.observed_years is None else
                             "observed_events", "observed_events and observed_years go "
                             "together (e.g. 2 events in 5 years)")
        if self.prior is not None and self.prior.scale_distribution() is not None:
            raise FieldError("prior", "a prior's scale must be a number (the conjugate update "
                             "needs it)")
        self._check_rate(0.0, math.inf)
        return self

    def rate_distribution(self) -> Distribution | None:
        """The rate's distribution: the posterior with a prior, else as given."""
        if self.prior is None:
            return super().rate_distribution()
        return self.posterior()

    def posterior(self) -> Gamma:
        """The rate's gamma distribution after the observed history (the prior without one)."""
        if self.prior is None:
            raise TypeError(f"{self.describe()} has no prior")
        k = self.observed_events or 0
        t = self.observed_years or 0.0
        return Gamma(dist="gamma", shape=self.prior.shape + k,
                     scale=1.0 / (1.0 / self.prior.fixed_scale() + t))

    def fixed_mean(self) -> float:
        """``mean`` as a number (TypeError when the rate is uncertain)."""
        if self.mean_ is None or isinstance(self.mean_, Distribution):
            raise TypeError(f"{self.describe()} has an uncertain rate")
        return self.mean_

    def scipy(self) -> Any:
        """``scipy.stats.poisson``; TypeError with an uncertain rate (a mixture)."""
        from scipy import stats

        if self.rate_distribution() is not None:
            raise TypeError("a poisson with an uncertain rate is a mixture with no scipy "
                            "equivalent; use mean(), std(), cdf() and quantile()")
        return stats.poisson(self.mean_)

    def closed_form(self) -> Frozen:
        """``pdtr`` and its inverse ``pdtrik``, as scipy.stats.poisson's, step for step."""
        if self.rate_distribution() is not None or self.mean_ == 0:
            return self.scipy()
        sp, mu = _special(), self.fixed_mean()

        def ppf(q: np.ndarray) -> np.ndarray:  # scipy.stats.poisson's, step for step
            vals = np.ceil(sp.pdtrik(q, mu))
            below = np.maximum(vals - 1, 0)
            return np.where(sp.pdtr(below, mu) >= q, below, vals)

        return ClosedForm(ppf, lambda k: np.where(k < 0, 0.0, sp.pdtr(np.floor(k), mu)), 0.0,
                          math.inf,
                          sf=lambda k: np.where(k < 0, 1.0, sp.pdtrc(np.floor(k), mu)),
                          discrete=True)

    def _compile_fixed(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        return _count_table(self.closed_form(), data)

    def _extreme_count_bound(self) -> float:
        # Bernstein: P(X > mu + sqrt(2 mu s) + s / 3) <= e^-s for a Poisson count (TAIL_S).
        return _bernstein(self.fixed_mean())

    def _sample_at(self, rates: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return rng.poisson(rates)

    def describe(self) -> str:
        """As :meth:`_Count.describe`; with a prior, the posterior and the history."""
        if self.prior is None:
            return super().describe()
        post = self.posterior()
        return (f"poisson(mean=gamma(shape={post.shape:g}, scale={post.scale:g}) from prior "
                f"{self.prior.describe()} and {self.history()})")

    def history(self) -> str:
        """The observed history in words: "2 events in 5 years"."""
        k, t = self.observed_events or 0, self.observed_years or 0.0
        return f"{k} event{'' if k == 1 else 's'} in {t:g} year{'' if t == 1 else 's'}"


class Bernoulli(_Count):
    """1 with probability ``p``, else 0 (as a frequency: at most one event a year). ``p`` may
    be a distribution on [0, 1], drawn once per trial.
    """

    dist: Literal["bernoulli"]
    p: Uncertain[Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]] = Field(
        description="probability of a 1: a number, or a distribution on [0, 1] drawn once "
        "per trial")

    RATE_FIELD: ClassVar[str] = "p"
    RATE_KEY: ClassVar[str] = "p"

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"dist": "bernoulli", "p": 0.03},
        {"dist": "bernoulli", "p": {"dist": "beta", "a": 2, "b": 60}}]})

    @model_validator(mode="after")
    def _check(self) -> Bernoulli:
        self._check_rate(0.0, 1.0)
        return self

    def probability(self) -> float:
        """P(1): ``p``, or its mean when it is uncertain (a mixture of Bernoullis is a
        Bernoulli).
        """
        p = self.p
        return p.mean() if isinstance(p, Distribution) else p

    def scipy(self) -> Any:
        """``scipy.stats.bernoulli`` with :meth:`probability`."""
        from scipy import stats

        return stats.bernoulli(self.probability())

    def closed_form(self) -> ClosedForm:
        """The two-point step function at 0 and 1."""
        p = self.probability()
        return ClosedForm(lambda q: np.where(q <= 1.0 - p, 0.0, 1.0),
                          lambda k: np.where(k < 0, 0.0, np.where(k < 1, 1.0 - p, 1.0)), 0.0,
                          1.0, discrete=True)

    def cdf(self, k: Any) -> Any:
        """P(count <= k)."""
        return self.closed_form().cdf(k)

    def quantile(self, q: Any) -> Any:
        """Quantiles at levels ``q``: 0 or 1."""
        return self.closed_form().ppf(q)

    def std(self) -> float:
        """sqrt(p (1 - p))."""
        return float(self.scipy().std())

    def _compile_fixed(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        return K.BERNOULLI, _params(self.probability())

    def _sample_at(self, rates: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return (rng.random(rates.size) < rates).astype(np.int64)


class NegativeBinomial(_Count):
    """Over-dispersed count with ``mean`` and ``dispersion`` r: variance = mean + mean^2 / r
    (a Poisson whose rate is gamma-distributed; large r approaches a Poisson). The mean may be
    a distribution, drawn once per trial.
    """

    dist: Literal["negative_binomial"]
    mean_: Uncertain[Annotated[float, Field(gt=0, le=1e6, allow_inf_nan=False)]] = Field(
        alias="mean", description="expected count: a number, or a distribution drawn once per "
        "trial")
    dispersion: Finite = Field(gt=0, description="r: variance = mean + mean^2 / r; smaller "
                               "is more over-dispersed")

    model_config = ConfigDict(populate_by_name=True, json_schema_extra={"examples": [
        {"dist": "negative_binomial", "mean": 6.5, "dispersion": 5}]})

    @model_validator(mode="after")
    def _check(self) -> NegativeBinomial:
        self._check_rate(0.0, math.inf)
        return self

    def fixed_mean(self) -> float:
        """``mean`` as a number (TypeError when it is uncertain)."""
        if isinstance(self.mean_, Distribution):
            raise TypeError(f"{self.describe()} has an uncertain mean")
        return self.mean_

    def scipy(self) -> Any:
        """``scipy.stats.nbinom`` with n = r and p = r / (r + mean); TypeError with an
        uncertain mean (a mixture).
        """
        from scipy import stats

        if self.rate_distribution() is not None:
            raise TypeError("a negative_binomial with an uncertain mean is a mixture with no "
                            "scipy equivalent; use mean(), std(), cdf() and quantile()")
        r = self.dispersion
        return stats.nbinom(r, r / (r + self.fixed_mean()))

    def at_rate(self, rate: float) -> Self:
        """The same family with the mean fixed at ``rate`` (at least 1e-300)."""
        return self.model_copy(update={"mean_": max(float(rate), 1e-300)})

    def closed_form(self) -> Frozen:
        """The regularised incomplete beta function (boost's ibeta, as scipy.stats.nbinom's)
        and a stepping search for its inverse.
        """
        if self.rate_distribution() is not None:
            return self.scipy()
        sp = _special()
        r, mean = self.dispersion, self.fixed_mean()
        p = r / (r + mean)

        def cdf(k: Any) -> Any:  # scipy.stats.nbinom's (boost's ibeta)
            return np.where(k < 0, 0.0, sp.betainc(r, np.floor(np.maximum(k, 0)) + 1, p))

        def ppf(q: np.ndarray) -> np.ndarray:
            # Smallest k with cdf(k) >= q: from the normal approximation, then step.
            sd = math.sqrt(mean + mean * mean / r)
            out = []
            for x in np.atleast_1d(q).ravel():
                k = max(0.0, math.floor(mean + sd * float(sp.ndtri(min(max(x, 1e-300),
                                                                         1 - 1e-16)))))
                while cdf(k) < x:
                    k += max(1.0, math.floor(0.1 * sd)) if cdf(k + 10 * sd) < x else 1.0
                while k > 0 and cdf(k - 1) >= x:
                    k -= 1.0
                out.append(k)
            return np.reshape(out, np.shape(q))

        return ClosedForm(ppf, cdf, 0.0, math.inf,
                          sf=lambda k: np.where(k < 0, 1.0, sp.betaincc(
                              r, np.floor(np.maximum(k, 0)) + 1, p)), discrete=True,
                          isf_from_sf=True)

    def _compile_fixed(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        return _count_table(self.closed_form(), data)

    def _extreme_count_bound(self) -> float:
        # A Poisson count at a Gamma(r, mean / r) rate: the rate stays below the gamma's
        # sub-gamma bound but for e^-s, the count below the Poisson's at that rate but for
        # e^-s (2 e^-TAIL_S in all).
        r, mean = self.dispersion, self.fixed_mean()
        return _bernstein(mean / r * (r + math.sqrt(2.0 * r * TAIL_S) + TAIL_S) * (1.0 + 1e-6))

    def _sample_at(self, rates: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        r = self.dispersion
        return rng.poisson(rng.gamma(r, np.maximum(rates, 1e-300) / r))
