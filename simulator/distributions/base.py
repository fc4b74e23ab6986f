"""What every distribution family shares: the :class:`Distribution` base class, the
:class:`DataBuilder` that collects compiled tables, :class:`FieldError`, the
:class:`ClosedForm` frozen distribution built from ``scipy.special`` functions, and the
compilers of tables (:func:`_tabulate` for continuous, :func:`_finite` for finite ones).

The families live in :mod:`~simulator.distributions.continuous`,
:mod:`~simulator.distributions.scaled`, :mod:`~simulator.distributions.counts`,
:mod:`~simulator.distributions.tables` and :mod:`~simulator.distributions.mixture`; the
catalogue of them in :mod:`~simulator.distributions.registry`.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Protocol, TypeVar, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from simulator import codes as K  # the kernels' plain-array contract, without numba
from simulator.distributions.gauss import EXTREME_U

# Resolution of tabulated quantile functions (beta, PERT, gamma). The sampled distribution's
# CDF differs from the exact one by at most 1 / TABLE_CELLS anywhere (each cell of the table
# holds exactly 1 / TABLE_CELLS of probability), and by far less in smooth regions.
TABLE_CELLS = 8192
TABLE_TAIL_KNOTS = 104
TABLE_END_CELLS = 16
GUIDE_CELLS = 1024
"""Fewest cells of a finite distribution's guide table (see :func:`_finite`)."""

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
        """Every table added so far, concatenated (one zero when there is none)."""
        return np.concatenate(self._parts) if self._parts else np.zeros(1)


class Frozen(Protocol):
    """What the catalogue needs of a frozen distribution: a ``scipy.stats`` one, a
    :class:`ClosedForm`, or the finite and mixture stand-ins.
    """

    def ppf(self, q: Any) -> Any:
        """Quantiles at levels ``q`` in [0, 1]."""

    def cdf(self, x: Any) -> Any:
        """P(X <= x)."""

    def support(self) -> tuple[float, float]:
        """The smallest and largest value (possibly infinite)."""


class ClosedForm:
    """A frozen distribution from the family's own closed forms (see
    :meth:`Distribution.closed_form`), built from ``scipy.special`` functions;
    ``isf(q)`` defaults to ``ppf(1 - q)``, as scipy's.

    Parameters
    ----------
    ppf, cdf : callable
        The quantile function and the cdf, on float arrays.
    lo, hi : float
        The ends of the support (in the unit of the values; possibly infinite).
    sf : callable, optional
        The survival function, when ``1 - cdf`` would lose precision (counts' upper tails).
    discrete : bool
        A count: ``ppf(0)`` is one below the support, as scipy's.
    isf_from_sf : bool
        Settle ``isf`` on the survival function (as boost's quantile of the complement).
    """

    def __init__(self, ppf: Callable[[Any], Any], cdf: Callable[[Any], Any], lo: float,
                 hi: float, sf: Callable[[Any], Any] | None = None, discrete: bool = False,
                 isf_from_sf: bool = False) -> None:
        self._ppf, self._cdf, self._sf, self._support = ppf, cdf, sf, (lo, hi)
        self.discrete = discrete
        self.isf_from_sf = isf_from_sf  # as boost's quantile of the complement (scipy's nbinom)

    def ppf(self, q: Any) -> Any:
        """Quantiles at levels ``q`` (nan outside [0, 1]); a float for a scalar ``q``."""
        q = np.asarray(q, dtype=float)
        out = np.asarray(self._ppf(q), dtype=float)
        lo, hi = self._support
        # The ends, as scipy gives them (a discrete family's ppf(0) is one below its support).
        out = np.where(q == 0, lo - (1.0 if self.discrete else 0.0), out)
        out = np.where(q == 1, hi, out)
        out = np.where((q < 0) | (q > 1) | np.isnan(q), np.nan, out)
        return out if out.ndim else float(out)

    def isf(self, q: Any) -> Any:
        """The inverse survival function: the ``1 - q`` quantile."""
        q = np.asarray(q, dtype=float)
        guess = self.ppf(1.0 - q)
        if not self.isf_from_sf:
            return guess
        # 1 - q rounds for tiny q: settle on the smallest k with sf(k) <= q from the sf.
        found = []
        for x, k in zip(np.atleast_1d(q).ravel(), np.atleast_1d(guess).ravel(), strict=False):
            k = max(float(k) - 2.0, 0.0)
            while self.sf(k) > x:
                k += 1.0
            while k > 0 and self.sf(k - 1) <= x:
                k -= 1.0
            found.append(k)
        out = np.reshape(found, q.shape)
        return out if out.ndim else float(out)

    def cdf(self, x: Any) -> Any:
        """P(X <= x); a float for a scalar ``x``."""
        out = np.asarray(self._cdf(np.asarray(x, dtype=float)), dtype=float)
        return out if out.ndim else float(out)

    def sf(self, x: Any) -> Any:
        """P(X > x), from the survival function where given, else ``1 - cdf``."""
        out = np.asarray(self._sf(np.asarray(x, dtype=float)) if self._sf is not None
                         else 1.0 - self._cdf(np.asarray(x, dtype=float)), dtype=float)
        return out if out.ndim else float(out)

    def support(self) -> tuple[float, float]:
        """The smallest and largest value (possibly infinite)."""
        return self._support


class Distribution(BaseModel):
    """Base class: a validated family with closed forms and a compiled form.

    Each family says what it is three ways: :meth:`scipy` (the equivalent frozen
    ``scipy.stats`` distribution, for tests and analysis), :meth:`closed_form` (its own
    quantile function and cdf without ``scipy.stats``, for validation, compiling and
    reports) and :meth:`compile` (the kernel code and parameters the engine samples).
    """

    # defer_build: a family's own validator is built the first time the family itself is
    # validated or constructed, not at import; a scenario validates its distributions through
    # its own schema, so most families never need one (a fifth of `import simulator.cli`).
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    if TYPE_CHECKING:  # each family declares its own Literal ``dist`` field
        dist: str

    def integer_valued(self) -> bool:
        """Whether every draw is a whole number (what an event count needs)."""
        return False

    def scipy(self) -> Any:
        """The equivalent frozen ``scipy.stats`` distribution (closed forms, tests, tables)."""
        raise NotImplementedError

    def closed_form(self) -> Frozen:
        """The family's own closed forms (``ppf``, ``cdf``, ``support``; ``sf`` and ``isf``
        for counts) without ``scipy.stats``: importing it costs 0.6 s of every run's
        start-up. Same values as :meth:`scipy` (bit for bit where scipy uses the same
        ``scipy.special`` functions); this default is :meth:`scipy` itself.
        """
        return self.scipy()

    def mean(self) -> float:
        """The mean, in the unit of the values."""
        return float(self.scipy().mean())

    def std(self) -> float:
        """The standard deviation, in the unit of the values."""
        return float(self.scipy().std())

    def quantile(self, q: Any) -> Any:
        """Quantiles at levels ``q`` in [0, 1] (scalar or array), from the closed form."""
        return self.closed_form().ppf(q)

    def cdf(self, x: Any) -> Any:
        """P(X <= x), from the closed form."""
        return self.closed_form().cdf(x)

    def support(self) -> tuple[float, float]:
        """The smallest and largest possible value (possibly infinite)."""
        lo, hi = self.closed_form().support()
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

    def draw_range_bounds(self) -> tuple[float, float]:
        """Bounds on :meth:`draw_range`, (a, b) with a <= its low end and b >= its high end,
        for the checks that only need to know a trial's totals stay within limits (they
        ask for the exact ends only when the bounds do not settle it). A family whose
        extreme quantiles need scipy bounds them without it; by default, the ends themselves.
        """
        return self.draw_range()

    def cdf_bounds(self, x: float) -> tuple[float, float] | None:
        """An interval that holds ``cdf(x)``, without scipy, or None where the family has
        none (its cdf is then cheap, or the check asks for it).
        """
        return None

    def quantile_near(self, q: np.ndarray) -> tuple[np.ndarray, float] | None:
        """Quantiles at levels ``q`` without scipy and the bound on their relative error
        (each within that share of :meth:`quantile`'s), or None where the family has none.
        """
        return None

    def describe(self) -> str:
        """The distribution in words, for reports and the assumptions table."""
        args = ", ".join(f"{k}={v:g}" if isinstance(v, float | int) else f"{k}={v}"
                         for k, v in self.model_dump(exclude={"dist"}).items() if v is not None)
        return f"{self.dist}({args})"


# --------------------------------------------------------------------------- shared helpers

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


def _rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _params(*values: float) -> np.ndarray:
    """A kernel's parameter row: ``values`` padded with zeros to ``N_PARAMS``."""
    p = np.zeros(K.N_PARAMS)
    p[: len(values)] = values
    return p


class _LazySpecial:
    """``scipy.special``, imported on the first function asked of it (0.18 s; scipy.stats
    takes 0.6 s): building a closed form (for its support, say) imports nothing, calling it
    does, and validating a scenario mostly calls none.
    """

    def __getattr__(self, name: str) -> Any:
        from scipy import special

        return getattr(special, name)


_SPECIAL = _LazySpecial()


def _special() -> Any:
    return _SPECIAL


def _finite(cdf: np.ndarray, values: np.ndarray | None,
            data: DataBuilder) -> tuple[int, np.ndarray]:
    """Compile a finite distribution (outcome j has cumulative probability cdf[j], value
    values[j], or j itself when values is None) for inversion with a guide table.
    """
    cdf = np.asarray(cdf, dtype=np.float64).copy()
    cdf[-1] = np.inf  # every u < 1 lands at the last outcome at the latest
    k = cdf.size
    # Guide cell c holds the first outcome whose cdf exceeds c / g; the kernels search up from
    # it. With at least GUIDE_CELLS cells almost every cell holds its answer, so the search's
    # loop almost never runs and its branch is predicted: with g = k (14 cells for a
    # Poisson(0.3)) a quarter of the draws took a step, and counting cost 2.4 ns a draw.
    g = max(k, GUIDE_CELLS)
    guide = np.searchsorted(cdf, np.arange(g) / g, side="right").astype(np.float64)
    parts = [cdf] + ([] if values is None else [np.asarray(values, dtype=np.float64)]) + [guide]
    return K.DISCRETE, _params(data.add(np.concatenate(parts)), k, g, values is not None)


_TABLES: dict[str, np.ndarray] = {}
"""Quantile tables built in this process, by the distribution's JSON (see :func:`_tabulate`)."""
_TABLES_MAX = 128  #: about 8.7 MB of tables at most


def _tabulate(frozen: Frozen, data: DataBuilder, key: str | None = None) -> tuple[int, np.ndarray]:
    """Compile a continuous distribution without a cheap closed-form quantile to a table.

    ``key`` names the distribution exactly (its JSON): a table already built for the same key
    is reused. Building one costs about 3 ms of ``betaincinv`` and the like, which every run
    of a scenario would otherwise pay again (a sweep or a tornado compiles it many times).
    """
    table = _TABLES.get(key) if key is not None else None
    if table is None:
        table = _table(frozen)
        if key is not None:
            if len(_TABLES) >= _TABLES_MAX:
                _TABLES.pop(next(iter(_TABLES)))
            _TABLES[key] = table
    return K.TABLE, _params(data.add(table), TABLE_CELLS, TABLE_TAIL_KNOTS, TABLE_END_CELLS)


def _table(frozen: Frozen) -> np.ndarray:
    """The knots of ``frozen``'s quantile table (read-only)."""
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
    table.setflags(write=False)
    return table


def _mixture_quantile(cdf: Callable[[Any], Any], lo: np.ndarray, hi: np.ndarray,
                      q: np.ndarray) -> np.ndarray:
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


# --------------------------------------------------------------------------- uncertain parameters

def _rate_kind(v: Any) -> str:
    return "rate_distribution" if isinstance(v, dict | Distribution) else "rate_number"


_Number = TypeVar("_Number")

if TYPE_CHECKING:
    Uncertain = Union[_Number, Distribution]  # noqa: UP007 (a generic alias)
else:
    class Uncertain:
        """``Uncertain[number]``: an uncertain-capable parameter (a rate, a severity's size):
        a number (with the constraints in ``number``) or a distribution of it, drawn once
        per trial (two levels of uncertainty). ``RateDistribution`` is resolved by
        :mod:`simulator.distributions.registry` once every family exists.
        """

        def __class_getitem__(cls, number: Any) -> Any:
            return Annotated[Union[Annotated[number, Tag("rate_number")],  # noqa: UP007
                                   # resolved by the registry's model_rebuild
                                   Annotated["RateDistribution",  # noqa: F821
                                             Tag("rate_distribution")]],
                             Discriminator(_rate_kind)]
