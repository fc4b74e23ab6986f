"""The tabled families: discrete (values with weights) and empirical (observed values, each
equally likely). Both compile to the finite inverse-CDF kernel with a guide table.
"""
from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from pydantic import ConfigDict, Field, model_validator

from simulator.distributions.base import (
    PROBABILITY_SUM_TOLERANCE,
    DataBuilder,
    Distribution,
    FieldError,
    Finite,
    _finite,
)


class _FiniteDist:
    """Minimal scipy-like finite distribution over arbitrary real values (sorted)."""

    def __init__(self, values: np.ndarray, probs: np.ndarray) -> None:
        self.values, self.probs = values, probs
        self.cum = np.cumsum(probs)

    def mean(self) -> float:
        """The probability-weighted mean of the values."""
        return float(np.dot(self.values, self.probs))

    def var(self) -> float:
        """The variance."""
        return float(np.dot((self.values - self.mean()) ** 2, self.probs))

    def std(self) -> float:
        """The standard deviation."""
        return math.sqrt(self.var())

    def cdf(self, x: Any) -> Any:
        """P(X <= x)."""
        idx = np.searchsorted(self.values, x, side="right")
        return np.where(idx > 0, self.cum[np.maximum(idx - 1, 0)], 0.0)

    def ppf(self, q: Any) -> Any:
        """The smallest value whose cumulative probability reaches ``q`` (to 1e-12)."""
        idx = np.searchsorted(self.cum, np.asarray(q) - 1e-12, side="left")
        return self.values[np.minimum(idx, self.values.size - 1)]

    def support(self) -> tuple[float, float]:
        """The smallest and largest value."""
        return float(self.values[0]), float(self.values[-1])


class _Tabled(Distribution):
    """Shared by discrete and empirical: a finite set of values with probabilities."""

    def _table(self) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def scipy(self) -> _FiniteDist:
        """An exact finite distribution over the values (scipy's rv_discrete needs integers,
        and a histogram distribution would smear).
        """
        values, probs = self._table()
        return _FiniteDist(values, probs)

    def support(self) -> tuple[float, float]:
        """The smallest and largest value."""
        values, _ = self._table()
        return float(values.min()), float(values.max())

    def compile(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        """The DISCRETE kernel over the sorted values."""
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
                raise FieldError("weights", "must have one entry per value (got "
                                 f"{len(self.weights)} weights for {len(self.values)} values)")
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
        """Whether every value is a whole number."""
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
        """``empirical(N values)``."""
        return f"empirical({len(self.values)} values)"
