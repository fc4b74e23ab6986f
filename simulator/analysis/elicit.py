"""Expert ranges to distributions.

An expert says "between ``low`` and ``high`` with ``confidence`` c, most likely ``likely``":
``low`` and ``high`` are then the (1 - c) / 2 and (1 + c) / 2 quantiles, for any c in (0, 1).

- :func:`lognormal` matches both quantiles exactly (kposim's own range form of a lognormal).
- :func:`pert` keeps the most likely value as the mode and solves for the PERT's min and max
  so that ``low`` and ``high`` are its quantiles (a PERT's min and max are its absolute ends,
  so a range held with c < 1 lies strictly inside them).
- :func:`pool` combines several experts with weights into a linear opinion pool (the mixture
  F(x) = sum_i w_i F_i(x)), written as kposim's ``mixture`` family of the experts'
  distributions, so the scenario samples exactly the pool. :meth:`Pool.tabulated` also gives
  an ``empirical`` approximation (each value the pool's mean within one equal-probability
  cell) for tools that have no mixture.

Each result warns when its mean lies above the stated ``high`` (a lognormal from a very wide
range does that: its mean is e^(sigma^2 / 2) times its median).
"""
from __future__ import annotations

import csv
import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import optimize, stats

from simulator.analysis.fit import inline_table
from simulator.distributions.base import Distribution
from simulator.distributions.continuous import PERT_LAMBDA, Pert
from simulator.distributions.scaled import Lognormal
from simulator.scenario.model import parse_distribution as parse

FAMILIES = ("lognormal", "pert")
DEFAULT_CONFIDENCE = 0.9
DEFAULT_CELLS = 200


class ElicitError(ValueError):
    """An expert estimate or experts file that cannot be used; the message says where."""


@dataclass(frozen=True)
class Expert:
    """One expert's estimate: ``low`` and ``high`` hold the central ``confidence`` share of
    the probability; ``likely`` is the most likely value (needed for a PERT); ``weight`` is
    relative (pooling only).
    """

    low: float
    high: float
    confidence: float = DEFAULT_CONFIDENCE
    likely: float | None = None
    weight: float = 1.0
    name: str = ""
    dist: str | None = None  # family for this expert; None: the caller's choice

    def levels(self) -> tuple[float, float]:
        """The quantile levels of ``low`` and ``high``."""
        return (1 - self.confidence) / 2, (1 + self.confidence) / 2

    def check(self) -> None:
        """Raise ElicitError naming the bad field."""
        for key in ("low", "high", "confidence", "weight") + (("likely",) if self.likely
                                                             is not None else ()):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise ElicitError(f"{key}: must be a finite number (got {v!r})")
        if not self.low < self.high:
            raise ElicitError(f"high: must be greater than low (got low={self.low:g}, "
                              f"high={self.high:g})")
        if not 0 < self.confidence < 1:
            raise ElicitError(f"confidence: must lie strictly between 0 and 1, e.g. 0.9 for a "
                              f"90% range (got {self.confidence:g})")
        if self.likely is not None and not self.low <= self.likely <= self.high:
            raise ElicitError(f"likely: must lie between low and high (got {self.likely:g} "
                              f"outside [{self.low:g}, {self.high:g}])")
        if self.weight < 0:
            raise ElicitError(f"weight: must be >= 0 (got {self.weight:g})")
        if self.dist is not None and self.dist not in FAMILIES:
            raise ElicitError(f"dist: must be one of {', '.join(FAMILIES)} (got {self.dist!r})")


@dataclass(frozen=True)
class Elicited:
    """One expert's distribution: the kposim ``table`` (parsed into ``distribution``), its
    mean, its quantiles at the stated levels (and the median), and any warnings.
    """

    expert: Expert
    family: str
    table: dict[str, Any]
    distribution: Distribution = field(repr=False)
    warnings: list[str]

    @property
    def mean(self) -> float:
        """The distribution's mean, in the unit of the expert's values."""
        return self.distribution.mean()

    def quantiles(self) -> dict[float, float]:
        """The distribution's quantiles at the stated levels and at 0.5, by level."""
        lo, hi = self.expert.levels()
        return {round(q, 12): float(self.distribution.quantile(q)) for q in (lo, 0.5, hi)}

    def snippet(self, key: str = "value") -> str:
        """``key = { dist = "...", ... }``, ready to paste into a scenario file."""
        return f"{key} = {inline_table(self.table)}"


def _mean_warning(e: Expert, mean: float, family: str) -> list[str]:
    if mean <= e.high:
        return []
    return [f"the {family} from the range {e.low:g} to {e.high:g} ({e.confidence:.0%}) has mean "
            f"{mean:.4g}, above the stated high {e.high:g}: rare, very large values make the "
            "mean. Check the range (is the high end really that uncertain?), state it with "
            "more confidence, or cap the amount"]


def lognormal(e: Expert) -> Elicited:
    """The lognormal whose (1 - c) / 2 and (1 + c) / 2 quantiles are ``low`` and ``high``
    (both > 0); ``likely`` is not used (two quantiles fix both parameters).
    """
    e.check()
    if e.low <= 0:
        raise ElicitError(f"low: a lognormal needs a range above 0 (got low={e.low:g}); use a "
                          "pert for a figure that can be zero or negative")
    table: dict[str, Any] = {"dist": "lognormal", "low": e.low, "high": e.high,
                             "confidence": e.confidence}
    dist = parse(table)
    warnings = _mean_warning(e, dist.mean(), "lognormal") + dist.warnings()
    if e.likely is not None and isinstance(dist, Lognormal):
        mu, sigma = dist.log_params()
        mode = math.exp(mu - sigma**2)
        if not math.isclose(mode, e.likely, rel_tol=0.1):
            warnings.append(f"the lognormal's most likely value is {mode:.4g}, not the stated "
                            f"{e.likely:g} (a lognormal from a range is fixed by low and high); "
                            "use --dist pert to keep the most likely value")
    return Elicited(e, "lognormal", table, dist, warnings)


def _pert(lo: float, mode: float, hi: float, lam: float) -> Pert:
    return Pert.model_validate({"dist": "pert", "min": lo, "mode": mode, "max": hi,
                                "lambda": lam})


def pert_bounds(low: float, likely: float, high: float, confidence: float,
                lam: float = PERT_LAMBDA) -> tuple[float, float]:
    """The PERT (mode ``likely``, shape ``lam``) min and max that put ``low`` and ``high`` at
    its (1 - c) / 2 and (1 + c) / 2 quantiles. Solved with scipy.optimize.root on the two
    quantile conditions, with min = low - r e^u and max = high + r e^v (r = high - low) so
    the bounds always lie outside the range. Raises ElicitError if no PERT fits.
    """
    if not lam > 0:
        raise ElicitError(f"lambda: must be greater than 0 (got {lam:g})")
    r = high - low
    p_lo, p_hi = (1 - confidence) / 2, (1 + confidence) / 2

    def unpack(t: np.ndarray) -> tuple[float, float]:
        return low - r * math.exp(t[0]), high + r * math.exp(t[1])

    def residual(t: np.ndarray) -> np.ndarray:
        if np.any(np.abs(t) > 40):
            return np.array([1.0, 1.0])
        a, b = unpack(t)
        f = _pert(a, likely, b, lam).scipy()
        return np.array([f.cdf(low) - p_lo, f.cdf(high) - p_hi])

    z = stats.norm.ppf(p_hi)
    ext = max((3.0 / z - 1.0) / 2.0, 0.02)  # a PERT spans about 6 sd; the range 2 z sd
    tries = [np.log([ext, ext])] + [np.log([ext * k1, ext * k2])
                                    for k1 in (0.3, 1.0, 3.0) for k2 in (0.3, 1.0, 3.0)]
    for t0 in tries:
        sol = optimize.root(residual, t0, method="hybr", options={"xtol": 1e-14})
        if sol.success and np.max(np.abs(residual(sol.x))) < 1e-12:
            return unpack(sol.x)
    raise ElicitError(f"no PERT with most likely value {likely:g} has {low:g} and {high:g} as "
                      f"its {p_lo:.4g} and {p_hi:.4g} quantiles (the range is too lopsided "
                      "around the most likely value for the PERT's shape); use a lognormal, "
                      "or restate the range")


def pert(e: Expert, lam: float = PERT_LAMBDA) -> Elicited:
    """The PERT with mode ``likely`` whose (1 - c) / 2 and (1 + c) / 2 quantiles are ``low``
    and ``high``.
    """
    e.check()
    if e.likely is None:
        raise ElicitError("likely: a PERT needs the most likely value")
    lo, hi = pert_bounds(e.low, e.likely, e.high, e.confidence, lam)
    # Ten significant digits keep the stated quantiles to about 1e-10 in the snippet too.
    lo, hi = float(f"{lo:.10g}"), float(f"{hi:.10g}")
    table: dict[str, Any] = {"dist": "pert", "min": lo, "mode": e.likely, "max": hi}
    if lam != PERT_LAMBDA:
        table["lambda"] = lam
    dist = parse(table)
    warnings = _mean_warning(e, dist.mean(), "pert") + dist.warnings()
    if lo < 0 <= e.low:
        warnings.append(f"the PERT's min is {lo:.4g}, below zero: it can draw negative values, "
                        "which kposim refuses for an amount; use a lognormal, or raise low")
    return Elicited(e, "pert", table, dist, warnings)


def elicit(e: Expert, family: str | None = None, lam: float = PERT_LAMBDA) -> Elicited:
    """One expert's distribution: ``e.dist``, else ``family``, else PERT when a most likely
    value is given and lognormal when not.
    """
    family = e.dist or family or ("pert" if e.likely is not None else "lognormal")
    if family == "lognormal":
        return lognormal(e)
    if family == "pert":
        return pert(e, lam)
    raise ElicitError(f"dist: must be one of {', '.join(FAMILIES)} (got {family!r})")


def _partial_mean(dist: Distribution, x: np.ndarray) -> np.ndarray:
    """E[X; X <= x] for a lognormal or PERT (closed forms), shape of ``x``."""
    x = np.asarray(x, dtype=float)
    if isinstance(dist, Lognormal):
        mu, sigma = dist.log_params()
        with np.errstate(divide="ignore"):
            z = (np.log(np.maximum(x, 0.0)) - mu - sigma**2) / sigma
        return dist.mean() * stats.norm.cdf(z)
    if not isinstance(dist, Pert):
        raise TypeError(f"no closed-form partial mean for {dist.describe()}")
    a, b = dist.beta_shapes()
    lo, w = dist.min, dist.max - dist.min
    zz = np.clip((x - lo) / w, 0.0, 1.0)
    return lo * dist.scipy().cdf(x) + w * a / (a + b) * stats.beta.cdf(zz, a + 1, b)


@dataclass(frozen=True)
class Pool:
    """A linear opinion pool of experts: F(x) = sum_i w_i F_i(x) with weights summing to 1."""

    members: list[Elicited]
    weights: np.ndarray  # shape (experts,), sums to 1
    cells: int = DEFAULT_CELLS
    _frozen: list[Any] = field(default_factory=list, repr=False, compare=False)

    def __post_init__(self) -> None:
        # scipy's frozen distributions are costly to build; the quantile search needs many cdfs
        self._frozen.extend(m.distribution.scipy() for m in self.members)

    def cdf(self, x: Any) -> Any:
        """The pooled cdf: the weighted sum of the experts' cdfs."""
        return sum(w * f.cdf(x) for w, f in zip(self.weights, self._frozen, strict=False))

    @property
    def mean(self) -> float:
        """The pooled mean: the weighted mean of the experts' means."""
        return float(sum(w * m.mean for w, m in zip(self.weights, self.members, strict=False)))

    def quantile(self, q: float) -> float:
        """The pool's q-quantile (brentq on the pooled CDF, bracketed by the members' own
        q-quantiles, between which a mixture's always lies).
        """
        if not 0 < q < 1:
            raise ValueError(f"q must lie in (0, 1) (got {q})")
        qs = [float(m.distribution.quantile(q))
              for w, m in zip(self.weights, self.members, strict=False) if w > 0]
        a, b = min(qs), max(qs)
        if a == b:
            return a
        return optimize.brentq(lambda x: self.cdf(x) - q, a, b, xtol=1e-13 * max(abs(b), 1),
                               rtol=4 * np.finfo(float).eps)

    def quantiles(self) -> dict[float, float]:
        """At the members' stated levels and at 5%, 50% and 95%."""
        levels = sorted({round(q, 12) for q in
                         [0.05, 0.5, 0.95] + [q for m in self.members for q in m.expert.levels()]})
        return {q: self.quantile(q) for q in levels}

    def tabulated(self) -> list[float]:
        """``cells`` values, each the pool's mean within one of ``cells`` equal-probability
        cells (increasing): an empirical distribution with the pool's exact mean.
        """
        n = self.cells
        edges = np.array([self.quantile(j / n) for j in range(1, n)])
        pm = [np.concatenate([[0.0], _partial_mean(m.distribution, edges), [m.mean]])
              for m in self.members]
        total = sum(w * p for w, p in zip(self.weights, pm, strict=False))
        return list(np.diff(total) * n)

    @property
    def table(self) -> dict[str, Any]:
        """The pool as kposim's ``mixture`` of the experts' distributions (zero weights left
        out), weights normalised.
        """
        keep = [i for i, w in enumerate(self.weights) if w > 0]
        return {"dist": "mixture", "components": [self.members[i].table for i in keep],
                "weights": [float(f"{self.weights[i]:.12g}") for i in keep]}

    def distribution(self) -> Distribution:
        """The pool as a kposim distribution (the parsed :attr:`table`)."""
        return parse(self.table)

    def snippet(self, key: str = "value") -> str:
        """``key = { dist = "mixture", ... }``, ready to paste into a scenario file."""
        return f"{key} = {inline_table(self.table)}"

    @property
    def warnings(self) -> list[str]:
        """A warning when the pooled mean lies above every expert's high."""
        highs = [m.expert.high for m, w in zip(self.members, self.weights, strict=False) if w > 0]
        if self.mean > max(highs):
            return [f"the pooled mean {self.mean:.4g} is above every expert's high (largest "
                    f"{max(highs):g}): one wide range dominates it"]
        return []


def pool(experts: Sequence[Expert], family: str | None = None, lam: float = PERT_LAMBDA,
         cells: int = DEFAULT_CELLS) -> Pool:
    """The weighted linear opinion pool of ``experts`` (each elicited with :func:`elicit`)."""
    if not experts:
        raise ElicitError("no experts given")
    members = []
    for i, e in enumerate(experts):
        try:
            members.append(elicit(e, family, lam))
        except ElicitError as err:
            raise ElicitError(f"{_label(e, i)}: {err}") from None
    w = np.array([e.weight for e in experts], dtype=float)
    if w.sum() <= 0:
        raise ElicitError("weight: the weights are all zero; give at least one expert a "
                          "positive weight")
    if cells < 2:
        raise ElicitError(f"cells must be at least 2 (got {cells})")
    return Pool(members, w / w.sum(), cells)


def _label(e: Expert, i: int) -> str:
    return f"experts[{i}]" + (f" ({e.name})" if e.name else "")


# --------------------------------------------------------------------------- experts files

_KEYS = ("name", "low", "likely", "high", "confidence", "weight", "dist")


def _expert(values: dict[str, Any], where: str) -> Expert:
    unknown = [k for k in values if k not in _KEYS]
    if unknown:
        raise ElicitError(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(_KEYS)})")
    for key in ("low", "high"):
        if key not in values:
            raise ElicitError(f"{where}: {key} is missing (each expert needs low and high)")
    kw = {k: v for k, v in values.items() if v is not None}
    try:
        e = Expert(**kw)
        e.check()
    except ElicitError as err:
        raise ElicitError(f"{where}.{err}") from None
    return e


def read_experts(path: Path | str) -> list[Expert]:
    """Experts from a TOML file (``[[experts]]`` tables with the keys of :class:`Expert`) or
    a CSV file (a header row naming those columns; ``low`` and ``high`` required). Errors name
    the file and the line (CSV) or the table (TOML).
    """
    from simulator.scenario.model import (
        MAX_FILE_BYTES,
        MAX_NESTING,
        InputFileError,
        _deepest_nesting,
        read_regular_file,
    )

    path = Path(path)
    try:  # a FIFO or device is refused, not read forever
        raw = read_regular_file(path, MAX_FILE_BYTES, "an experts file (.toml or .csv)")
        text = raw.decode("utf-8-sig")
    except InputFileError as e:
        raise ElicitError(f"{path}: {e}") from None
    except UnicodeDecodeError as e:
        raise ElicitError(f"{path}: not a UTF-8 text file ({e.reason})") from None
    if path.suffix.lower() == ".csv":
        return _read_csv(path, text)
    depth, line = _deepest_nesting(text)
    if depth > MAX_NESTING:
        raise ElicitError(f"{path}: line {line}: arrays or inline tables nested {depth} levels "
                          f"deep; at most {MAX_NESTING} are allowed")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ElicitError(f"{path}: not valid TOML: {e}") from None
    extra = [k for k in doc if k != "experts"]
    if extra:
        raise ElicitError(f"{path}: unknown key {extra[0]!r}; experts go in [[experts]] tables")
    items = doc.get("experts")
    if not isinstance(items, list) or not items:
        raise ElicitError(f"{path}: no [[experts]] tables (each with low, high and optionally "
                          "likely, confidence, weight, name, dist)")
    return [_expert(item, f"{path}: experts[{i}]") for i, item in enumerate(items)]


def _read_csv(path: Path, text: str) -> list[Expert]:
    reader = csv.reader(text.splitlines())
    rows = [(reader.line_num, r) for r in reader if any(c.strip() for c in r)]
    if not rows:
        raise ElicitError(f"{path}: the file is empty")
    header = [c.strip().lower() for c in rows[0][1]]
    unknown = [c for c in header if c not in _KEYS]
    if unknown:
        raise ElicitError(f"{path}:{rows[0][0]}: unknown column {unknown[0]!r} (allowed: "
                          f"{', '.join(_KEYS)})")
    experts = []
    for line, row in rows[1:]:
        values: dict[str, Any] = {}
        for key, cell in zip(header, row, strict=False):
            cell = cell.strip()
            if not cell:
                continue
            if key in ("name", "dist"):
                values[key] = cell
                continue
            try:
                values[key] = float(cell)
            except ValueError:
                raise ElicitError(f"{path}:{line}: {key} {cell!r} is not a number") from None
        experts.append(_expert(values, f"{path}:{line}: expert"))
    if not experts:
        raise ElicitError(f"{path}: a header but no experts")
    return experts
