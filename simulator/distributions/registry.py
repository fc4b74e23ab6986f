"""The catalogue: every family by its ``dist`` name, the field types that accept any of them
(:data:`AnyDistribution`) or any an uncertain rate may have, and the two questions the
scenario compiler asks of any distribution (:func:`uncertain_rate`, :func:`uncertain_size`).

Importing this module completes the families' forward references (a lognormal's ``mu`` or a
poisson's ``mean`` may be a distribution of any non-count family, the mixture among them);
:mod:`simulator.distributions` imports it, so every family is usable from its own module.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Union, get_args

from pydantic import BeforeValidator, Field

from simulator.distributions.base import Distribution
from simulator.distributions.continuous import Beta, Constant, Normal, Pert, Triangular, Uniform
from simulator.distributions.counts import Bernoulli, NegativeBinomial, Poisson, _Count
from simulator.distributions.mixture import MIXTURE_COMPONENT_FAMILIES, Mixture
from simulator.distributions.scaled import Gamma, Lognormal, _Scaled
from simulator.distributions.tables import Discrete, Empirical

__all__ = ["FAMILIES", "MIXTURE_COMPONENT_FAMILIES", "RATE_FAMILIES", "AnyDistribution",
           "RateDistribution", "uncertain_rate", "uncertain_size"]


def _bare_number(v: Any) -> Any:
    # A bare number is a constant; bools are numbers to Python but never to us.
    if isinstance(v, int | float) and not isinstance(v, bool):
        return {"dist": "constant", "value": float(v)}
    return v


_ONE_OF_THEM = (Constant | Uniform | Triangular | Pert | Normal | Lognormal | Beta | Gamma
                | Poisson | Bernoulli | NegativeBinomial | Discrete | Empirical | Mixture)

if TYPE_CHECKING:
    # Opaque to mypy for now, as it always was: the scenario's modules read family-specific
    # attributes of these fields without narrowing first (about 50 findings in
    # scenario/model.py and scenario/compiled.py once it is the union above).
    AnyDistribution = Any
else:
    AnyDistribution = Annotated[_ONE_OF_THEM, Field(discriminator="dist"),
                                BeforeValidator(_bare_number)]
    """A field type: any family, or a bare number."""

FAMILIES: dict[str, type[Distribution]] = {
    get_args(cls.model_fields["dist"].annotation)[0]: cls for cls in get_args(_ONE_OF_THEM)
}
"""Family name (the ``dist`` key) -> class, in the order of :data:`AnyDistribution`."""

RATE_FAMILIES = tuple(c for c in FAMILIES.values() if not issubclass(c, _Count))
"""Families an uncertain rate (or size) may have: any but the counts."""

if TYPE_CHECKING:
    RateDistribution = Distribution
else:
    RateDistribution = Annotated[Union[RATE_FAMILIES], Field(discriminator="dist")]  # noqa: UP007
    """A field type: any of :data:`RATE_FAMILIES` (the union is built from the tuple)."""

for _cls in (Lognormal, Gamma, Poisson, Bernoulli, NegativeBinomial, Mixture):
    _cls.model_rebuild(_types_namespace={"RateDistribution": RateDistribution})


def uncertain_rate(d: Distribution) -> Distribution | None:
    """A count's per-trial rate distribution; None for a fixed rate or any other family."""
    return d.rate_distribution() if isinstance(d, _Count) else None


def uncertain_size(d: Distribution) -> Distribution | None:
    """A severity's per-trial size distribution (lognormal mu, gamma scale); None otherwise."""
    return d.scale_distribution() if isinstance(d, _Scaled) else None
