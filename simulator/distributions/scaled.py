"""The severity families whose size may be uncertain: lognormal (its ``mu``) and gamma (its
``scale``). With a number they are ordinary continuous families; with a distribution, each
trial draws the size once and every event of the trial scales with it (:class:`_Scaled`).
"""
from __future__ import annotations

import math
from typing import Annotated, Any, ClassVar, Literal

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
    _mixture_quantile,
    _params,
    _rng,
    _sample_size,
    _special,
    _tabulate,
)
from simulator.distributions.gauss import NDTRI_ABS, ndtr, ndtri, ndtri_near

TAIL_S = 40.0
"""s in the tail bounds P(X > bound) <= e^-s of :meth:`Gamma.draw_range_bounds` and the
counts': e^-40 = 4e-18, below the 1.1e-16 (2^-53) of the engine's most extreme uniform."""


class _Scaled(Distribution):
    """Shared by the severity families whose size may be uncertain (a lognormal's ``mu``, a
    gamma's ``scale``): each trial draws the parameter once, and every event of the trial
    scales with it, so a trial's losses share their typical size. The engine samples the
    family at a neutral parameter and multiplies each event by its trial's factor.

    A family says what it is at a fixed size in :meth:`_scipy_fixed`,
    :meth:`_closed_form_fixed` and :meth:`_compile_fixed`; this class adds the mixture.
    """

    SCALE_FIELD: ClassVar[str] = "scale"
    LOG_SCALE: ClassVar[bool] = False  #: the factor is exp(parameter) rather than parameter
    NODES: ClassVar[int] = 1024

    def scale_distribution(self) -> Distribution | None:
        """The per-trial distribution of the size parameter, or None when it is a number."""
        v = getattr(self, self.SCALE_FIELD)
        return v if isinstance(v, Distribution) else None

    def _uncertain_scale(self) -> Distribution:
        d = self.scale_distribution()
        if d is None:
            raise TypeError(f"this {self.dist}'s {self.SCALE_FIELD} is a number, not uncertain")
        return d

    def base(self) -> Distribution:
        """The family at the neutral parameter (factor 1): what the engine tabulates."""
        return self.model_copy(update={self.SCALE_FIELD: 0.0 if self.LOG_SCALE else 1.0})

    def factors(self, values: Any) -> Any:
        """Each trial's factor on its losses from the drawn parameter values."""
        return np.exp(values) if self.LOG_SCALE else np.asarray(values, dtype=float)

    def _nodes(self, n: int | None = None) -> np.ndarray:
        # Factors at n equal-probability nodes of the parameter: the mixture's closed forms are
        # averages over them (midpoint rule in probability).
        n = n or self.NODES
        q = (np.arange(n) + 0.5) / n
        return np.asarray(self.factors(self._uncertain_scale().quantile(q)))

    def _scaled_closed_form(self) -> ClosedForm:
        base, f = self.base().closed_form(), self._nodes()

        def cdf(x: np.ndarray) -> np.ndarray:
            x = np.asarray(x, dtype=float)
            return np.mean(base.cdf(x[..., None] / f), axis=-1)

        def ppf(q: np.ndarray) -> np.ndarray:
            shape = np.shape(q)
            q = np.atleast_1d(np.asarray(q, dtype=float))
            b = np.atleast_1d(base.ppf(np.clip(q, 1e-300, 1 - 1e-16)))
            ends = (b * f.min(), b * f.max())
            return _mixture_quantile(cdf, np.minimum(*ends), np.maximum(*ends), q).reshape(shape)

        return ClosedForm(ppf, cdf, 0.0, math.inf)

    def _scipy_fixed(self) -> Any:
        raise NotImplementedError

    def _closed_form_fixed(self) -> Frozen:
        raise NotImplementedError

    def _compile_fixed(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        raise NotImplementedError

    def scipy(self) -> Any:
        """The frozen ``scipy.stats`` distribution; TypeError with an uncertain size (a
        mixture with no scipy equivalent).
        """
        if self.scale_distribution() is not None:
            raise TypeError(f"a {self.dist} with an uncertain {self.SCALE_FIELD} is a mixture "
                            "with no scipy equivalent; use mean(), std(), cdf() and quantile()")
        return self._scipy_fixed()

    def closed_form(self) -> Frozen:
        """The closed forms; with an uncertain size, the mixture's (an average over
        :attr:`NODES` equal-probability sizes, quantiles by root finding).
        """
        if self.scale_distribution() is None:
            return self._closed_form_fixed()
        return self._scaled_closed_form()

    def mean(self) -> float:
        """The mean (over the size's distribution when it is uncertain)."""
        if self.scale_distribution() is None:
            return super().mean()
        return float(self.base().mean() * self._nodes(1 << 18).mean())

    def std(self) -> float:
        """The standard deviation (over the size's distribution when it is uncertain)."""
        if self.scale_distribution() is None:
            return super().std()
        b, f = self.base(), self._nodes(1 << 18)
        second = (b.std() ** 2 + b.mean() ** 2) * (f ** 2).mean()
        return float(math.sqrt(max(second - self.mean() ** 2, 0.0)))

    def sample(self, size: int | tuple[int, ...],
               seed: int | np.random.Generator | None = None) -> np.ndarray:
        """As :meth:`Distribution.sample`; with an uncertain size, a size per draw."""
        d = self.scale_distribution()
        if d is None:
            return super().sample(size, seed)
        n, shape = _sample_size(size)
        rng = _rng(seed)
        return (self.base().sample(n, rng) * self.factors(d.sample(n, rng))).reshape(shape)

    def draw_range(self) -> tuple[float, float]:
        """As :meth:`Distribution.draw_range`, with the ends of the size's range."""
        d = self.scale_distribution()
        if d is None:
            return super().draw_range()
        lo, hi = self.base().draw_range()
        with np.errstate(all="ignore"):
            f = self.factors(np.array(d.draw_range()))
        return float(lo * f.min()), float(hi * f.max())

    def draw_range_bounds(self) -> tuple[float, float]:
        """As :meth:`draw_range`, from the bounds of the base's and the size's ranges (the
        base and the factors are not negative, and the factors grow with the size).
        """
        d = self.scale_distribution()
        if d is None:
            return self._draw_range_bounds_fixed()
        lo, hi = self.base().draw_range_bounds()
        with np.errstate(all="ignore"):
            f = self.factors(np.array(d.draw_range_bounds()))
        return float(lo * f.min()), float(hi * f.max())

    def _draw_range_bounds_fixed(self) -> tuple[float, float]:
        return super().draw_range_bounds()

    def support(self) -> tuple[float, float]:
        """0 to infinity (with a fixed size or not)."""
        return 0.0, math.inf

    def compile(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        """The kernel code and parameters; TypeError with an uncertain size (the scenario
        compiler compiles :meth:`base` and a factor per trial instead).
        """
        if self.scale_distribution() is not None:
            raise TypeError("a severity with an uncertain size is compiled by the engine's "
                            "model compiler (simulator.scenario.compiled): its base, and a "
                            "factor per trial")
        return self._compile_fixed(data)

    def _check_scale(self) -> None:
        d = self.scale_distribution()
        if d is None:
            return
        if isinstance(d, _Scaled) and d.scale_distribution() is not None:
            raise FieldError(self.SCALE_FIELD, "an uncertain parameter's distribution cannot "
                             "have uncertain parameters of its own")
        if not self.LOG_SCALE and d.support()[0] < 0:
            raise FieldError(self.SCALE_FIELD, f"the {self.SCALE_FIELD}'s distribution "
                             f"{d.describe()} can go below 0; it must stay positive")

    def describe(self) -> str:
        """As :meth:`Distribution.describe`, with the size's distribution in words."""
        d = self.scale_distribution()
        if d is None:
            return super().describe()
        others = ", ".join(f"{k}={v:g}" for k, v in self.model_dump(
            exclude={"dist", self.SCALE_FIELD}).items() if isinstance(v, float | int))
        return f"{self.dist}({self.SCALE_FIELD}={d.describe()}, {others})"


class Lognormal(_Scaled):
    """Lognormal, given either as ``mu``, ``sigma`` (mean and standard deviation of log x) or as
    a range ``low``, ``high`` holding the central ``confidence`` share of the probability
    (default 0.9: low and high are the 5th and 95th percentiles). Give one pair, not both.
    A run warns when sigma is above 2: the mean is then over 7 times the median. As a risk's
    severity, ``mu`` may be a distribution drawn once per trial (the typical loss size is
    uncertain; every event of the trial scales by e^mu).
    """

    SCALE_FIELD: ClassVar[str] = "mu"
    LOG_SCALE: ClassVar[bool] = True

    dist: Literal["lognormal"]
    mu: Uncertain[Annotated[float, Field(allow_inf_nan=False)]] | None = Field(
        None, description="mean of log x (the median is e^mu); with sigma. In a severity, may "
        "be a distribution drawn once per trial")
    sigma: Finite | None = Field(None, gt=0, description="standard deviation of log x; "
                                 "with mu")
    low: Finite | None = Field(None, gt=0, description="lower end of the range: the "
                               "(1 - confidence) / 2 quantile; with high")
    high: Finite | None = Field(None, gt=0, description="upper end of the range: the "
                                "(1 + confidence) / 2 quantile, > low; with low")
    confidence: Finite | None = Field(None, gt=0, lt=1, description="share of the probability "
                                      "between low and high; default 0.9; only with low and "
                                      "high")

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"dist": "lognormal", "low": 150_000, "high": 600_000},
        {"dist": "lognormal", "low": 1_500, "high": 15_000, "confidence": 0.8},
        {"dist": "lognormal", "mu": 12.206, "sigma": 2.5}]})

    @model_validator(mode="after")
    def _check(self) -> Lognormal:
        by_log = self.mu is not None or self.sigma is not None
        by_range = self.low is not None or self.high is not None
        if by_log == by_range:
            raise ValueError("give either mu and sigma (of log x) or low and high (a range)")
        if by_log and (self.mu is None or self.sigma is None):
            raise ValueError("mu and sigma must be given together")
        if by_range:
            if self.low is None or self.high is None:
                raise ValueError("low and high must be given together")
            if not self.low < self.high:
                raise FieldError("high", f"must be greater than low (got low={self.low:g}, "
                                 f"high={self.high:g})")
        elif self.confidence is not None:
            raise ValueError("confidence goes with low and high, not with mu and sigma")
        self._check_scale()
        return self

    def log_params(self) -> tuple[float, float]:
        """(mu, sigma): mean and standard deviation of log x (TypeError when mu is uncertain)."""
        if self.mu is not None:
            if isinstance(self.mu, Distribution) or self.sigma is None:
                raise TypeError(f"{self.describe()} has an uncertain mu: no single (mu, sigma)")
            return self.mu, self.sigma
        if self.low is None or self.high is None:  # the validator has ruled this out
            raise TypeError("a lognormal needs mu and sigma or low and high")
        # scipy.stats.norm.ppf is this function, bit for bit (a table at the usual levels).
        z = float(ndtri(0.5 + (0.9 if self.confidence is None else self.confidence) / 2))
        lo, hi = math.log(self.low), math.log(self.high)
        return (lo + hi) / 2, (hi - lo) / (2 * z)

    def _scipy_fixed(self) -> Any:
        from scipy import stats

        mu, sigma = self.log_params()
        return stats.lognorm(s=sigma, scale=math.exp(mu))

    def _closed_form_fixed(self) -> ClosedForm:
        sp = _special()
        mu, sigma = self.log_params()
        scale = math.exp(mu)

        def cdf(x: np.ndarray) -> np.ndarray:
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(x > 0, sp.ndtr(np.log(np.maximum(x, 1e-300) / scale) / sigma),
                                0.0)

        return ClosedForm(lambda q: np.exp(sigma * ndtri(q)) * scale, cdf, 0.0, math.inf)

    def quantile_near(self, q: np.ndarray) -> tuple[np.ndarray, float] | None:
        """With a fixed mu, e^(mu + sigma z) from :func:`~simulator.distributions.gauss.
        ndtri_near`'s z: within sigma * NDTRI_ABS (and exp's rounding) relatively.
        """
        if self.scale_distribution() is not None:
            return None
        mu, sigma = self.log_params()
        with np.errstate(over="ignore"):
            x = np.exp(sigma * ndtri_near(q)) * math.exp(mu)
        return x, sigma * NDTRI_ABS * 1.01 + 1e-15

    def cdf_bounds(self, x: float) -> tuple[float, float] | None:
        """With a fixed mu, ``ndtr(log(x / e^mu) / sigma)`` (0 at x <= 0) exactly (both ends of
        the interval; :func:`~simulator.distributions.gauss.ndtr`); None with an uncertain mu.
        """
        if self.scale_distribution() is not None:
            return None
        if not x > 0:
            return 0.0, 0.0
        mu, sigma = self.log_params()
        # as the closed form's cdf computes its argument, numpy's log included
        z = float(np.log(np.maximum(np.asarray(x, dtype=float), 1e-300) / math.exp(mu)) / sigma)
        p = ndtr(z)
        return p, p

    def _compile_fixed(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        return K.LOGNORMAL, _params(*self.log_params())

    def warnings(self) -> list[str]:
        """A sigma above 2 (of log x): a tail heavy enough to dominate the results."""
        if self.scale_distribution() is not None:
            sigma = self.sigma if self.sigma is not None else 0.0  # given with mu
            return [] if sigma <= 2.0 else [
                f"{self.describe()} has sigma = {sigma:.2f} (of log x): a very heavy "
                "tail; rare draws will dominate the results. Check it, or cap the loss."]
        mu, sigma = self.log_params()
        if sigma <= 2.0:
            return []
        f = self.scipy()
        return [f"{self.describe()} has sigma = {sigma:.2f} (of log x): a very heavy tail. Its "
                f"mean is {f.mean():.4g}, {f.mean() / f.median():.3g} times its median "
                f"{f.median():.4g}, and its 99th percentile is {f.ppf(0.99):.4g}; rare draws "
                "will dominate the results. Check the range, or cap the loss."]


class Gamma(_Scaled):
    """Gamma with ``shape`` k and ``scale`` theta (mean k * theta, variance k * theta^2). As a
    risk's severity, ``scale`` may be a distribution drawn once per trial (every event of the
    trial scales with it).
    """

    SCALE_FIELD: ClassVar[str] = "scale"

    dist: Literal["gamma"]
    shape: Finite = Field(gt=0, description="shape k")
    scale: Uncertain[Annotated[float, Field(gt=0, allow_inf_nan=False)]] = Field(
        description="scale theta, in the unit of the values. In a severity, may be a "
        "distribution drawn once per trial")

    @model_validator(mode="after")
    def _check(self) -> Gamma:
        self._check_scale()
        return self

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"dist": "gamma", "shape": 4, "scale": 25_000}]})

    def fixed_scale(self) -> float:
        """``scale`` as a number (TypeError when it is uncertain)."""
        if isinstance(self.scale, Distribution):
            raise TypeError(f"{self.describe()} has an uncertain scale")
        return self.scale

    def _scipy_fixed(self) -> Any:
        from scipy import stats

        return stats.gamma(self.shape, scale=self.fixed_scale())

    def _closed_form_fixed(self) -> ClosedForm:
        sp = _special()
        k, scale = self.shape, self.fixed_scale()
        return ClosedForm(lambda q: sp.gammaincinv(k, q) * scale,
                          lambda x: sp.gammainc(k, np.maximum(x, 0.0) / scale), 0.0, math.inf)

    def _compile_fixed(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        return _tabulate(self._closed_form_fixed(), data, self.model_dump_json())

    def _draw_range_bounds_fixed(self) -> tuple[float, float]:
        # Gamma(k, theta) is sub-gamma (variance k theta^2, scale theta): P(X > theta (k +
        # sqrt(2 k s) + s)) <= e^-s, far beyond the quantile at 1 - 2^-53 for s = TAIL_S;
        # the factor allows for gammaincinv's rounding.
        k, theta = self.shape, self.fixed_scale()
        return 0.0, theta * (k + math.sqrt(2.0 * k * TAIL_S) + TAIL_S) * (1.0 + 1e-6)
