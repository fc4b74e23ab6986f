"""Distribution families of the scenario format.

One small class per family: it validates its parameters (pydantic), knows its closed forms
through the equivalent frozen ``scipy.stats`` distribution, and compiles itself to the
``(code, params)`` form the numba kernels evaluate (see :mod:`simulator.engine.kernels`).

In a scenario file a distribution is an inline table with a ``dist`` key, or a bare number
(a constant)::

    amount = { dist = "lognormal", low = 150_000, high = 600_000 }
    onshore_fte = 20
"""
from __future__ import annotations

import math
from typing import Annotated, Any, ClassVar, Literal, Union

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from simulator import codes as K  # the kernels' plain-array contract, without numba

# Resolution of tabulated quantile functions (beta, PERT, gamma). The sampled distribution's
# CDF differs from the exact one by at most 1 / TABLE_CELLS anywhere (each cell of the table
# holds exactly 1 / TABLE_CELLS of probability), and by far less in smooth regions.
TABLE_CELLS = 8192
TABLE_TAIL_KNOTS = 104
TABLE_END_CELLS = 16

UNCERTAIN_PARAMETER_HELP = (
    "a distribution as a parameter (an uncertain parameter) is supported where a risk's "
    "parameter is shared by a trial's events: the rate of a frequency (a poisson or "
    "negative_binomial mean, a bernoulli p) and the size of a severity (a lognormal's mu, a "
    "gamma's scale), drawn once per trial. An input drawn once per trial already varies: "
    "widen its distribution instead")

Finite = Annotated[float, Field(allow_inf_nan=False)]
PROBABILITY_SUM_TOLERANCE = 1e-6
"""How far discrete weights written as probabilities may sum from 1 (rounding in a file)."""


class FieldError(ValueError):
    """A parameter check that failed; ``field`` names the offending key for the error path."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class DataBuilder:
    """Collects the tables compiled distributions refer to into one flat float64 array."""

    def __init__(self) -> None:
        self._parts: list[np.ndarray] = []
        self._size = 0

    def add(self, values: np.ndarray) -> int:
        """Append ``values``; returns their offset in the final array."""
        off = self._size
        arr = np.ascontiguousarray(values, dtype=np.float64)
        self._parts.append(arr)
        self._size += arr.size
        return off

    def array(self) -> np.ndarray:
        return np.concatenate(self._parts) if self._parts else np.zeros(1)


class Distribution(BaseModel):
    """Base class: a validated family with closed forms and a compiled form."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    def integer_valued(self) -> bool:
        """Whether every draw is a whole number (what an event count needs)."""
        return False

    def scipy(self) -> Any:
        """The equivalent frozen ``scipy.stats`` distribution (closed forms, tests, tables)."""
        raise NotImplementedError

    def mean(self) -> float:
        return float(self.scipy().mean())

    def std(self) -> float:
        return float(self.scipy().std())

    def fast(self) -> Any:
        """What validation, compiling and the report need of the closed forms (``ppf``,
        ``cdf``, ``support``; ``sf`` and ``isf`` for counts), from ``scipy.special`` where the
        family allows: importing ``scipy.stats`` costs 0.6 s of every run's start-up. Same
        values as :meth:`scipy` (bit for bit where scipy uses the same special functions).
        """
        return self.scipy()

    def quantile(self, q: Any) -> Any:
        """Quantiles at levels ``q`` in [0, 1] (scalar or array), from the closed form."""
        return self.fast().ppf(q)

    def cdf(self, x: Any) -> Any:
        """P(X <= x), from the closed form."""
        return self.fast().cdf(x)

    def support(self) -> tuple[float, float]:
        lo, hi = self.fast().support()
        return float(lo), float(hi)

    def compile(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        """The kernel code and its 8 parameters (tables go into ``data``)."""
        raise NotImplementedError

    def warnings(self) -> list[str]:
        """Parameters that are valid but extreme enough to deserve a second look."""
        return []

    def sample(self, size: int | tuple[int, ...],
               seed: int | np.random.Generator | None = None) -> np.ndarray:
        """Draws through the engine's own inverse-CDF path: ``size`` is an int (shape
        ``(size,)``) or a shape tuple, as in numpy.

        ``seed`` is an int, a ``numpy.random.Generator`` or None (fresh entropy).
        """
        # The kernels (and numba, a third of a second) load on the first draw, not with
        # this module: validating and compiling a scenario never draws.
        from simulator.distributions import ppf as kernels

        n, shape = _sample_size(size)
        rng = _rng(seed)
        data = DataBuilder()
        code, p = self.compile(data)
        out = np.empty(n)
        kernels.fill_ppf(rng.random(n), code, p, data.array(), out, np.empty(n))
        return out.reshape(shape)

    def draw_range(self) -> tuple[float, float]:
        """The smallest and largest value a run can draw: the ends of the support where they
        are finite, else the quantiles at 2^-53 and 1 - 2^-53 (the most extreme uniforms the
        engine's streams give). Validation bounds a trial's totals with them.
        """
        lo, hi = self.support()
        with np.errstate(all="ignore"):
            if not math.isfinite(lo):
                lo = float(self.quantile(EXTREME_U))
            if not math.isfinite(hi):
                hi = float(self.quantile(1.0 - EXTREME_U))
        return lo, hi

    def describe(self) -> str:
        """The distribution in words, for reports and the assumptions table."""
        args = ", ".join(f"{k}={v:g}" if isinstance(v, float | int) else f"{k}={v}"
                         for k, v in self.model_dump(exclude={"dist"}).items() if v is not None)
        return f"{self.dist}({args})"


EXTREME_U = 2.0 ** -53
"""The most extreme uniform (from either end) the engine's streams and designs give."""


def _sample_size(size: Any) -> tuple[int, tuple[int, ...]]:
    """(number of draws, shape) of ``size``: an int or a tuple of ints, as numpy takes."""
    shape = (size,) if isinstance(size, int | np.integer) else size
    if isinstance(size, bool) or not isinstance(shape, tuple) or not all(
            isinstance(k, int | np.integer) and not isinstance(k, bool) for k in shape):
        raise TypeError(f"size must be an int or a tuple of ints (got {size!r})")
    if any(k < 0 for k in shape):
        raise ValueError(f"size must not be negative (got {size!r})")
    shape = tuple(int(k) for k in shape)
    return math.prod(shape), shape


def _rng(seed: Any) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _params(*values: float) -> np.ndarray:
    p = np.zeros(K.N_PARAMS)
    p[: len(values)] = values
    return p


class _Special:
    """A frozen distribution's closed forms from ``scipy.special`` functions (see
    :meth:`Distribution.fast`); ``isf(q)`` defaults to ``ppf(1 - q)``, as scipy's.
    """

    def __init__(self, ppf: Any, cdf: Any, lo: float, hi: float, sf: Any = None,
                 discrete: bool = False, isf_from_sf: bool = False) -> None:
        self._ppf, self._cdf, self._sf, self._support = ppf, cdf, sf, (lo, hi)
        self.discrete = discrete
        self.isf_from_sf = isf_from_sf  # as boost's quantile of the complement (scipy's nbinom)

    def ppf(self, q: Any) -> Any:
        q = np.asarray(q, dtype=float)
        out = np.asarray(self._ppf(q), dtype=float)
        lo, hi = self._support
        # The ends, as scipy gives them (a discrete family's ppf(0) is one below its support).
        out = np.where(q == 0, lo - (1.0 if self.discrete else 0.0), out)
        out = np.where(q == 1, hi, out)
        out = np.where((q < 0) | (q > 1) | np.isnan(q), np.nan, out)
        return out if out.ndim else float(out)

    def isf(self, q: Any) -> Any:
        q = np.asarray(q, dtype=float)
        guess = self.ppf(1.0 - q)
        if not self.isf_from_sf:
            return guess
        # 1 - q rounds for tiny q: settle on the smallest k with sf(k) <= q from the sf.
        out = []
        for x, k in zip(np.atleast_1d(q).ravel(), np.atleast_1d(guess).ravel(), strict=False):
            k = max(float(k) - 2.0, 0.0)
            while self.sf(k) > x:
                k += 1.0
            while k > 0 and self.sf(k - 1) <= x:
                k -= 1.0
            out.append(k)
        out = np.reshape(out, q.shape)
        return out if out.ndim else float(out)

    def cdf(self, x: Any) -> Any:
        out = np.asarray(self._cdf(np.asarray(x, dtype=float)), dtype=float)
        return out if out.ndim else float(out)

    def sf(self, x: Any) -> Any:
        out = np.asarray(self._sf(np.asarray(x, dtype=float)) if self._sf is not None
                         else 1.0 - self._cdf(np.asarray(x, dtype=float)), dtype=float)
        return out if out.ndim else float(out)

    def support(self) -> tuple[float, float]:
        return self._support


def _special() -> Any:
    from scipy import special  # 0.15 s to import; scipy.stats takes 0.6 s

    return special


def _beta(a: float, b: float, lo: float, w: float) -> _Special:
    """Beta(a, b) stretched to [lo, lo + w] (scipy.stats.beta's ppf is betaincinv)."""
    sp = _special()
    return _Special(lambda q: sp.betaincinv(a, b, q) * w + lo,
                    lambda x: sp.betainc(a, b, np.clip((x - lo) / w, 0.0, 1.0)), lo, lo + w)


def _finite(cdf: np.ndarray, values: np.ndarray | None, data: DataBuilder) -> tuple[int, np.ndarray]:
    """Compile a finite distribution (outcome j has cumulative probability cdf[j], value
    values[j], or j itself when values is None) for inversion with a guide table.
    """
    cdf = np.asarray(cdf, dtype=np.float64).copy()
    cdf[-1] = np.inf  # every u < 1 lands at the last outcome at the latest
    k = cdf.size
    guide = np.searchsorted(cdf, np.arange(k) / k, side="right").astype(np.float64)
    parts = [cdf] + ([] if values is None else [np.asarray(values, dtype=np.float64)]) + [guide]
    return K.DISCRETE, _params(data.add(np.concatenate(parts)), k, k, values is not None)


def _count_table(frozen: Any, data: DataBuilder) -> tuple[int, np.ndarray]:
    """Compile a count distribution on 0, 1, 2, ...; counts whose upper tail holds under
    1e-18 of the probability (below the resolution of a double-precision uniform) are cut.
    """
    kmax = int(frozen.isf(1e-15))  # scipy's isf turns to nan for much smaller tails
    while frozen.sf(kmax) > 1e-18:
        kmax = int(kmax * 1.05) + 2
    return _finite(frozen.cdf(np.arange(kmax + 1)), None, data)


def _tabulate(frozen: Any, data: DataBuilder) -> tuple[int, np.ndarray]:
    """Compile a continuous distribution without a cheap closed-form quantile to a table."""
    n, t, m = TABLE_CELLS, TABLE_TAIL_KNOTS, TABLE_END_CELLS
    main = frozen.ppf(np.arange(n + 1) / n)
    tail = 2.0 ** (-np.arange(t + 1) / 2.0) * m / n
    lower = frozen.ppf(tail)
    upper = frozen.ppf(1.0 - tail)
    table = np.concatenate([main, lower, upper])
    lo, hi = frozen.support()
    # Tail knots that round to the end of an unbounded support would return +-inf.
    table = np.clip(table, lo, hi)
    if not np.all(np.isfinite(table)):
        table = np.nan_to_num(table, posinf=np.nanmax(table[np.isfinite(table)]),
                              neginf=np.nanmin(table[np.isfinite(table)]))
    return K.TABLE, _params(data.add(table), n, t, m)


def _rate_kind(v: Any) -> str:
    return "rate_distribution" if isinstance(v, dict | Distribution) else "rate_number"


def _rate(number: Any) -> Any:
    """An uncertain-capable parameter (a rate, a severity's scale): a number (with the constraints in ``number``) or a distribution of
    it, drawn once per trial (two levels of uncertainty).
    """
    return Annotated[Union[Annotated[number, Tag("rate_number")],  # noqa: UP007
                           Annotated["RateDistribution", Tag("rate_distribution")]],
                     Discriminator(_rate_kind)]


class _Scaled(Distribution):
    """Shared by the severity families whose size may be uncertain (a lognormal's ``mu``, a
    gamma's ``scale``): each trial draws the parameter once, and every event of the trial
    scales with it, so a trial's losses share their typical size. The engine samples the
    family at a neutral parameter and multiplies each event by its trial's factor.
    """

    SCALE_FIELD: ClassVar[str] = "scale"
    LOG_SCALE: ClassVar[bool] = False  #: the factor is exp(parameter) rather than parameter
    NODES: ClassVar[int] = 1024

    def scale_distribution(self) -> Distribution | None:
        """The per-trial distribution of the size parameter, or None when it is a number."""
        v = getattr(self, self.SCALE_FIELD)
        return v if isinstance(v, Distribution) else None

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
        return self.factors(self.scale_distribution().quantile(q))

    def _scaled_fast(self) -> Any:
        base, f = self.base().fast(), self._nodes()

        def cdf(x: np.ndarray) -> np.ndarray:
            x = np.asarray(x, dtype=float)
            return np.mean(base.cdf(x[..., None] / f), axis=-1)

        def ppf(q: np.ndarray) -> np.ndarray:
            shape = np.shape(q)
            q = np.atleast_1d(np.asarray(q, dtype=float))
            b = np.atleast_1d(base.ppf(np.clip(q, 1e-300, 1 - 1e-16)))
            ends = (b * f.min(), b * f.max())
            return _mixture_quantile(cdf, np.minimum(*ends), np.maximum(*ends), q).reshape(shape)

        return _Special(ppf, cdf, 0.0, math.inf)

    def scipy(self) -> Any:
        if self.scale_distribution() is not None:
            raise TypeError(f"a {self.dist} with an uncertain {self.SCALE_FIELD} is a mixture "
                            "with no scipy equivalent; use mean(), std(), cdf() and quantile()")
        return self._scipy()

    def fast(self) -> Any:
        return self._fast() if self.scale_distribution() is None else self._scaled_fast()

    def mean(self) -> float:
        if self.scale_distribution() is None:
            return super().mean()
        return float(self.base().mean() * self._nodes(1 << 18).mean())

    def std(self) -> float:
        if self.scale_distribution() is None:
            return super().std()
        b, f = self.base(), self._nodes(1 << 18)
        second = (b.std() ** 2 + b.mean() ** 2) * (f ** 2).mean()
        return float(math.sqrt(max(second - self.mean() ** 2, 0.0)))

    def sample(self, size: int | tuple[int, ...],
               seed: int | np.random.Generator | None = None) -> np.ndarray:
        if self.scale_distribution() is None:
            return super().sample(size, seed)
        n, shape = _sample_size(size)
        rng = _rng(seed)
        return (self.base().sample(n, rng) * self.factors(
            self.scale_distribution().sample(n, rng))).reshape(shape)

    def draw_range(self) -> tuple[float, float]:
        d = self.scale_distribution()
        if d is None:
            return super().draw_range()
        lo, hi = self.base().draw_range()
        with np.errstate(all="ignore"):
            f = self.factors(np.array(d.draw_range()))
        return float(lo * f.min()), float(hi * f.max())

    def compile(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        if self.scale_distribution() is not None:
            raise TypeError("a severity with an uncertain size is compiled by the engine's "
                            "model compiler (simulator.scenario.compiled): its base, and a factor per "
                            "trial")
        return self._compile(data)

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
        d = self.scale_distribution()
        if d is None:
            return super().describe()
        others = ", ".join(f"{k}={v:g}" for k, v in self.model_dump(
            exclude={"dist", self.SCALE_FIELD}).items() if isinstance(v, float | int))
        return f"{self.dist}({self.SCALE_FIELD}={d.describe()}, {others})"


class Constant(Distribution):
    """Always ``value``. A bare number in a scenario file means this."""

    dist: Literal["constant"] = "constant"
    value: Finite = Field(description="the value every draw takes")

    model_config = ConfigDict(json_schema_extra={"examples": [5, {"dist": "constant",
                                                                  "value": 5}]})

    def scipy(self) -> Any:
        from scipy import stats

        return stats.uniform(loc=self.value, scale=0.0)

    def mean(self) -> float:
        return self.value

    def std(self) -> float:
        return 0.0

    def quantile(self, q: Any) -> Any:
        return np.full_like(np.asarray(q, dtype=float), self.value) if np.ndim(q) else self.value

    def fast(self) -> Any:
        # Exact, without scipy: a uniform of scale 0 has no cdf (nan, and a RuntimeWarning),
        # which would let a negative constant pass the checks of what must not be negative.
        v = self.value
        return _Special(lambda q: np.full(np.shape(q), v),
                        lambda x: np.where(np.asarray(x) >= v, 1.0, 0.0), v, v)

    def support(self) -> tuple[float, float]:
        return self.value, self.value

    def integer_valued(self) -> bool:
        return float(self.value).is_integer()

    def compile(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        return K.CONSTANT, _params(self.value)

    def describe(self) -> str:
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
            raise FieldError("max", f"must be greater than min (got min={self.min:g}, max={self.max:g})")
        return self

    def scipy(self) -> Any:
        from scipy import stats

        return stats.uniform(loc=self.min, scale=self.max - self.min)

    def fast(self) -> Any:
        lo, w = self.min, self.max - self.min
        return _Special(lambda q: q * w + lo, lambda x: np.clip((x - lo) / w, 0.0, 1.0),
                        self.min, self.max)

    def compile(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        return K.UNIFORM, _params(self.min, self.max - self.min)


class _ThreePoint(Distribution):
    min: Finite = Field(description="smallest possible value")
    mode: Finite = Field(description="most likely value, min <= mode <= max")
    max: Finite = Field(description="largest possible value, > min")

    @model_validator(mode="after")
    def _check(self) -> _ThreePoint:
        if not self.min < self.max:
            raise FieldError("max", f"must be greater than min (got min={self.min:g}, max={self.max:g})")
        if not self.min <= self.mode <= self.max:
            raise FieldError("mode", f"must lie in [min, max] (got mode={self.mode:g}, "
                             f"min={self.min:g}, max={self.max:g})")
        return self


class Triangular(_ThreePoint):
    """Triangle from ``min`` through the most likely value ``mode`` to ``max``."""

    dist: Literal["triangular"]

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"dist": "triangular", "min": 3, "mode": 6, "max": 12}]})

    def scipy(self) -> Any:
        from scipy import stats

        w = self.max - self.min
        return stats.triang(c=(self.mode - self.min) / w, loc=self.min, scale=w)

    def fast(self) -> Any:
        lo, w = self.min, self.max - self.min
        c = (self.mode - self.min) / w

        def ppf(q: np.ndarray) -> np.ndarray:
            with np.errstate(invalid="ignore"):
                return np.where(q < c, np.sqrt(c * q), 1.0 - np.sqrt((1.0 - c) * (1.0 - q))) \
                    * w + lo

        def cdf(x: np.ndarray) -> np.ndarray:
            z = np.clip((x - lo) / w, 0.0, 1.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(z <= c, np.where(c > 0, z * z / c, 0.0),
                                1.0 - (1.0 - z) ** 2 / (1.0 - c))

        return _Special(ppf, cdf, self.min, self.max)

    def compile(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        c = (self.mode - self.min) / (self.max - self.min)
        return K.TRIANGULAR, _params(self.min, self.mode, self.max, c)


class Pert(_ThreePoint):
    """PERT: a beta on [min, max] with most likely value ``mode``; ``lambda`` (default 4) sets
    how strongly the mode pulls (mean = (min + lambda * mode + max) / (lambda + 2)).
    """

    dist: Literal["pert"]
    lambda_: Finite = Field(4.0, alias="lambda", gt=0,
                            description="weight of the mode; larger is more peaked")

    model_config = ConfigDict(populate_by_name=True, json_schema_extra={"examples": [
        {"dist": "pert", "min": 30_000, "mode": 36_000, "max": 50_000}]})

    def scipy(self) -> Any:
        from scipy import stats

        w = self.max - self.min
        a = 1.0 + self.lambda_ * (self.mode - self.min) / w
        b = 1.0 + self.lambda_ * (self.max - self.mode) / w
        return stats.beta(a, b, loc=self.min, scale=w)

    def fast(self) -> Any:
        w = self.max - self.min
        return _beta(1.0 + self.lambda_ * (self.mode - self.min) / w,
                     1.0 + self.lambda_ * (self.max - self.mode) / w, self.min, w)

    def compile(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        return _tabulate(self.fast(), data)

    def describe(self) -> str:
        lam = "" if self.lambda_ == 4.0 else f", lambda={self.lambda_:g}"
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
        ndtr = _special().ndtr  # scipy.stats.norm's cdf (and sf(x) = ndtr(-x)), bit for bit

        lo, hi = self._bounds()
        if not lo < hi:
            raise FieldError("max", f"must be greater than min (got min={lo:g}, max={hi:g})")
        a, b = (lo - self.mean_) / self.sd, (hi - self.mean_) / self.sd
        if ndtr(b) - ndtr(a) < 1e-12 and ndtr(-a) - ndtr(-b) < 1e-12:
            raise FieldError("min", "the truncation interval [min, max] lies more than 7 sd from the "
                             "mean: almost no probability is left in it")
        return self

    def _bounds(self) -> tuple[float, float]:
        return (-math.inf if self.min is None else self.min,
                math.inf if self.max is None else self.max)

    def scipy(self) -> Any:
        from scipy import stats

        lo, hi = self._bounds()
        if self.min is None and self.max is None:
            return stats.norm(self.mean_, self.sd)
        return stats.truncnorm((lo - self.mean_) / self.sd, (hi - self.mean_) / self.sd,
                               loc=self.mean_, scale=self.sd)

    def _window(self) -> tuple[float, float, float]:
        """(ua, width, sign): draws are mean + sign * sd * Phi^-1(ua + u * width)."""
        ndtr = _special().ndtr
        lo, hi = self._bounds()
        a, b = (lo - self.mean_) / self.sd, (hi - self.mean_) / self.sd
        sign = 1.0
        if a > 0.0:
            # Both bounds in the upper tail: sample the mirror image from the lower tail,
            # where the cdf values keep their precision.
            a, b, sign = -b, -a, -1.0
        ua, ub = float(ndtr(a)), float(ndtr(b))
        return ua, ub - ua, sign

    def fast(self) -> Any:
        sp = _special()
        m, sd = self.mean_, self.sd
        lo, hi = self._bounds()
        if self.min is None and self.max is None:
            return _Special(lambda q: sp.ndtri(q) * sd + m, lambda x: sp.ndtr((x - m) / sd),
                            lo, hi)
        ua, width, sign = self._window()

        def ppf(q: np.ndarray) -> np.ndarray:
            return m + sign * sd * sp.ndtri(ua + (q if sign > 0 else 1.0 - q) * width)

        def cdf(x: np.ndarray) -> np.ndarray:
            p = (sp.ndtr(sign * (x - m) / sd) - ua) / width
            return np.clip(p if sign > 0 else 1.0 - p, 0.0, 1.0)

        return _Special(ppf, cdf, lo, hi)

    def compile(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        ua, width, sign = self._window()
        return K.NORMAL, _params(self.mean_, self.sd, ua, width, sign)

    def describe(self) -> str:
        s = f"normal(mean={self.mean_:g}, sd={self.sd:g}"
        s += "" if self.min is None else f", min={self.min:g}"
        s += "" if self.max is None else f", max={self.max:g}"
        return s + ")"


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
    mu: _rate(Annotated[float, Field(allow_inf_nan=False)]) | None = Field(
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
        """(mu, sigma): mean and standard deviation of log x."""
        if self.mu is not None:
            return self.mu, self.sigma
        # scipy.stats.norm.ppf is this function, bit for bit.
        z = float(_special().ndtri(0.5 + (0.9 if self.confidence is None else self.confidence) / 2))
        lo, hi = math.log(self.low), math.log(self.high)
        return (lo + hi) / 2, (hi - lo) / (2 * z)

    def _scipy(self) -> Any:
        from scipy import stats

        mu, sigma = self.log_params()
        return stats.lognorm(s=sigma, scale=math.exp(mu))

    def _fast(self) -> Any:
        sp = _special()
        mu, sigma = self.log_params()
        scale = math.exp(mu)

        def cdf(x: np.ndarray) -> np.ndarray:
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(x > 0, sp.ndtr(np.log(np.maximum(x, 1e-300) / scale) / sigma),
                                0.0)

        return _Special(lambda q: np.exp(sigma * sp.ndtri(q)) * scale, cdf, 0.0, math.inf)

    def _compile(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        return K.LOGNORMAL, _params(*self.log_params())

    def warnings(self) -> list[str]:
        if self.scale_distribution() is not None:
            return [] if self.sigma <= 2.0 else [
                f"{self.describe()} has sigma = {self.sigma:.2f} (of log x): a very heavy "
                "tail; rare draws will dominate the results. Check it, or cap the loss."]
        mu, sigma = self.log_params()
        if sigma <= 2.0:
            return []
        f = self.scipy()
        return [f"{self.describe()} has sigma = {sigma:.2f} (of log x): a very heavy tail. Its "
                f"mean is {f.mean():.4g}, {f.mean() / f.median():.3g} times its median "
                f"{f.median():.4g}, and its 99th percentile is {f.ppf(0.99):.4g}; rare draws "
                "will dominate the results. Check the range, or cap the loss."]


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
            raise FieldError("max", f"must be greater than min (got min={self.min:g}, max={self.max:g})")
        return self

    def scipy(self) -> Any:
        from scipy import stats

        return stats.beta(self.a, self.b, loc=self.min, scale=self.max - self.min)

    def fast(self) -> Any:
        return _beta(self.a, self.b, self.min, self.max - self.min)

    def compile(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        return _tabulate(self.fast(), data)


class Gamma(_Scaled):
    """Gamma with ``shape`` k and ``scale`` theta (mean k * theta, variance k * theta^2). As a
    risk's severity, ``scale`` may be a distribution drawn once per trial (every event of the
    trial scales with it).
    """

    SCALE_FIELD: ClassVar[str] = "scale"

    dist: Literal["gamma"]
    shape: Finite = Field(gt=0, description="shape k")
    scale: _rate(Annotated[float, Field(gt=0, allow_inf_nan=False)]) = Field(
        description="scale theta, in the unit of the values. In a severity, may be a "
        "distribution drawn once per trial")

    @model_validator(mode="after")
    def _check(self) -> Gamma:
        self._check_scale()
        return self

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"dist": "gamma", "shape": 4, "scale": 25_000}]})

    def _scipy(self) -> Any:
        from scipy import stats

        return stats.gamma(self.shape, scale=self.scale)

    def _fast(self) -> Any:
        sp = _special()
        k, scale = self.shape, self.scale
        return _Special(lambda q: sp.gammaincinv(k, q) * scale,
                        lambda x: sp.gammainc(k, np.maximum(x, 0.0) / scale), 0.0, math.inf)

    def _compile(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        return _tabulate(self._fast(), data)


class _Count(Distribution):
    """Shared by the count families whose rate may itself be uncertain.

    With an uncertain rate, each trial draws the rate once from its distribution and every
    year's count from the family at that rate, so a trial's years share their rate (the
    riskquant / Hubbard approach): the counts are over-dispersed and correlated across years.
    """

    RATE_FIELD: ClassVar[str] = "mean_"
    RATE_KEY: ClassVar[str] = "mean"

    def integer_valued(self) -> bool:
        return True

    def rate_distribution(self) -> Distribution | None:
        """The per-trial distribution of the rate, or None when the rate is a fixed number."""
        value = getattr(self, self.RATE_FIELD)
        return value if isinstance(value, Distribution) else None

    def rate_key(self) -> str:
        """The rate's key in the scenario file (``mean`` or ``p``)."""
        return self.RATE_KEY

    def at_rate(self, rate: float) -> Distribution:
        """The same family with the rate fixed at ``rate``."""
        return self.model_copy(update={self.RATE_FIELD: float(rate), "prior": None,
                                       "observed_events": None, "observed_years": None}
                               if "prior" in type(self).model_fields else
                               {self.RATE_FIELD: float(rate)})

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
        return np.asarray(self.rate_distribution().quantile(q), dtype=float), q

    def mean(self) -> float:
        rate = self.rate_distribution()
        if rate is None:
            return float(self.scipy().mean())
        return float(rate.mean())

    def std(self) -> float:
        if self.rate_distribution() is None:
            return float(self.scipy().std())
        rates, _ = self._mixture_nodes()
        m = np.array([self.at_rate(x).scipy().stats("mv") for x in rates], dtype=float)
        mean = m[:, 0].mean()
        return float(np.sqrt(m[:, 1].mean() + ((m[:, 0] - mean) ** 2).mean()))

    def cdf(self, k: Any) -> Any:
        """P(count <= k); with an uncertain rate, averaged over the rate's distribution."""
        if self.rate_distribution() is None:
            return self.fast().cdf(k)
        rates, _ = self._mixture_nodes()
        k = np.asarray(k, dtype=float)
        return np.mean([self.at_rate(x).fast().cdf(k) for x in rates], axis=0)

    def quantile(self, q: Any) -> Any:
        if self.rate_distribution() is None:
            return self.fast().ppf(q)
        qs = np.asarray(q, dtype=float)
        hi = int(max(self.at_rate(self.rate_distribution().support()[1]
                                  if np.isfinite(self.rate_distribution().support()[1])
                                  else self.rate_distribution().quantile(1 - 1e-9))
                     .fast().ppf(1 - 1e-12), 1))
        ks = np.arange(hi + 1)
        cum = self.cdf(ks)
        out = ks[np.minimum(np.searchsorted(cum, qs - 1e-12, side="left"), hi)].astype(float)
        return out if np.ndim(q) else float(out)

    def support(self) -> tuple[float, float]:
        if self.rate_distribution() is None:
            return super().support()
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
        rate = self.rate_distribution()
        top = (rate.draw_range()[1] if rate is not None else
               float(getattr(self, self.RATE_FIELD))) * factor
        if top <= 0:
            return 0.0, 0.0
        if self.RATE_KEY == "p":
            return 0.0, 1.0
        if not math.isfinite(top):
            return 0.0, math.inf
        return super(_Count, self.at_rate(top)).draw_range()

    def compile(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        if self.rate_distribution() is not None:
            raise TypeError("a count with an uncertain rate is compiled by the engine's model "
                            "compiler (simulator.scenario.compiled), one rate per trial")
        return self._compile_fixed(data)

    def describe(self) -> str:
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
    mean_: _rate(Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)]) | None = Field(
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
        self._check_rate(0.0, math.inf)
        return self

    def rate_distribution(self) -> Distribution | None:
        if self.prior is None:
            return super().rate_distribution()
        return self.posterior()

    def posterior(self) -> Gamma:
        """The rate's gamma distribution after the observed history (the prior without one)."""
        k = self.observed_events or 0
        t = self.observed_years or 0.0
        return Gamma(dist="gamma", shape=self.prior.shape + k,
                     scale=1.0 / (1.0 / self.prior.scale + t))

    def scipy(self) -> Any:
        from scipy import stats

        if self.rate_distribution() is not None:
            raise TypeError("a poisson with an uncertain rate is a mixture with no scipy "
                            "equivalent; use mean(), std(), cdf() and quantile()")
        return stats.poisson(self.mean_)

    def fast(self) -> Any:
        if self.rate_distribution() is not None or self.mean_ == 0:
            return self.scipy()
        sp, mu = _special(), self.mean_

        def ppf(q: np.ndarray) -> np.ndarray:  # scipy.stats.poisson's, step for step
            vals = np.ceil(sp.pdtrik(q, mu))
            below = np.maximum(vals - 1, 0)
            return np.where(sp.pdtr(below, mu) >= q, below, vals)

        return _Special(ppf, lambda k: np.where(k < 0, 0.0, sp.pdtr(np.floor(k), mu)), 0.0,
                        math.inf, sf=lambda k: np.where(k < 0, 1.0, sp.pdtrc(np.floor(k), mu)),
                        discrete=True)

    def _compile_fixed(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        return _count_table(self.fast(), data)

    def _sample_at(self, rates: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return rng.poisson(rates)

    def describe(self) -> str:
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
    p: _rate(Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]) = Field(
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

    def scipy(self) -> Any:
        from scipy import stats

        if self.rate_distribution() is not None:
            rate = self.rate_distribution().mean()
            return stats.bernoulli(rate)  # a mixture of Bernoullis is a Bernoulli
        return stats.bernoulli(self.p)

    def fast(self) -> Any:
        p = self.p if self.rate_distribution() is None else self.rate_distribution().mean()
        return _Special(lambda q: np.where(q <= 1.0 - p, 0.0, 1.0),
                        lambda k: np.where(k < 0, 0.0, np.where(k < 1, 1.0 - p, 1.0)), 0.0, 1.0,
                        discrete=True)

    def cdf(self, k: Any) -> Any:
        return self.fast().cdf(k)

    def quantile(self, q: Any) -> Any:
        return self.fast().ppf(q)

    def std(self) -> float:
        return float(self.scipy().std())

    def _compile_fixed(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        return K.BERNOULLI, _params(self.p)

    def _sample_at(self, rates: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return (rng.random(rates.size) < rates).astype(np.int64)


class NegativeBinomial(_Count):
    """Over-dispersed count with ``mean`` and ``dispersion`` r: variance = mean + mean^2 / r
    (a Poisson whose rate is gamma-distributed; large r approaches a Poisson). The mean may be
    a distribution, drawn once per trial.
    """

    dist: Literal["negative_binomial"]
    mean_: _rate(Annotated[float, Field(gt=0, le=1e6, allow_inf_nan=False)]) = Field(
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

    def scipy(self) -> Any:
        from scipy import stats

        if self.rate_distribution() is not None:
            raise TypeError("a negative_binomial with an uncertain mean is a mixture with no "
                            "scipy equivalent; use mean(), std(), cdf() and quantile()")
        r = self.dispersion
        return stats.nbinom(r, r / (r + self.mean_))

    def at_rate(self, rate: float) -> Distribution:
        return self.model_copy(update={"mean_": max(float(rate), 1e-300)})

    def fast(self) -> Any:
        if self.rate_distribution() is not None:
            return self.scipy()
        sp = _special()
        r, mean = self.dispersion, self.mean_
        p = r / (r + mean)

        def cdf(k: np.ndarray) -> np.ndarray:  # scipy.stats.nbinom's (boost's ibeta)
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

        return _Special(ppf, cdf, 0.0, math.inf,
                        sf=lambda k: np.where(k < 0, 1.0, sp.betaincc(
                            r, np.floor(np.maximum(k, 0)) + 1, p)), discrete=True,
                        isf_from_sf=True)

    def _compile_fixed(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        return _count_table(self.fast(), data)

    def _sample_at(self, rates: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        r = self.dispersion
        return rng.poisson(rng.gamma(r, np.maximum(rates, 1e-300) / r))


class _Tabled(Distribution):
    """Shared by discrete and empirical: a finite set of values with probabilities."""

    def _table(self) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def scipy(self) -> Any:
        values, probs = self._table()
        # rv_discrete needs integers; a histogram distribution would smear, so use an
        # exact finite distribution built on indices.
        return _FiniteDist(values, probs)

    def support(self) -> tuple[float, float]:
        values, _ = self._table()
        return float(values.min()), float(values.max())

    def compile(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        values, probs = self._table()
        cdf = np.cumsum(probs)
        return _finite(cdf / cdf[-1], values, data)


class Discrete(_Tabled):
    """One of ``values`` with probabilities proportional to ``weights`` (default equal)."""

    dist: Literal["discrete"]
    values: list[Finite] = Field(min_length=1, max_length=100_000,
                                 description="the possible values")
    weights: list[Finite] | None = Field(None, description="relative probabilities, one per "
                                         "value, >= 0 and not all 0; default all equal. "
                                         "Written as probabilities (each at most 1, some "
                                         "fractional) they must sum to 1")

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"dist": "discrete", "values": [0, 1, 2], "weights": [0.85, 0.12, 0.03]}]})

    @model_validator(mode="after")
    def _check(self) -> Discrete:
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise FieldError("weights", f"must have one entry per value (got {len(self.weights)} "
                                 f"weights for {len(self.values)} values)")
            if min(self.weights) < 0 or sum(self.weights) <= 0:
                raise FieldError("weights", "must be >= 0 and not all zero")
            total = math.fsum(self.weights)
            if max(self.weights) <= 1 and not all(float(w).is_integer() for w in self.weights) \
                    and abs(total - 1.0) > PROBABILITY_SUM_TOLERANCE:
                raise FieldError("weights", f"written as probabilities (each at most 1) they "
                                 f"must sum to 1, but sum to {total:.6g}; fix them, or give "
                                 "relative weights such as [3, 1]")
        return self

    def integer_valued(self) -> bool:
        return all(float(v).is_integer() for v in self.values)

    def _table(self) -> tuple[np.ndarray, np.ndarray]:
        v = np.asarray(self.values, dtype=float)
        w = np.ones_like(v) if self.weights is None else np.asarray(self.weights, dtype=float)
        order = np.argsort(v, kind="stable")
        return v[order], w[order] / w.sum()


class Empirical(_Tabled):
    """Resamples observed ``values``: each observation equally likely (a bootstrap)."""

    dist: Literal["empirical"]
    values: list[Finite] = Field(min_length=1, max_length=1_000_000,
                                 description="the observations, each drawn with probability "
                                 "1 / (number of values)")

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"dist": "empirical", "values": [4, 6, 6, 7, 9, 12]}]})

    def _table(self) -> tuple[np.ndarray, np.ndarray]:
        v = np.sort(np.asarray(self.values, dtype=float))
        return v, np.full(v.size, 1.0 / v.size)

    def describe(self) -> str:
        return f"empirical({len(self.values)} values)"


class Mixture(Distribution):
    """A weighted mixture of continuous ``components`` (for instance several experts' ranges,
    pooled): a draw comes from component i with probability ``weights[i] / sum(weights)``
    (default all equal). Its cdf is the weighted sum of the components' cdfs; the engine
    samples it by inverse CDF from a table, like beta and PERT.
    """

    dist: Literal["mixture"]
    components: list[MixtureComponent] = Field(min_length=1, max_length=100,
                                                 description="the distributions mixed: "
                                                 "continuous families only (no counts, "
                                                 "discrete, empirical or nested mixtures)")
    weights: list[Finite] | None = Field(None, description="relative weight of each "
                                         "component, >= 0 and not all 0; default all equal")

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"dist": "mixture", "components": [{"dist": "lognormal", "low": 50_000, "high": 400_000},
                                           {"dist": "pert", "min": 100_000, "mode": 200_000,
                                            "max": 900_000}],
         "weights": [2, 1]}]})

    @model_validator(mode="after")
    def _check(self) -> Mixture:
        if self.weights is not None:
            if len(self.weights) != len(self.components):
                raise FieldError("weights", f"must have one entry per component (got "
                                 f"{len(self.weights)} weights for {len(self.components)} "
                                 "components)")
            if min(self.weights) < 0 or sum(self.weights) <= 0:
                raise FieldError("weights", "must be >= 0 and not all zero")
        for i, c in enumerate(self.components):
            if isinstance(c, _Scaled) and c.scale_distribution() is not None:
                raise FieldError(f"components[{i}]", "a mixture's components need fixed "
                                 "parameters")
        return self

    def probabilities(self) -> np.ndarray:
        """Each component's probability (weights normalised to sum to 1)."""
        w = np.ones(len(self.components)) if self.weights is None else \
            np.asarray(self.weights, dtype=float)
        return w / w.sum()

    def scipy(self) -> Any:
        return _MixtureDist([c.scipy() for c in self.components], self.probabilities())

    def compile(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        return _tabulate(self.scipy(), data)

    def warnings(self) -> list[str]:
        return [f"component {i}: {w}" for i, c in enumerate(self.components)
                for w in c.warnings()]

    def describe(self) -> str:
        parts = ", ".join(c.describe() for c in self.components)
        w = "" if self.weights is None else ", weights=[" + ", ".join(
            f"{x:g}" for x in self.weights) + "]"
        return f"mixture([{parts}]{w})"


class _MixtureDist:
    """Frozen-scipy-like weighted mixture of frozen continuous distributions."""

    def __init__(self, parts: list[Any], probs: np.ndarray) -> None:
        self.parts, self.probs = parts, probs

    def cdf(self, x: Any) -> Any:
        return sum(p * f.cdf(x) for p, f in zip(self.probs, self.parts, strict=False))

    def sf(self, x: Any) -> Any:
        return sum(p * f.sf(x) for p, f in zip(self.probs, self.parts, strict=False))

    def mean(self) -> float:
        return float(sum(p * f.mean() for p, f in zip(self.probs, self.parts, strict=False)))

    def var(self) -> float:
        m = self.mean()
        return float(sum(p * (f.var() + (f.mean() - m) ** 2)
                         for p, f in zip(self.probs, self.parts, strict=False)))

    def std(self) -> float:
        return math.sqrt(self.var())

    def support(self) -> tuple[float, float]:
        ends = [f.support() for f, p in zip(self.parts, self.probs, strict=False) if p > 0]
        return min(a for a, _ in ends), max(b for _, b in ends)

    def ppf(self, q: Any) -> Any:
        q = np.asarray(q, dtype=float)
        live = [f for f, p in zip(self.parts, self.probs, strict=False) if p > 0]
        each = np.array([np.broadcast_to(f.ppf(q), q.shape) for f in live], dtype=float)
        lo, hi = each.min(axis=0), each.max(axis=0)
        out = np.where(q <= 0, lo, _mixture_quantile(self.cdf, lo, hi, q).reshape(q.shape))
        return out if out.ndim else float(out)


def _mixture_quantile(cdf: Any, lo: np.ndarray, hi: np.ndarray, q: np.ndarray) -> np.ndarray:
    """q-quantiles of a mixture with cdf ``cdf``, given the smallest (``lo``) and largest
    (``hi``) of its components' q-quantiles, between which a mixture's lies: scipy's vectorised
    bracketing root finder (Chandrupatla's method) to full precision; ``hi`` where they agree
    or q is not inside (0, 1).
    """
    from scipy.optimize.elementwise import find_root

    lo, hi, q = np.atleast_1d(lo), np.atleast_1d(hi), np.atleast_1d(q)
    out = hi.astype(float)
    inner = (q > 0) & (q < 1) & (hi > lo)
    if inner.any():
        res = find_root(lambda x, t: cdf(x) - t, (lo[inner], hi[inner]), args=(q[inner],),
                        tolerances={"xatol": 0.0, "xrtol": 4 * np.finfo(float).eps})
        out[inner] = res.x
    return out


class _FiniteDist:
    """Minimal scipy-like finite distribution over arbitrary real values."""

    def __init__(self, values: np.ndarray, probs: np.ndarray) -> None:
        self.values, self.probs = values, probs
        self.cum = np.cumsum(probs)

    def mean(self) -> float:
        return float(np.dot(self.values, self.probs))

    def var(self) -> float:
        return float(np.dot((self.values - self.mean()) ** 2, self.probs))

    def std(self) -> float:
        return math.sqrt(self.var())

    def cdf(self, x: Any) -> Any:
        idx = np.searchsorted(self.values, x, side="right")
        return np.where(idx > 0, self.cum[np.maximum(idx - 1, 0)], 0.0)

    def ppf(self, q: Any) -> Any:
        idx = np.searchsorted(self.cum, np.asarray(q) - 1e-12, side="left")
        return self.values[np.minimum(idx, self.values.size - 1)]

    def support(self) -> tuple[float, float]:
        return float(self.values[0]), float(self.values[-1])


FAMILIES: dict[str, type[Distribution]] = {
    cls.model_fields["dist"].annotation.__args__[0]: cls  # type: ignore[union-attr]
    for cls in (Constant, Uniform, Triangular, Pert, Normal, Lognormal, Beta, Gamma, Poisson,
                Bernoulli, NegativeBinomial, Discrete, Empirical, Mixture)
}
"""Family name (the ``dist`` key) -> class."""

def uncertain_rate(d: Distribution) -> Distribution | None:
    """A count's per-trial rate distribution; None for a fixed rate or any other family."""
    return d.rate_distribution() if isinstance(d, _Count) else None


def uncertain_size(d: Distribution) -> Distribution | None:
    """A severity's per-trial size distribution (lognormal mu, gamma scale); None otherwise."""
    return d.scale_distribution() if isinstance(d, _Scaled) else None


RATE_FAMILIES = tuple(c for c in FAMILIES.values() if not issubclass(c, _Count))
"""Families an uncertain rate may have (any but the counts)."""
RateDistribution = Annotated[Union[RATE_FAMILIES],  # type: ignore[valid-type]  # noqa: UP007
                             Field(discriminator="dist")]
MIXTURE_COMPONENT_FAMILIES = (Uniform, Triangular, Pert, Normal, Lognormal, Beta, Gamma)
"""Families a mixture may mix: the continuous ones (its table interpolates between knots)."""
MixtureComponent = Annotated[Union[MIXTURE_COMPONENT_FAMILIES],  # type: ignore[valid-type]  # noqa: UP007
                             Field(discriminator="dist")]
for _cls in (Lognormal, Gamma, Poisson, Bernoulli, NegativeBinomial, Mixture):
    _cls.model_rebuild()


def _bare_number(v: Any) -> Any:
    # A bare number is a constant; bools are numbers to Python but never to us.
    if isinstance(v, int | float) and not isinstance(v, bool):
        return {"dist": "constant", "value": float(v)}
    return v


AnyDistribution = Annotated[
    Union[tuple(FAMILIES.values())],  # type: ignore[valid-type]  # noqa: UP007
    Field(discriminator="dist"),
    BeforeValidator(_bare_number),
]
"""A field type: any family, or a bare number."""
