"""The continuous families with fixed parameters: constant, uniform, triangular, PERT, normal
(optionally truncated) and beta.

The PERT-to-beta shapes are written once, in :func:`pert_beta`; :mod:`simulator.analysis.fit`
and :mod:`simulator.analysis.elicit` use it (and :meth:`Pert.scipy`) rather than their own.
"""
from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from pydantic import ConfigDict, Field, model_validator

from simulator import codes as K  # the kernels' plain-array contract, without numba
from simulator.distributions.base import (
    ClosedForm,
    DataBuilder,
    Distribution,
    FieldError,
    Finite,
    _params,
    _special,
    _tabulate,
)
from simulator.distributions.gauss import EXTREME_U, ndtr, ndtri

PERT_LAMBDA = 4.0
"""A PERT's default ``lambda``: the weight of the mode."""


def pert_beta(low: float, mode: float, high: float,
              lam: float = PERT_LAMBDA) -> tuple[float, float]:
    """The beta shapes (alpha, beta) of the PERT on [``low``, ``high``] with most likely value
    ``mode`` and weight ``lam``: alpha = 1 + lam (mode - low) / (high - low) and
    beta = 1 + lam (high - mode) / (high - low).
    """
    w = high - low
    return 1.0 + lam * (mode - low) / w, 1.0 + lam * (high - mode) / w


def _beta(a: float, b: float, lo: float, w: float) -> ClosedForm:
    """Beta(a, b) stretched to [lo, lo + w] (scipy.stats.beta's ppf is betaincinv)."""
    sp = _special()
    return ClosedForm(lambda q: sp.betaincinv(a, b, q) * w + lo,
                      lambda x: sp.betainc(a, b, np.clip((x - lo) / w, 0.0, 1.0)), lo, lo + w)


class Constant(Distribution):
    """Always ``value``. A bare number in a scenario file means this."""

    dist: Literal["constant"] = "constant"
    value: Finite = Field(description="the value every draw takes")

    model_config = ConfigDict(json_schema_extra={"examples": [5, {"dist": "constant",
                                                                  "value": 5}]})

    def scipy(self) -> Any:
        """``scipy.stats.uniform`` of scale 0 at ``value``."""
        from scipy import stats

        return stats.uniform(loc=self.value, scale=0.0)

    def mean(self) -> float:
        """``value``."""
        return self.value

    def std(self) -> float:
        """0."""
        return 0.0

    def quantile(self, q: Any) -> Any:
        """``value`` at every level (an array for an array ``q``)."""
        return np.full_like(np.asarray(q, dtype=float), self.value) if np.ndim(q) else self.value

    def closed_form(self) -> ClosedForm:
        """A step at ``value``, exact, without scipy."""
        # A uniform of scale 0 has no cdf (nan, and a RuntimeWarning), which would let a
        # negative constant pass the checks of what must not be negative.
        v = self.value
        return ClosedForm(lambda q: np.full(np.shape(q), v),
                          lambda x: np.where(np.asarray(x) >= v, 1.0, 0.0), v, v)

    def support(self) -> tuple[float, float]:
        """(``value``, ``value``)."""
        return self.value, self.value

    def integer_valued(self) -> bool:
        """Whether ``value`` is a whole number."""
        return float(self.value).is_integer()

    def compile(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        """The CONSTANT kernel at ``value``."""
        return K.CONSTANT, _params(self.value)

    def describe(self) -> str:
        """The value alone, e.g. ``5``."""
        return f"{self.value:g}"


class Uniform(Distribution):
    """Every value between ``min`` and ``max`` equally likely."""

    dist: Literal["uniform"]
    min: Finite = Field(description="smallest value")
    max: Finite = Field(description="largest value, > min")

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"dist": "uniform", "min": 0.03, "max": 0.05}]})

    @model_validator(mode="after")
    def _check(self) -> Uniform:
        if not self.min < self.max:
            raise FieldError("max", f"must be greater than min (got min={self.min:g}, "
                             f"max={self.max:g})")
        return self

    def scipy(self) -> Any:
        """``scipy.stats.uniform`` on [min, max]."""
        from scipy import stats

        return stats.uniform(loc=self.min, scale=self.max - self.min)

    def mean(self) -> float:
        """The mean, (min + max) / 2: scipy's own arithmetic (0.5 * scale + loc), without
        importing scipy.stats (half a second of a run's start, for the assumptions table).
        """
        return 0.5 * (self.max - self.min) + self.min

    def closed_form(self) -> ClosedForm:
        """Linear ppf and cdf on [min, max]."""
        lo, w = self.min, self.max - self.min
        return ClosedForm(lambda q: q * w + lo, lambda x: np.clip((x - lo) / w, 0.0, 1.0),
                          self.min, self.max)

    def compile(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        """The UNIFORM kernel: min and width."""
        return K.UNIFORM, _params(self.min, self.max - self.min)


class _ThreePoint(Distribution):
    min: Finite = Field(description="smallest possible value")
    mode: Finite = Field(description="most likely value, min <= mode <= max")
    max: Finite = Field(description="largest possible value, > min")

    @model_validator(mode="after")
    def _check(self) -> _ThreePoint:
        if not self.min < self.max:
            raise FieldError("max", f"must be greater than min (got min={self.min:g}, "
                             f"max={self.max:g})")
        if not self.min <= self.mode <= self.max:
            raise FieldError("mode", f"must lie in [min, max] (got mode={self.mode:g}, "
                             f"min={self.min:g}, max={self.max:g})")
        return self


class Triangular(_ThreePoint):
    """Triangle from ``min`` through the most likely value ``mode`` to ``max``."""

    dist: Literal["triangular"]

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"dist": "triangular", "min": 3, "mode": 6, "max": 12}]})

    def _peak(self) -> float:
        """Where the mode lies as a share of [min, max] (scipy's ``c``)."""
        return (self.mode - self.min) / (self.max - self.min)

    def scipy(self) -> Any:
        """``scipy.stats.triang`` on [min, max]."""
        from scipy import stats

        return stats.triang(c=self._peak(), loc=self.min, scale=self.max - self.min)

    def closed_form(self) -> ClosedForm:
        """The triangle's piecewise-quadratic cdf and its inverse."""
        lo, w = self.min, self.max - self.min
        c = self._peak()

        def ppf(q: np.ndarray) -> np.ndarray:
            with np.errstate(invalid="ignore"):
                return np.where(q < c, np.sqrt(c * q), 1.0 - np.sqrt((1.0 - c) * (1.0 - q))) \
                    * w + lo

        def cdf(x: np.ndarray) -> np.ndarray:
            z = np.clip((x - lo) / w, 0.0, 1.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(z <= c, np.where(c > 0, z * z / c, 0.0),
                                1.0 - (1.0 - z) ** 2 / (1.0 - c))

        return ClosedForm(ppf, cdf, self.min, self.max)

    def compile(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        """The TRIANGULAR kernel: min, mode, max and the mode's share."""
        return K.TRIANGULAR, _params(self.min, self.mode, self.max, self._peak())


class Pert(_ThreePoint):
    """PERT: a beta on [min, max] with most likely value ``mode``; ``lambda`` (default 4) sets
    how strongly the mode pulls (mean = (min + lambda * mode + max) / (lambda + 2)).
    """

    dist: Literal["pert"]
    lambda_: Finite = Field(PERT_LAMBDA, alias="lambda", gt=0,
                            description="weight of the mode; larger is more peaked")

    model_config = ConfigDict(populate_by_name=True, json_schema_extra={"examples": [
        {"dist": "pert", "min": 30_000, "mode": 36_000, "max": 50_000}]})

    def beta_shapes(self) -> tuple[float, float]:
        """The beta's shapes (alpha, beta): see :func:`pert_beta`."""
        return pert_beta(self.min, self.mode, self.max, self.lambda_)

    def scipy(self) -> Any:
        """``scipy.stats.beta`` with :meth:`beta_shapes` on [min, max]."""
        from scipy import stats

        return stats.beta(*self.beta_shapes(), loc=self.min, scale=self.max - self.min)

    def closed_form(self) -> ClosedForm:
        """The beta's regularised incomplete beta function and its inverse."""
        return _beta(*self.beta_shapes(), self.min, self.max - self.min)

    def compile(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        """A quantile table (the TABLE kernel)."""
        return _tabulate(self.closed_form(), data, self.model_dump_json())

    def describe(self) -> str:
        """``pert(min=..., mode=..., max=...)``, with lambda when not the default."""
        lam = "" if self.lambda_ == PERT_LAMBDA else f", lambda={self.lambda_:g}"
        return f"pert(min={self.min:g}, mode={self.mode:g}, max={self.max:g}{lam})"


class Normal(Distribution):
    """Normal with ``mean`` and standard deviation ``sd``; optional ``min``/``max`` truncate it
    (draws outside are impossible, not clipped, so the mean moves accordingly).
    """

    dist: Literal["normal"]
    mean_: Finite = Field(alias="mean", description="mean before truncation")
    sd: Finite = Field(gt=0, description="standard deviation before truncation")
    min: Finite | None = Field(None, description="lower truncation bound; default none")
    max: Finite | None = Field(None, description="upper truncation bound, > min; default none")

    model_config = ConfigDict(populate_by_name=True, json_schema_extra={"examples": [
        {"dist": "normal", "mean": 120_000, "sd": 8_000},
        {"dist": "normal", "mean": 10, "sd": 2, "min": 0, "max": 20}]})

    @model_validator(mode="after")
    def _check(self) -> Normal:
        lo, hi = self._bounds()
        if not lo < hi:
            raise FieldError("max", f"must be greater than min (got min={lo:g}, max={hi:g})")
        a, b = (lo - self.mean_) / self.sd, (hi - self.mean_) / self.sd
        if _window_empty(a, b):
            raise FieldError("min", "the truncation interval [min, max] lies more than 7 sd "
                             "from the mean: almost no probability is left in it")
        return self

    def _bounds(self) -> tuple[float, float]:
        return (-math.inf if self.min is None else self.min,
                math.inf if self.max is None else self.max)

    def scipy(self) -> Any:
        """``scipy.stats.norm``, or ``scipy.stats.truncnorm`` with min or max."""
        from scipy import stats

        lo, hi = self._bounds()
        if self.min is None and self.max is None:
            return stats.norm(self.mean_, self.sd)
        return stats.truncnorm((lo - self.mean_) / self.sd, (hi - self.mean_) / self.sd,
                               loc=self.mean_, scale=self.sd)

    def _window(self) -> tuple[float, float, float]:
        """(ua, width, sign): draws are mean + sign * sd * Phi^-1(ua + u * width)."""
        lo, hi = self._bounds()
        a, b = (lo - self.mean_) / self.sd, (hi - self.mean_) / self.sd
        sign = 1.0
        if a > 0.0:
            # Both bounds in the upper tail: sample the mirror image from the lower tail,
            # where the cdf values keep their precision.
            a, b, sign = -b, -a, -1.0
        ua, ub = float(ndtr(a)), float(ndtr(b))
        return ua, ub - ua, sign

    def closed_form(self) -> ClosedForm:
        """``ndtr`` and ``ndtri``, within the truncation window where there is one."""
        sp = _special()
        m, sd = self.mean_, self.sd
        lo, hi = self._bounds()
        if self.min is None and self.max is None:
            return ClosedForm(lambda q: ndtri(q) * sd + m, lambda x: sp.ndtr((x - m) / sd),
                              lo, hi)
        ua, width, sign = self._window()

        def ppf(q: np.ndarray) -> np.ndarray:
            return m + sign * sd * ndtri(ua + (q if sign > 0 else 1.0 - q) * width)

        def cdf(x: np.ndarray) -> np.ndarray:
            p = (sp.ndtr(sign * (x - m) / sd) - ua) / width
            return np.clip(p if sign > 0 else 1.0 - p, 0.0, 1.0)

        return ClosedForm(ppf, cdf, lo, hi)

    def support(self) -> tuple[float, float]:
        """(min, max), each infinite where not given."""
        return self._bounds()

    def cdf_bounds(self, x: float) -> tuple[float, float] | None:
        """Without truncation, ``ndtr((x - mean) / sd)`` exactly (both ends of the interval;
        :func:`~simulator.distributions.gauss.ndtr`); None with truncation.
        """
        if self.min is not None or self.max is not None:
            return None
        p = ndtr((x - self.mean_) / self.sd)
        return p, p

    def draw_range_bounds(self) -> tuple[float, float]:
        """The ends exactly where they need no scipy (a finite bound, or no truncation);
        an infinite end of a truncated normal bounded from its window's cdf values (see
        :func:`_extreme_bound`).
        """
        lo, hi = self._bounds()
        if (self.min is None) == (self.max is None):
            return self.draw_range()
        m, sd = self.mean_, self.sd
        a, b = (lo - m) / sd, (hi - m) / sd
        sign = 1.0
        if a > 0.0:  # as _window: the mirror image, from the lower tail
            a, b, sign = -b, -a, -1.0
        ua, ub = ndtr(a), ndtr(b)
        if not math.isfinite(lo):
            lo = m - sd * _extreme_bound(ua, ub, EXTREME_U, sign)
        if not math.isfinite(hi):
            hi = m + sd * _extreme_bound(ua, ub, 1.0 - EXTREME_U, sign)
        return lo, hi

    def compile(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        """The NORMAL kernel: mean, sd and the truncation window."""
        ua, width, sign = self._window()
        return K.NORMAL, _params(self.mean_, self.sd, ua, width, sign)

    def describe(self) -> str:
        """``normal(mean=..., sd=...)``, with min and max where given."""
        s = f"normal(mean={self.mean_:g}, sd={self.sd:g}"
        s += "" if self.min is None else f", min={self.min:g}"
        s += "" if self.max is None else f", max={self.max:g}"
        return s + ")"


def _window_empty(a: float, b: float) -> bool:
    """Whether ``ndtr(b) - ndtr(a) < 1e-12 and ndtr(-a) - ndtr(-b) < 1e-12`` with scipy's
    ndtr (scipy.stats.norm's cdf, and sf(x) = ndtr(-x)): a window too narrow to sample.
    """
    return bool(ndtr(b) - ndtr(a) < 1e-12 and ndtr(-a) - ndtr(-b) < 1e-12)


def _extreme_bound(ua: float, ub: float, q: float, sign: float) -> float:
    """A bound on ``sign * ndtri(ua + level * (ub - ua))``, as :meth:`Normal.closed_form`'s
    quantile at ``q`` takes it (level q, or 1 - q in the mirror image), for the window's cdf
    values ``ua`` and ``ub``: |ndtri(p)| <= sqrt(-2 log(min(p, 1 - p))) (as
    Phi(-x) <= exp(-x^2 / 2) / 2); infinite where the level rounds to 0 or 1, where the
    quantile is infinite.
    """
    level = q if sign > 0 else 1.0 - q
    p = ua + level * (ub - ua)
    t = min(p, 1.0 - p)
    if not t > 0.0:
        return math.inf
    return math.sqrt(-2.0 * math.log(t)) * (1.0 + 1e-9)


class Beta(Distribution):
    """Beta with shapes ``a``, ``b``, stretched from [0, 1] to [``min``, ``max``]."""

    dist: Literal["beta"]
    a: Finite = Field(gt=0, description="first shape parameter (alpha)")
    b: Finite = Field(gt=0, description="second shape parameter (beta)")
    min: Finite = Field(0.0, description="where the [0, 1] range starts after stretching")
    max: Finite = Field(1.0, description="where the [0, 1] range ends after stretching, > min")

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"dist": "beta", "a": 2, "b": 5, "min": 0.03, "max": 0.27}]})

    @model_validator(mode="after")
    def _check(self) -> Beta:
        if not self.min < self.max:
            raise FieldError("max", f"must be greater than min (got min={self.min:g}, "
                             f"max={self.max:g})")
        return self

    def scipy(self) -> Any:
        """``scipy.stats.beta`` on [min, max]."""
        from scipy import stats

        return stats.beta(self.a, self.b, loc=self.min, scale=self.max - self.min)

    def closed_form(self) -> ClosedForm:
        """The regularised incomplete beta function and its inverse."""
        return _beta(self.a, self.b, self.min, self.max - self.min)

    def compile(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        """A quantile table (the TABLE kernel)."""
        return _tabulate(self.closed_form(), data, self.model_dump_json())
