"""The mixture family: a weighted mixture of continuous components (for instance several
experts' ranges, pooled), sampled by inverse CDF from a table like beta and PERT.
"""
from __future__ import annotations

import math
from typing import Annotated, Any, Literal, get_args

import numpy as np
from pydantic import ConfigDict, Field, model_validator

from simulator.distributions.base import (
    DataBuilder,
    Distribution,
    FieldError,
    Finite,
    _mixture_quantile,
    _tabulate,
)
from simulator.distributions.continuous import Beta, Normal, Pert, Triangular, Uniform
from simulator.distributions.scaled import Gamma, Lognormal, _Scaled

MixtureComponent = Annotated[Uniform | Triangular | Pert | Normal | Lognormal | Beta | Gamma,
                             Field(discriminator="dist")]
"""A field type: one of the families a mixture may mix."""
MIXTURE_COMPONENT_FAMILIES: tuple[type[Distribution], ...] = get_args(get_args(MixtureComponent)[0])
"""Families a mixture may mix: the continuous ones (its table interpolates between knots)."""


class _MixtureDist:
    """Frozen-scipy-like weighted mixture of frozen continuous distributions."""

    def __init__(self, parts: list[Any], probs: np.ndarray) -> None:
        self.parts, self.probs = parts, probs

    def cdf(self, x: Any) -> Any:
        """The weighted sum of the parts' cdfs."""
        return sum(p * f.cdf(x) for p, f in zip(self.probs, self.parts, strict=False))

    def sf(self, x: Any) -> Any:
        """The weighted sum of the parts' survival functions."""
        return sum(p * f.sf(x) for p, f in zip(self.probs, self.parts, strict=False))

    def mean(self) -> float:
        """The weighted mean of the parts' means."""
        return float(sum(p * f.mean() for p, f in zip(self.probs, self.parts, strict=False)))

    def var(self) -> float:
        """The law of total variance over the parts."""
        m = self.mean()
        return float(sum(p * (f.var() + (f.mean() - m) ** 2)
                         for p, f in zip(self.probs, self.parts, strict=False)))

    def std(self) -> float:
        """The standard deviation."""
        return math.sqrt(self.var())

    def support(self) -> tuple[float, float]:
        """From the lowest to the highest end of the parts with weight."""
        ends = [f.support() for f, p in zip(self.parts, self.probs, strict=False) if p > 0]
        return min(a for a, _ in ends), max(b for _, b in ends)

    def ppf(self, q: Any) -> Any:
        """Quantiles by root finding on the cdf, bracketed by the parts' own quantiles."""
        q = np.asarray(q, dtype=float)
        live = [f for f, p in zip(self.parts, self.probs, strict=False) if p > 0]
        each = np.array([np.broadcast_to(f.ppf(q), q.shape) for f in live], dtype=float)
        lo, hi = each.min(axis=0), each.max(axis=0)
        out = np.where(q <= 0, lo, _mixture_quantile(self.cdf, lo, hi, q).reshape(q.shape))
        return out if out.ndim else float(out)


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

    def scipy(self) -> _MixtureDist:
        """The weighted mixture of the components' ``scipy.stats`` distributions."""
        return _MixtureDist([c.scipy() for c in self.components], self.probabilities())

    def compile(self, data: DataBuilder) -> tuple[int, np.ndarray]:
        """A quantile table (the TABLE kernel)."""
        return _tabulate(self.scipy(), data, self.model_dump_json())

    def warnings(self) -> list[str]:
        """The components' warnings, each with its index."""
        return [f"component {i}: {w}" for i, c in enumerate(self.components)
                for w in c.warnings()]

    def describe(self) -> str:
        """``mixture([...], weights=[...])`` with each component in words."""
        parts = ", ".join(c.describe() for c in self.components)
        w = "" if self.weights is None else ", weights=[" + ", ".join(
            f"{x:g}" for x in self.weights) + "]"
        return f"mixture([{parts}]{w})"
