"""The scenario file: TOML in, a validated :class:`Scenario` out.

This module is the contract of the format. Every key, its type, default and unit is declared
here once; validation errors name the file and the field path (``risks[0].severity.high``) and
say what is allowed.
"""
from __future__ import annotations

import difflib
import hashlib
import math
import re
import tomllib
import typing
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Protocol, runtime_checkable

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from simulator.distributions.base import UNCERTAIN_PARAMETER_HELP, Distribution, FieldError
from simulator.distributions.registry import (
    FAMILIES,
    uncertain_rate,
    uncertain_size,
)
from simulator.scenario.paths import apply_option, first_options

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

    # registry.AnyDistribution is built at run time as a Union over the family table, which
    # mypy cannot read as a type; to the checker it is the union of the families it holds.
    from simulator.distributions.continuous import (
        Beta,
        Constant,
        Normal,
        Pert,
        Triangular,
        Uniform,
    )
    from simulator.distributions.counts import Bernoulli, NegativeBinomial, Poisson
    from simulator.distributions.mixture import Mixture
    from simulator.distributions.scaled import Gamma, Lognormal
    from simulator.distributions.tables import Discrete, Empirical

    AnyDistribution = (Constant | Uniform | Triangular | Pert | Normal | Lognormal | Beta
                       | Gamma | Poisson | Bernoulli | NegativeBinomial | Discrete | Empirical
                       | Mixture)
else:
    from simulator.distributions.registry import AnyDistribution


def _can_go_below(d: Distribution, x: float) -> bool:
    """Whether P(d <= x) > NEGLIGIBLE: no when the support starts above x, else from bounds on
    the cdf where they settle it (:meth:`~Distribution.cdf_bounds`, without scipy), else
    from the cdf.

    Used to refuse inputs that can go where they make no sense (a negative wage) while
    accepting, say, a normal wage 15 standard deviations above zero, as the format's own
    examples do.
    """
    if d.support()[0] > x:
        return False
    bounds = d.cdf_bounds(x)
    if bounds is not None and (bounds[1] <= NEGLIGIBLE or bounds[0] > NEGLIGIBLE):
        return bounds[0] > NEGLIGIBLE
    return float(d.cdf(x)) > NEGLIGIBLE


def quote(name: str) -> str:
    """A name as it appears in a parameter path: ``risks["Client data breach"]``."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


@runtime_checkable
class _CountLike(Protocol):
    """What the count families whose rate may be uncertain (poisson, bernoulli,
    negative_binomial) add to a distribution; recognised, as ever, by having these members.
    """

    RATE_FIELD: ClassVar[str]

    def rate_key(self) -> str: ...

    def rate_distribution(self) -> Distribution | None: ...

    def draw_range(self, factor: float = 1.0) -> tuple[float, float]: ...

    def draw_range_bounds(self, factor: float = 1.0) -> tuple[float, float]: ...


class _ScaledLike(Protocol):
    """A severity family whose size may be uncertain (lognormal mu, gamma scale)."""

    SCALE_FIELD: ClassVar[str]


def _number_default(value: float, **kwargs: Any) -> Any:
    """``Field(value, ...)`` for a distribution field whose default is a bare number: pydantic
    validates the default into a constant (validate_default), so the field always holds a
    distribution. Typed Any because the default itself is not one yet.
    """
    return Field(value, **kwargs)


NEGLIGIBLE = 1e-9
SCALABLE_FREQUENCIES = ("poisson", "bernoulli", "negative_binomial")
REENTRY_KEYS = ("reentry_cost", "reentry_ramp_months", "reentry_overrun")


class Category(str, Enum):
    """What a cost line or a risk is about; results are grouped by it."""

    transition = "transition"
    governance = "governance"
    communication = "communication"
    quality = "quality"
    breach = "breach"
    attrition = "attrition"
    exit = "exit"
    regulatory = "regulatory"  #: fines, regulators' actions
    ip = "ip"  #: loss of intellectual property or know-how
    other = "other"
    controls = "controls"  #: the cost of mitigations declared in [[controls]]


class _Strict(BaseModel):
    # defer_build: the schema is built on first use, as one piece for Scenario (its parts are
    # never validated alone by the commands), rather than once per model at import.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, validate_default=True,
                              defer_build=True)


Name = Annotated[str, Field(min_length=1, max_length=200)]
# Enums arrive as strings from TOML; strict mode would demand Category instances.
CategoryField = Annotated[Category, Field(strict=False)]


class ScenarioInfo(_Strict):
    """``[scenario]``: what is being decided, over how long, in which currency."""

    name: Name = Field(description="shown in reports and charts")
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$", description="ISO 4217 code")
    horizon_years: int = Field(ge=1, le=30, description="years simulated")
    discount_rate: float = Field(0.0, ge=0.0, lt=1.0, allow_inf_nan=False,
                                 description="per year; results are present values")
    cash_flow_timing: Literal["start", "mid", "end"] = Field(
        "start", description="when in the year cash flows fall: year t is discounted by "
        "(1 + r)^-(t - 1), (1 + r)^-(t - 0.5) or (1 + r)^-t")
    description: str = Field("", description="free text")


class Workforce(_Strict):
    """``[workforce]``: the wage-savings side. Levels are drawn once per trial.

    FTE counts, costs per FTE and ramp-up months must not be able to go negative, and a
    growth rate must stay above -1 (truncate a normal with ``min`` where needed).
    """

    onshore_fte: AnyDistribution = Field(description="staff whose work moves (FTE)")
    onshore_cost_per_fte: AnyDistribution = Field(
        description="fully loaded in-house cost per FTE, currency per year")
    offshore_fte: AnyDistribution = Field(description="provider staff for the same output (FTE)")
    offshore_cost_per_fte: AnyDistribution = Field(
        description="provider charge per FTE, currency per year")
    onshore_cost_growth: AnyDistribution = _number_default(0.0, description="per year, 0.03 = 3%")
    offshore_cost_growth: AnyDistribution = _number_default(0.0,
                                                            description="per year, 0.03 = 3%")
    ramp_up_months: AnyDistribution = _number_default(
        0.0, description="months during which both teams are paid")
    offshore_currency_share: float = Field(
        1.0, ge=0.0, le=1.0, allow_inf_nan=False,
        description="with [fx]: share of the provider charge repriced in the [fx] currency "
        "each year (the rest is fixed at the starting rate); 1 = all of it")


class CostLine(_Strict):
    """``[[costs]]``: a known cost, as an amount or as a yearly share of a wage bill.

    Give either ``amount`` or both ``share_of`` and ``share``. A ``once`` cost takes ``year``
    (not ``start_year``/``end_year``); a ``yearly`` cost takes ``start_year`` and ``end_year``
    (not ``year``). Years lie within the horizon; amounts and shares must not be able to go
    negative, and ``growth`` must stay above -1.
    """

    name: Name = Field(description="unique across cost lines, risks and controls")
    category: CategoryField = Field(description="what the cost is about; results are "
                                    "grouped by it")
    timing: Literal["once", "yearly"] = Field(description="\"once\": paid in `year`; "
                                              "\"yearly\": paid every year from start_year "
                                              "to end_year")
    amount: AnyDistribution | None = Field(None, description="currency (per year if "
                                           "yearly)")
    share_of: Literal["offshore_cost", "onshore_cost", "gross_savings"] | None = Field(
        None, description="what a share is of, in the same year")
    share: AnyDistribution | None = Field(None, description="fraction of share_of, "
                                          "0.04 = 4%")
    growth: AnyDistribution = _number_default(0.0, description="yearly escalation of an amount "
                                              "from its first year, 0.03 = 3%; not applied to "
                                              "a share")
    year: int | None = Field(None, ge=1, description="year of a one-off cost, default 1")
    start_year: int | None = Field(None, ge=1, description="first year of a yearly cost, "
                                   "default 1")
    end_year: int | None = Field(None, ge=1, description="last year of a yearly cost, default "
                                 "the last year of the horizon")
    stops_at_exit: bool | None = Field(None, description="whether the cost stops when an exit "
                                       "ends the engagement (pro rata in the exit year); "
                                       "default true for a share of offshore_cost or "
                                       "gross_savings, false otherwise")
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$", description="currency of the "
                                 "amount: the scenario's (default) or the [fx] currency")
    description: str = Field("", description="free text")

    @property
    def stops(self) -> bool:
        """Whether the line stops at an exit (its default follows what it is a share of)."""
        if self.stops_at_exit is not None:
            return self.stops_at_exit
        return self.share_of in ("offshore_cost", "gross_savings")

    @model_validator(mode="after")
    def _check(self) -> CostLine:
        if self.share_of is None and self.share is None:
            if self.amount is None:
                raise FieldError("amount", "missing: give amount, or share_of and share")
        elif self.amount is not None:
            raise FieldError("amount", "give amount, or share_of and share, not both")
        elif self.share_of is None:
            raise FieldError("share_of", "missing: share needs share_of (offshore_cost, "
                             "onshore_cost or gross_savings)")
        elif self.share is None:
            raise FieldError("share", "missing: share_of needs a share")
        if self.share_of is not None and not (self.growth.dist == "constant"
                                              and self.growth.value == 0.0):
            raise FieldError("growth", "growth goes with amount; a share already follows the "
                             "growth of what it is a share of")
        if self.timing == "once" and (self.start_year or self.end_year):
            raise FieldError("start_year", "start_year/end_year go with timing = \"yearly\"; "
                             "a one-off cost takes year")
        if self.timing == "yearly" and self.year is not None:
            raise FieldError("year", "year goes with timing = \"once\"; a yearly cost takes "
                             "start_year and end_year")
        if self.start_year and self.end_year and self.end_year < self.start_year:
            raise FieldError("end_year", f"must be >= start_year (got {self.end_year} < "
                             f"{self.start_year})")
        return self


class Recovery(_Strict):
    """A recovery layer on a risk: of the loss x it applies to (each event's, or the year's),
    it recovers min(limit, share * max(0, x - deductible)), booked as income in that year.
    Layers apply in order, each to what the layers before it left.
    """

    deductible: float = Field(0.0, ge=0, allow_inf_nan=False,
                              description="the part of each loss not recovered, currency")
    share: float = Field(1.0, ge=0, le=1, allow_inf_nan=False,
                         description="share of the loss above the deductible recovered")
    limit: float | None = Field(None, gt=0, allow_inf_nan=False,
                                description="most recovered per event (or per year), "
                                "currency; a vendor's liability cap is a limit; default none")
    per: Literal["event", "year"] = Field("event", description="whether the terms apply to "
                                          "each event's loss or to the year's")


class Secondary(_Strict):
    """A knock-on loss an event may cause (FAIR's secondary loss): with ``probability``, drawn
    per event, a further loss drawn from ``severity``.
    """

    probability: float = Field(ge=0, le=1, allow_inf_nan=False,
                               description="chance that an event causes the secondary loss")
    severity: AnyDistribution = Field(description="the secondary loss, currency")


class Raise(_Strict):
    """An event of this risk multiplies another risk's rate for the following years."""

    risk: Name = Field(description="name of the risk whose rate is raised")
    factor: float = Field(gt=0, le=1000, allow_inf_nan=False,
                          description="multiplies its poisson or negative_binomial mean or "
                          "bernoulli p (capped at 1)")
    years: int = Field(ge=1, le=30, description="years after the event's year that are raised")


class Risk(_Strict):
    """``[[risks]]``: uncertain events, a count per year times a loss per event.

    A year's loss is min(sum of min(severity, cap_per_event), cap_per_year). ``frequency``
    must be a count distribution (poisson, bernoulli, negative_binomial, or a constant or
    discrete with whole, non-negative numbers); ``severity`` must not be able to go
    negative.
    """

    name: Name = Field(description="unique across cost lines, risks and controls")
    category: CategoryField = Field(description="what the risk is about; results are "
                                    "grouped by it")
    frequency: AnyDistribution = Field(description="events per year (a count distribution)")
    severity: AnyDistribution = Field(description="loss per event, currency")
    cap_per_event: float | None = Field(None, gt=0, allow_inf_nan=False,
                                        description="most the client can lose per event "
                                        "(its exposure), currency; default none. Not a "
                                        "vendor's liability cap: that limits what is "
                                        "recovered, see recovery.limit")
    cap_per_year: float | None = Field(None, gt=0, allow_inf_nan=False,
                                       description="most the client can lose in a year, "
                                       "currency; default none")
    start_year: int | None = Field(None, ge=1, description="first year the risk is live, "
                                   "default 1")
    end_year: int | None = Field(None, ge=1, description="last year the risk is live, default "
                                 "the last year of the horizon")
    side: Literal["provider", "in_house"] = Field(
        "provider", description="\"provider\": a loss the deal brings (stops with the "
        "engagement); \"in_house\": a loss the firm bears if the work stays onshore, avoided "
        "(a saving) while the engagement runs")
    ends_engagement: bool = Field(False, description="its first event ends the engagement: "
                                  "wage savings, provider fees and provider risks stop")
    exit_timing: Literal["end", "start", "uniform"] | None = Field(
        None, description="with ends_engagement: the engagement runs to the \"end\" of the "
        "event's year (default), stops at its \"start\", or at a \"uniform\" point in it")
    reentry_cost: AnyDistribution | None = Field(
        None, description="with ends_engagement: one-off cost of taking the work back "
        "(re-hiring, knowledge transfer), currency, in the exit year; default 0")
    reentry_ramp_months: AnyDistribution | None = Field(
        None, description="with ends_engagement: months after the exit during which the work "
        "costs the onshore bill times 1 + reentry_overrun; default 0")
    reentry_overrun: AnyDistribution | None = Field(
        None, description="with ends_engagement: extra share of the onshore bill during the "
        "re-entry months, 0.25 = 25%; default 0")
    recovery: Recovery | None = Field(None, description="one recovery layer (insurance, the "
                                      "provider's liability): income in the year of the loss")
    recoveries: list[Recovery] = Field(default_factory=list, max_length=10,
                                       description="several recovery layers, applied in order "
                                       "to what the layers before left (event layers first)")
    secondary: Secondary | None = Field(None, description="a knock-on loss each event may "
                                        "cause (a fine, client compensation)")
    raises: list[Raise] = Field(default_factory=list, max_length=100,
                                description="other risks whose rate an event of this one "
                                "multiplies in the following years")
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$", description="currency of the "
                                 "severities, caps and recovery terms: the scenario's "
                                 "(default) or the [fx] currency")
    description: str = Field("", description="free text")

    @property
    def layers(self) -> list[Recovery]:
        """The recovery layers in the order they apply: per-event ones, then per-year ones."""
        given = ([self.recovery] if self.recovery is not None else []) + list(self.recoveries)
        return ([x for x in given if x.per == "event"] + [x for x in given if x.per == "year"])

    @property
    def timing(self) -> str:
        """The exit timing of an ending risk ("end" unless given)."""
        return self.exit_timing or "end"

    @model_validator(mode="after")
    def _check(self) -> Risk:
        if not self.frequency.integer_valued():
            raise FieldError("frequency", f"must be a count distribution (poisson, bernoulli, "
                             f"negative_binomial, or a constant or discrete with whole "
                             f"numbers), got {self.frequency.describe()}")
        if self.frequency.support()[0] < 0:
            raise FieldError("frequency", "event counts cannot be negative")
        if _can_go_below(self.severity, -1e-300):
            raise FieldError("severity", f"a loss per event must be >= 0, but "
                             f"{self.severity.describe()} can be negative (truncate it with "
                             f"min = 0, or use lognormal, gamma, pert or triangular)")
        if self.start_year and self.end_year and self.end_year < self.start_year:
            raise FieldError("end_year", f"must be >= start_year (got {self.end_year} < "
                             f"{self.start_year})")
        if not self.ends_engagement:
            for key in ("exit_timing", "reentry_cost", "reentry_ramp_months", "reentry_overrun"):
                if getattr(self, key) is not None:
                    raise FieldError(key, f"{key} goes with ends_engagement = true (a risk "
                                     "whose first event ends the engagement)")
        for key in ("reentry_cost", "reentry_ramp_months", "reentry_overrun"):
            d = getattr(self, key)
            if d is not None and _can_go_below(d, -1e-300):
                raise FieldError(key, f"must be >= 0, but {d.describe()} can be negative")
        if self.recovery is not None and self.recoveries:
            raise FieldError("recoveries", "give one layer as recovery or several as "
                             "recoveries, not both")
        if self.secondary is not None and \
                _can_go_below(self.secondary.severity, -1e-300):
            raise FieldError("secondary.severity", f"a loss must be >= 0, but "
                             f"{self.secondary.severity.describe()} can be negative")
        return self


class Effect(_Strict):
    """What a control does to one risk. A ``frequency_factor`` other than 1 needs a poisson,
    bernoulli or negative_binomial frequency (and must keep a bernoulli's p at most 1).
    """

    risk: Name = Field(description="name of the risk it acts on")
    frequency_factor: float = Field(1.0, ge=0, allow_inf_nan=False,
                                    description="multiplies the risk's event rate (0.5 halves "
                                    "it): a poisson or negative_binomial mean, a bernoulli p")
    severity_factor: float = Field(1.0, ge=0, allow_inf_nan=False,
                                   description="multiplies every loss per event")
    cap_per_event: float | None = Field(None, gt=0, allow_inf_nan=False,
                                        description="a new cap on the loss per event, "
                                        "currency; the lower of it and the risk's own applies")


class Control(_Strict):
    """``[[controls]]``: a mitigation with a cost and effects on named risks. Results report
    its return: (expected loss avoided - its cost) / its cost, on common random numbers.

    Its cost becomes a cost line in the category ``controls``; it must not be able to go
    negative.
    """

    name: Name = Field(description="unique across cost lines, risks and controls")
    cost: AnyDistribution = Field(description="currency, per year if yearly")
    timing: Literal["once", "yearly"] = Field("yearly", description="\"once\" (year 1) or "
                                              "\"yearly\" (every year of the horizon)")
    effects: list[Effect] = Field(min_length=1, max_length=100,
                                  description="what it does to each risk it acts on")
    description: str = Field("", description="free text")


class TolerancePoint(_Strict):
    """One point of a tolerance curve: losses above ``loss`` may happen with probability at
    most ``max_probability`` (over the horizon, present value).
    """

    loss: float = Field(gt=0, allow_inf_nan=False, description="currency")
    max_probability: float = Field(ge=0, le=1, allow_inf_nan=False,
                                   description="largest acceptable P(total risk losses > loss)")


class Tolerance(_Strict):
    """``[tolerance]``: how much risk the organisation accepts. Results say pass or fail.

    ``loss_exceedance`` points must have increasing, distinct losses.
    """

    max_prob_loss: float | None = Field(None, ge=0, le=1, allow_inf_nan=False,
                                        description="largest acceptable P(net savings < 0)")
    loss_exceedance: list[TolerancePoint] = Field(
        default_factory=list, max_length=100,
        description="points of the tolerance curve for total risk-event losses")


class Correlation(_Strict):
    """``[[correlations]]``: rank (Spearman) correlations between uncertain inputs, named by
    their parameter paths: two ``inputs`` and a number ``rank``, or several inputs and a
    ``rank`` matrix (one row and column per input, in the order of ``inputs``).

    Each input keeps its own distribution exactly (a Gaussian copula). Inputs are those drawn
    once per trial: workforce levels, cost lines' amount, share and growth, controls' cost,
    and risks' uncertain rates (``.frequency.mean`` or ``.frequency.p``).
    """

    inputs: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        min_length=2, max_length=200, description="parameter paths of the correlated inputs")
    rank: float | list[list[float]] = Field(description="the rank correlation of two inputs, "
                                            "or the matrix of all of them (symmetric, 1 on "
                                            "the diagonal, entries in [-1, 1])")

    @model_validator(mode="after")
    def _check(self) -> Correlation:
        k = len(self.inputs)
        if len(set(self.inputs)) != k:
            dup = next(x for x in self.inputs if self.inputs.count(x) > 1)
            raise FieldError("inputs", f"names {dup!r} twice")
        if isinstance(self.rank, float):
            if k != 2:
                raise FieldError("rank", f"a single number correlates two inputs; for {k} "
                                 f"inputs give a {k}x{k} matrix")
            if not -1 <= self.rank <= 1 or not math.isfinite(self.rank):
                raise FieldError("rank", f"must be in [-1, 1] (got {self.rank:g})")
            return self
        m = self.rank
        if len(m) != k or any(len(row) != k for row in m):
            raise FieldError("rank", f"must be a {k}x{k} matrix, one row and column per input "
                             f"(got {len(m)} rows of lengths {sorted({len(r) for r in m})})")
        for i in range(k):
            if m[i][i] != 1:
                raise FieldError(f"rank[{i}][{i}]", f"the diagonal must be 1 (got {m[i][i]:g})")
            for j in range(k):
                if not -1 <= m[i][j] <= 1:
                    raise FieldError(f"rank[{i}][{j}]", f"must be in [-1, 1] (got {m[i][j]:g})")
                if m[i][j] != m[j][i]:
                    raise FieldError(f"rank[{j}][{i}]", f"the matrix must be symmetric: "
                                     f"rank[{i}][{j}] = {m[i][j]:g} but rank[{j}][{i}] = "
                                     f"{m[j][i]:g}")
        return self

    def pairs(self) -> list[tuple[str, str, float]]:
        """Every (input, input, rank correlation) this entry declares, i < j."""
        if isinstance(self.rank, float):
            return [(self.inputs[0], self.inputs[1], self.rank)]
        k = len(self.inputs)
        return [(self.inputs[i], self.inputs[j], float(self.rank[i][j]))
                for i in range(k) for j in range(i + 1, k)]


class FX(_Strict):
    """``[fx]``: the provider contract's currency. Its exchange rate follows a lognormal path
    drawn per trial and year; ``workforce.offshore_cost_per_fte`` is then in this currency.
    """

    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code of the provider "
                          "contract")
    rate: float = Field(gt=0, allow_inf_nan=False, description="units of it per unit of the "
                        "scenario currency at the start")
    annual_volatility: float = Field(0.0, ge=0, le=1, allow_inf_nan=False,
                                     description="standard deviation of the rate's yearly "
                                     "log change")
    drift: float = Field(0.0, ge=-0.5, le=0.5, allow_inf_nan=False,
                         description="expected yearly log change plus half its variance: "
                         "E[rate after t years] = rate * exp(drift * t)")


class Pilot(_Strict):
    """``[pilot]``: a trial period with the provider before deciding. ``kposim voi`` values it:
    the incidents of every risk with an uncertain poisson rate are observed for ``years``, the
    rates are updated, and then the deal is chosen or not (preposterior analysis).
    """

    years: float = Field(gt=0, le=10, allow_inf_nan=False,
                         description="length of the pilot, years")
    cost: float = Field(0.0, ge=0, allow_inf_nan=False,
                        description="what the pilot costs, currency, present value at the "
                        "decision")


class ChoiceOption(_Strict):
    """One option of a choice: its name and the parameter paths it sets."""

    name: Name = Field(description="unique within its choice")
    settings: dict[Annotated[str, Field(min_length=1, max_length=500)], AnyDistribution] = Field(
        alias="set", min_length=1, max_length=200,
        description="parameter path -> number or distribution, e.g. "
        "{ \"workforce.offshore_cost_per_fte\" = 45000 }")
    description: str = Field("", description="free text")


class Choice(_Strict):
    """``[[choices]]``: a discrete contract option, such as the provider or the placement.
    The scenario is read with each choice's first option applied; ``kposim optimize`` tries
    every combination of options with every portfolio of controls.

    Every option must set paths that exist and give a valid scenario; two choices may not set
    the same path.
    """

    name: Name = Field(description="unique across choices")
    options: list[ChoiceOption] = Field(min_length=2, max_length=50,
                                        description="the alternatives; the first is the one a "
                                        "plain run uses")
    description: str = Field("", description="free text")


class Scenario(_Strict):
    """A whole scenario file, validated. Build one with :func:`load_scenario`."""

    scenario: ScenarioInfo = Field(description="what is decided, over how long, in which "
                                   "currency")
    workforce: Workforce = Field(description="the wage bills on both sides")
    costs: list[CostLine] = Field(default_factory=list, max_length=1000,
                                  description="known cost lines")
    risks: list[Risk] = Field(default_factory=list, max_length=1000,
                              description="uncertain events: count per year x loss per event")
    controls: list[Control] = Field(default_factory=list, max_length=100,
                                    description="mitigations, with a cost and effects on risks")
    tolerance: Tolerance | None = Field(None, description="the risk appetite results are "
                                        "checked against")
    correlations: list[Correlation] = Field(default_factory=list, max_length=1000,
                                            description="rank correlations between uncertain "
                                            "inputs (a Gaussian copula)")
    fx: FX | None = Field(None, description="the provider contract's currency and its "
                          "exchange-rate path")
    pilot: Pilot | None = Field(None, description="a pilot period whose incident counts would "
                                "be seen before deciding (valued by kposim voi)")
    choices: list[Choice] = Field(default_factory=list, max_length=20,
                                  description="discrete contract options (provider, placement) "
                                  "for kposim optimize; a run uses each one's first option")

    # Set by the loaders: where the scenario came from and the hash of its exact bytes.
    _source: str = PrivateAttr("<python>")
    _sha256: str = PrivateAttr("")

    @model_validator(mode="after")
    def _check(self) -> Scenario:
        seen: dict[str, str] = {}
        for section in ("costs", "risks"):
            for i, item in enumerate(getattr(self, section)):
                if item.name in seen:
                    raise FieldError(f"{section}[{i}].name", f"duplicate name {item.name!r} "
                                     f"(already used by {seen[item.name]}); names must be unique")
                seen[item.name] = f"{section}[{i}]"
        horizon = self.scenario.horizon_years
        for section in ("costs", "risks"):
            for i, item in enumerate(getattr(self, section)):
                for key in ("year", "start_year", "end_year"):
                    value = getattr(item, key, None)
                    if value is not None and value > horizon:
                        raise FieldError(f"{section}[{i}].{key}", f"must be within the horizon "
                                         f"1..{horizon} (got {value})")
        self._check_supports()
        self._check_engagement()
        self._check_controls()
        self._check_uncertain_parameters()
        self._check_correlations()
        self._check_pilot()
        self._check_choices()
        self._check_semantics()
        return self

    def _check_choices(self) -> None:
        if not self.choices:
            return
        doc = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        names: set[str] = set()
        paths: dict[str, str] = {}
        for i, c in enumerate(self.choices):
            if c.name in names:
                raise FieldError(f"choices[{i}].name", f"duplicate choice name {c.name!r}")
            names.add(c.name)
            seen: set[str] = set()
            for j, o in enumerate(c.options):
                where = f"choices[{i}].options[{j}]"
                if o.name in seen:
                    raise FieldError(f"{where}.name", f"duplicate option name {o.name!r} in "
                                     f"choice {c.name!r}")
                seen.add(o.name)
                for path in o.settings:
                    if paths.setdefault(path, c.name) != c.name:
                        raise FieldError(f"{where}.set", f"{path} is also set by choice "
                                         f"{paths[path]!r}; a path belongs to one choice")
                try:
                    scenario_from_dict(apply_option(doc, o.settings),
                                       source=f"option {o.name!r}")
                except ScenarioError as e:
                    raise FieldError(f"{where}.set", f"option {o.name!r} gives an invalid "
                                     "scenario: " + "; ".join(str(p) for p in e.problems)) \
                        from None
                except ValueError as e:  # a path that names nothing
                    raise FieldError(f"{where}.set", str(e)) from None

    def _check_pilot(self) -> None:
        if self.pilot is None:
            return
        if not any(r.frequency.dist == "poisson" and uncertain_rate(r.frequency) is not None
                   for r in self.risks):
            raise FieldError("pilot", "a pilot learns about uncertain event rates, and no "
                             "risk has one: give a risk frequency = { dist = \"poisson\", mean "
                             "= { dist = ... } } or a gamma prior")

    def per_trial_inputs(self) -> dict[str, Distribution]:
        """Parameter path -> distribution of every input drawn once per trial: workforce
        levels, cost lines, controls' costs, and risks' uncertain rates.
        """
        out: dict[str, Distribution] = {}
        for key in type(self.workforce).model_fields:
            out[f"workforce.{key}"] = getattr(self.workforce, key)
        for c in self.costs:
            base = f"costs[{quote(c.name)}]"
            if c.amount is not None:
                out[f"{base}.amount"] = c.amount
            else:
                assert c.share is not None  # validation: a cost line has an amount or a share
                out[f"{base}.share"] = c.share
            out[f"{base}.growth"] = c.growth
        for ctl in self.controls:
            out[f"controls[{quote(ctl.name)}].cost"] = ctl.cost
        for r in self.risks:
            rate = uncertain_rate(r.frequency)
            if rate is not None:
                freq = typing.cast(_CountLike, r.frequency)  # only counts have uncertain rates
                out[f"risks[{quote(r.name)}].frequency.{freq.rate_key()}"] = rate
            size = uncertain_size(r.severity)
            if size is not None:
                sev = typing.cast(_ScaledLike, r.severity)  # only lognormal, gamma have sizes
                out[f"risks[{quote(r.name)}].severity.{sev.SCALE_FIELD}"] = size
            for key in REENTRY_KEYS:
                if getattr(r, key) is not None:
                    out[f"risks[{quote(r.name)}].{key}"] = getattr(r, key)
        return out

    def _check_engagement(self) -> None:
        """Model 0.2 terms that need the whole scenario: raised risks exist and can be
        scaled, currencies are known, [fx] goes with its share.
        """
        risks = {r.name: r for r in self.risks}
        known = {self.scenario.currency} | ({self.fx.currency} if self.fx else set())
        for section in ("costs", "risks"):
            for i, item in enumerate(getattr(self, section)):
                if item.currency is not None and item.currency not in known:
                    allowed = " or ".join(sorted(known))
                    extra = "" if self.fx else " (declare [fx] for a provider currency)"
                    raise FieldError(f"{section}[{i}].currency", f"{item.currency} is neither "
                                     f"the scenario currency nor the [fx] currency: use "
                                     f"{allowed}{extra}")
        if self.fx is None and self.workforce.offshore_currency_share != 1.0:
            raise FieldError("workforce.offshore_currency_share", "goes with an [fx] table "
                             "(the provider contract's currency)")
        if self.fx is not None and self.fx.currency == self.scenario.currency:
            raise FieldError("fx.currency", f"is the scenario currency "
                             f"{self.scenario.currency}; [fx] is for a provider contract in "
                             "another currency")
        for i, r in enumerate(self.risks):
            for j, link in enumerate(r.raises):
                where = f"risks[{i}].raises[{j}].risk"
                target = risks.get(link.risk)
                if target is None:
                    close = difflib.get_close_matches(link.risk, list(risks), n=1)
                    hint = f"; did you mean {close[0]!r}?" if close else ""
                    raise FieldError(where, f"no risk named {link.risk!r}{hint} (risks: "
                                     f"{', '.join(map(repr, risks))})")
                if target.frequency.dist not in SCALABLE_FREQUENCIES:
                    raise FieldError(where, f"{link.risk!r} has {target.frequency.describe()}; "
                                     "a raised rate needs a poisson, bernoulli or "
                                     "negative_binomial frequency")
            if r.side == "in_house" and r.ends_engagement:
                raise FieldError(f"risks[{i}].side", "an in-house risk cannot end the "
                                 "engagement (it is borne when the work stays onshore)")

    def _check_uncertain_parameters(self) -> None:
        places = [(f"workforce.{k}", getattr(self.workforce, k))
                  for k in type(self.workforce).model_fields]
        for i, c in enumerate(self.costs):
            places += [(f"costs[{i}].{k}", getattr(c, k)) for k in ("amount", "share", "growth")]
        places += [(f"controls[{i}].cost", c.cost) for i, c in enumerate(self.controls)]
        for where, d in places:
            if d is not None and (uncertain_rate(d) is not None or
                                  uncertain_size(d) is not None):
                raise FieldError(where, f"{d.describe()} has an uncertain parameter, which "
                                 "only a risk's frequency or severity may have: "
                                 + UNCERTAIN_PARAMETER_HELP)
        for i, r in enumerate(self.risks):
            if uncertain_rate(r.severity) is not None:
                raise FieldError(f"risks[{i}].severity", f"{r.severity.describe()} has an "
                                 "uncertain rate, which only a frequency may have: "
                                 + UNCERTAIN_PARAMETER_HELP)

    def _check_correlations(self) -> None:
        if not self.correlations:
            return
        inputs = self.per_trial_inputs()
        rates = {f"risks[{quote(r.name)}].frequency": r for r in self.risks}
        declared: dict[frozenset, tuple[float, str]] = {}
        for i, c in enumerate(self.correlations):
            for k, path in enumerate(c.inputs):
                where = f"correlations[{i}].inputs[{k}]"
                path = _canonical_input(path, rates)
                if path not in inputs:
                    raise FieldError(where, _not_correlatable(c.inputs[k], inputs, rates,
                                                              self.risks))
                lo, hi = inputs[path].support()
                if lo == hi:
                    raise FieldError(where, f"{path} is the constant {inputs[path].describe()}; "
                                     "only an uncertain input can be correlated")
            for a, b, rho in c.pairs():
                key = frozenset((_canonical_input(a, rates), _canonical_input(b, rates)))
                if key in declared and declared[key][0] != rho:
                    raise FieldError(f"correlations[{i}].rank", f"the pair {a} / {b} is "
                                     f"already given rank {declared[key][0]:g} in "
                                     f"{declared[key][1]}; give each pair once")
                declared[key] = (rho, f"correlations[{i}]")

    def correlation_pairs(self) -> dict[tuple[str, str], float]:
        """(path a, path b) -> rank correlation of every declared pair, paths canonical (as
        :meth:`per_trial_inputs` names them).
        """
        rates = {f"risks[{quote(r.name)}].frequency": r for r in self.risks}
        out = {}
        for c in self.correlations:
            for a, b, rho in c.pairs():
                out[(_canonical_input(a, rates), _canonical_input(b, rates))] = rho
        return out

    def _check_controls(self) -> None:
        risks = {r.name: r for r in self.risks}
        for i, c in enumerate(self.controls):
            if c.name in {x.name for x in self.costs} | set(risks) or \
                    [x.name for x in self.controls].count(c.name) > 1:
                raise FieldError(f"controls[{i}].name", f"duplicate name {c.name!r}; cost "
                                 "lines, risks and controls need unique names")
            if _can_go_below(c.cost, -1e-300):
                raise FieldError(f"controls[{i}].cost", f"must be >= 0, but {c.cost.describe()} "
                                 "can be negative")
            for j, e in enumerate(c.effects):
                where = f"controls[{i}].effects[{j}]"
                if e.risk not in risks:
                    raise FieldError(f"{where}.risk", f"no risk named {e.risk!r} (risks: "
                                     f"{', '.join(map(repr, risks)) or 'none'})")
                freq = risks[e.risk].frequency
                if e.frequency_factor != 1.0 and freq.dist not in SCALABLE_FREQUENCIES:
                    raise FieldError(f"{where}.frequency_factor", f"needs a poisson, bernoulli or "
                                     f"negative_binomial frequency; {e.risk!r} has "
                                     f"{freq.describe()}")
                if freq.dist == "bernoulli":
                    rate = uncertain_rate(freq)
                    if rate is None:
                        assert not isinstance(freq.p, Distribution)  # no rate drawn: a number
                        top = freq.p
                    else:
                        top = rate.support()[1]
                    if top * e.frequency_factor > 1:
                        raise FieldError(f"{where}.frequency_factor", f"makes the yearly "
                                         f"probability up to {top * e.frequency_factor:g}, "
                                         "above 1")
        if self.tolerance is not None:
            losses = [p.loss for p in self.tolerance.loss_exceedance]
            if losses != sorted(set(losses)):
                raise FieldError("tolerance.loss_exceedance", "points must have increasing, "
                                 "distinct losses")

    def _check_supports(self) -> None:
        wf = self.workforce
        for key in ("onshore_fte", "offshore_fte", "onshore_cost_per_fte",
                    "offshore_cost_per_fte", "ramp_up_months"):
            d: AnyDistribution = getattr(wf, key)
            if _can_go_below(d, -1e-300):
                raise FieldError(f"workforce.{key}", _negative(d, "truncate a normal with "
                                                                 "min = 0"))
        for key in ("onshore_cost_growth", "offshore_cost_growth"):
            d = getattr(wf, key)
            if _can_go_below(d, -1.0):
                raise FieldError(f"workforce.{key}", f"must be > -1 (a fall of 100% or more), "
                                 f"but {d.describe()} can reach it")
        for i, c in enumerate(self.costs):
            if c.amount is not None and _can_go_below(c.amount, -1e-300):
                raise FieldError(f"costs[{i}].amount", _negative(c.amount, "truncate it with "
                                                                 "min = 0"))
            if c.share is not None and _can_go_below(c.share, -1e-300):
                raise FieldError(f"costs[{i}].share", _negative(c.share, "a share lies in "
                                                                "[0, 1]"))
            if _can_go_below(c.growth, -1.0):
                raise FieldError(f"costs[{i}].growth", f"must be > -1 (a fall of 100% or "
                                 f"more), but {c.growth.describe()} can reach it")

    # -----------------------------------------------------------------------------------------
    # Semantic checks (issue 14): what parses but makes no sense, or cannot be run. Each raises
    # FieldError naming the full field path; warnings are collected by semantic_warnings().

    def _check_semantics(self) -> None:
        self._check_texts()
        self._check_look_alike_names()
        self._check_workforce_semantics()
        self._check_growth_and_shares()
        self._check_event_counts()
        self._check_magnitudes()

    def _check_texts(self) -> None:
        texts = [("scenario.name", self.scenario.name, False),
                 ("scenario.description", self.scenario.description, True)]
        for section in ("costs", "risks", "controls"):
            for i, item in enumerate(getattr(self, section)):
                texts += [(f"{section}[{i}].name", item.name, False),
                          (f"{section}[{i}].description", item.description, True)]
        for where, text, multiline in texts:
            problem = _text_problem(text, multiline)
            if problem:
                raise FieldError(where, problem)

    def _check_look_alike_names(self) -> None:
        seen: dict[str, tuple[str, str]] = {}
        for section in ("costs", "risks", "controls"):
            for i, item in enumerate(getattr(self, section)):
                key = _skeleton(item.name)
                if key in seen and seen[key][0] != item.name:
                    other, where = seen[key]
                    raise FieldError(f"{section}[{i}].name", f"name {item.name!r} looks the same "
                                     f"as {other!r} ({where}) but differs in look-alike "
                                     f"characters ({_unlike(item.name, other)}); names must be "
                                     "told apart by eye")
                seen.setdefault(key, (item.name, f"{section}[{i}]"))

    def _check_workforce_semantics(self) -> None:
        wf, months = self.workforce, 12 * self.scenario.horizon_years
        if wf.onshore_fte.support()[1] <= 0 and wf.offshore_fte.support()[1] <= 0:
            raise FieldError("workforce.offshore_fte", "onshore_fte and offshore_fte are both "
                             "0: there is no work to move; at least one must be positive")
        if _can_go_above(wf.ramp_up_months, months):
            raise FieldError("workforce.ramp_up_months", f"must lie within the horizon (at most "
                             f"{months} months for {self.scenario.horizon_years} years), but "
                             f"{wf.ramp_up_months.describe()} can exceed it")

    def _growth_places(self) -> list[tuple[str, Distribution]]:
        return ([(f"workforce.{k}", getattr(self.workforce, k))
                 for k in ("onshore_cost_growth", "offshore_cost_growth")]
                + [(f"costs[{i}].growth", c.growth) for i, c in enumerate(self.costs)])

    def _check_growth_and_shares(self) -> None:
        for where, d in self._growth_places():
            if _can_go_above(d, MAX_GROWTH):
                raise FieldError(where, f"a growth rate must lie in (-1, {MAX_GROWTH:g}] per "
                                 f"year (a fraction: 0.03 = 3%), but {d.describe()} can exceed "
                                 f"{MAX_GROWTH:g}; {_did_you_mean(d)}")
        for i, c in enumerate(self.costs):
            if c.share is not None and _can_go_above(c.share, 1.0):
                raise FieldError(f"costs[{i}].share", f"a share must lie in [0, 1] (a fraction "
                                 f"of {c.share_of}: 0.04 = 4%), but {c.share.describe()} can "
                                 f"exceed 1; {_did_you_mean(c.share)}")

    def _check_event_counts(self) -> None:
        horizon = self.scenario.horizon_years
        for i, r in enumerate(self.risks):
            factor = max(1.0, _frequency_factor(r.name, self.controls)) * self._raised(r.name)
            rate = uncertain_rate(r.frequency)
            # only counts have uncertain rates
            if rate is not None and typing.cast(_CountLike, r.frequency).rate_key() == "mean":
                # the exact top (scipy's extreme quantile) only where its bound is too high
                top = rate.draw_range_bounds()[1] * factor
                if not top <= MAX_RATE:
                    top = rate.draw_range()[1] * factor
                if not top <= MAX_RATE:
                    raise FieldError(f"risks[{i}].frequency.mean", f"the rate's distribution "
                                     f"{rate.describe()} reaches {top:.3g} events a year at its "
                                     f"most extreme draw; a rate must stay at most {MAX_RATE:g} "
                                     "(narrow it, or use a bounded distribution: pert, "
                                     "uniform, a normal with max)")
            years = (r.end_year or horizon) - (r.start_year or 1) + 1
            if rate is not None and \
                    _expected_bound(rate) * factor * years <= MAX_EVENTS_PER_TRIAL:
                continue
            expected = _expected_count(r.frequency) * factor * years
            if not expected <= MAX_EVENTS_PER_TRIAL:
                raise FieldError(f"risks[{i}].frequency", f"expects {expected:,.0f} events per "
                                 f"trial ({expected / years:,.4g} a year over {years} years); "
                                 f"the engine holds at most {MAX_EVENTS_PER_TRIAL:,} per risk "
                                 "and trial (each event of a 65,536-trial chunk takes 24 bytes "
                                 "of memory per thread: 1.5 GiB at the limit). Model frequent "
                                 "small losses as a yearly cost line instead")

    def _check_magnitudes(self) -> None:
        """Refuse inputs whose most extreme draws could take a trial's totals past
        MAX_TRIAL_AMOUNT, where statistics (sums of squares) and charts stop being finite.
        """
        # Bounds first (no scipy): the exact extreme quantiles only when they do not settle it.
        if sum(bound for _, _, bound in self._magnitude_terms(bounds=True)) <= MAX_TRIAL_AMOUNT:
            return
        terms = self._magnitude_terms()
        total = sum(bound for _, _, bound in terms)
        if total <= MAX_TRIAL_AMOUNT:
            return
        where, d, _ = max(terms, key=lambda t: t[2] if t[2] == t[2] else math.inf)
        top = max(abs(x) for x in d.draw_range())
        reach = "overflows" if not math.isfinite(top) else f"can draw up to {top:.3g}"
        cap = (", or cap the loss (cap_per_event, cap_per_year)"
               if where.startswith("risks") else "")
        raise FieldError(where, f"{d.describe()} {reach} at its most extreme draw, so one "
                         f"trial's totals could reach {total:.3g}: beyond the "
                         f"{MAX_TRIAL_AMOUNT:.0e} that statistics and charts hold in double "
                         f"precision. Narrow it{cap}")

    def _magnitude_terms(self, bounds: bool = False) -> list[tuple[str, Distribution, float]]:
        """(field, its distribution, bound on its contribution to a trial's total) per input;
        with ``bounds``, each no less than the exact one (from
        :meth:`~Distribution.draw_range_bounds`: every step below grows with the ends).
        """
        horizon, wf = self.scenario.horizon_years, self.workforce

        def ends(d: Distribution) -> tuple[float, float]:
            return d.draw_range_bounds() if bounds else d.draw_range()

        def top(d: Distribution) -> float:
            return max(abs(x) for x in ends(d))

        def grown(g: Distribution) -> float:
            return (1.0 + max(ends(g)[1], 0.0)) ** horizon

        terms, bills = [], 0.0
        for side in ("onshore", "offshore"):
            fte, cost = getattr(wf, f"{side}_fte"), getattr(wf, f"{side}_cost_per_fte")
            bill = top(fte) * top(cost) * grown(getattr(wf, f"{side}_cost_growth"))
            bills += bill
            key = f"{side}_fte" if top(fte) >= top(cost) else f"{side}_cost_per_fte"
            terms.append((f"workforce.{key}", getattr(wf, key), horizon * bill))
        for i, c in enumerate(self.costs):
            if c.amount is not None:
                terms.append((f"costs[{i}].amount", c.amount,
                              horizon * top(c.amount) * grown(c.growth)))
            else:
                assert c.share is not None  # validation: a cost line has an amount or a share
                terms.append((f"costs[{i}].share", c.share, horizon * top(c.share) * bills))
        terms += [(f"controls[{i}].cost", c.cost, horizon * top(c.cost))
                  for i, c in enumerate(self.controls)]
        for i, r in enumerate(self.risks):
            factor = max(1.0, _frequency_factor(r.name, self.controls)) * self._raised(r.name)
            freq = r.frequency
            events = (top(freq) * factor if not isinstance(freq, _CountLike) else
                      freq.draw_range_bounds(factor)[1] if bounds else
                      freq.draw_range(factor)[1])
            scale = max([1.0] + [e.severity_factor for c in self.controls for e in c.effects
                                 if e.risk == r.name])
            secondary = top(r.secondary.severity) if r.secondary is not None else 0.0
            loss = min((top(r.severity) + secondary) * scale, r.cap_per_event or math.inf)
            year = min(events * loss if events else 0.0, r.cap_per_year or math.inf)
            terms.append((f"risks[{i}].severity", r.severity, horizon * year))
            if r.reentry_cost is not None:  # once, in the exit year
                terms.append((f"risks[{i}].reentry_cost", r.reentry_cost, top(r.reentry_cost)))
            if r.reentry_overrun is not None:  # on the onshore bill, at most the horizon
                terms.append((f"risks[{i}].reentry_overrun", r.reentry_overrun,
                               horizon * top(r.reentry_overrun) * bills))
        return terms

    def _raised(self, name: str) -> float:
        """The most the raises into risk ``name`` can multiply its rate by (all at once)."""
        return math.prod(link.factor for r in self.risks for link in r.raises
                         if link.risk == name and link.factor > 1.0)

    def semantic_warnings(self) -> list[str]:
        """Valid but suspicious inputs, as "field path: message" (a growth above 50% a year
        is more likely a percentage written as a whole number than meant).
        """
        out = []
        for where, d in self._growth_places():
            if _can_go_above(d, GROWTH_WARNING):
                out.append(f"{where}: {d.describe()} allows growth above "
                           f"{GROWTH_WARNING:.0%} a year (a fraction: 0.03 = 3%); "
                           f"{_did_you_mean(d)}")
        for i, r in enumerate(self.risks):
            overrun = r.reentry_overrun
            if overrun is not None and _can_go_above(overrun, 1.0):
                out.append(f"risks[{i}].reentry_overrun: {overrun.describe()} allows the "
                           "onshore bill to more than double during re-entry (a fraction: "
                           f"0.25 = 25% more); {_did_you_mean(overrun)}")
        return out

    @property
    def name(self) -> str:
        """The scenario's name (``[scenario] name``)."""
        return self.scenario.name

    @property
    def source(self) -> str:
        """The file (or "<string>", "<dict>") this scenario was read from."""
        return self._source

    @property
    def sha256(self) -> str:
        """SHA-256 of the scenario file's bytes (of the canonical JSON if built in Python)."""
        return self._sha256 or hashlib.sha256(
            self.model_dump_json(by_alias=True).encode()).hexdigest()


def _canonical_input(path: str, rates: dict[str, Risk]) -> str:
    # `risks["X"].frequency` of a risk with an uncertain rate means that rate.
    risk = rates.get(path)
    if risk is not None and uncertain_rate(risk.frequency) is not None:
        return f"{path}.{typing.cast(_CountLike, risk.frequency).rate_key()}"  # a count
    return path


def _not_correlatable(path: str, inputs: dict[str, Distribution], rates: dict[str, Risk],
                      risks: list[Risk]) -> str:
    """Why ``path`` cannot be correlated, and what can."""
    base = path.removesuffix(".mean").removesuffix(".p")
    if base in rates:
        return (f"{path}: the risk's rate is a fixed number, so its count is drawn afresh each "
                "year and there is no per-trial quantity to correlate. Make the rate uncertain "
                "(frequency = { dist = \"poisson\", mean = { dist = \"lognormal\", low = ..., "
                "high = ... } }) and correlate that")
    if any(path.startswith(f"risks[{quote(r.name)}].severity") for r in risks):
        return (f"{path}: a severity is drawn for each event, not once per trial, so it cannot "
                "be correlated with per-trial inputs; correlate the risk's uncertain rate or "
                "a cost line instead")
    close = difflib.get_close_matches(path, list(inputs), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else ""
    return (f"no input {path}{hint} (inputs drawn once per trial: "
            f"{', '.join(inputs)})")


#: Semantic limits (issue 14); each error message says the limit and why.
MAX_GROWTH = 1.0  #: a yearly growth above 100% is a percentage written as a whole number
GROWTH_WARNING = 0.5  #: a yearly growth above 50% is valid but warned about
MAX_RATE = 1e6  #: events a year, as a poisson or negative_binomial mean is bounded
MAX_EVENTS_PER_TRIAL = 1000  #: expected events of one risk per trial: chunk memory
MAX_TRIAL_AMOUNT = 1e30  #: bound on a trial's totals: statistics and charts stay finite
MAX_NESTING = 20  #: arrays and tables nested deeper than this are refused before parsing
INT64 = (-2 ** 63, 2 ** 63 - 1)
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                           "\u2066\u2067\u2068\u2069")


def _negative(d: AnyDistribution, hint: str) -> str:
    """'must be >= 0 (got -10)' for a constant, else saying the distribution can go there."""
    if d.dist == "constant":
        return f"must be >= 0 (got {d.describe()})"
    return f"must be >= 0, but {d.describe()} can be negative ({hint})"


def _can_go_above(d: Distribution, x: float) -> bool:
    """Whether P(d > x) = 1 - cdf(x) > NEGLIGIBLE, as :func:`_can_go_below` decides it
    (1 - c, rounded, only grows as c falls).
    """
    if d.support()[1] <= x:
        return False
    bounds = d.cdf_bounds(x)
    if bounds is not None and (1.0 - bounds[0] <= NEGLIGIBLE or 1.0 - bounds[1] > NEGLIGIBLE):
        return 1.0 - bounds[1] > NEGLIGIBLE
    return 1.0 - float(d.cdf(x)) > NEGLIGIBLE


def _did_you_mean(d: Distribution) -> str:
    """'did you mean 0.03?' for a value written as a percentage."""
    typical = float(d.quantile(0.5))
    return f"did you mean {typical / 100:.4g}?" if typical > 1 else \
        "check the value (a fraction: 0.04 = 4%)"


def _expected_count(freq: Distribution) -> float:
    """A frequency's mean from its closed-form quantiles (midpoint rule over 4096 levels; for
    a count with an uncertain rate, over the rate's): close enough for a limit, and without
    scipy.stats, which validation must not import (0.6 s of every run's start-up).
    """
    levels = (np.arange(4096) + 0.5) / 4096
    if isinstance(freq, _CountLike):
        rate = freq.rate_distribution()
        if rate is None:
            return float(getattr(freq, freq.RATE_FIELD))
        freq = rate
    with np.errstate(all="ignore"):
        return float(np.mean(freq.quantile(levels)))


def _expected_bound(rate: Distribution) -> float:
    """A bound on :func:`_expected_count` of a count whose rate has distribution ``rate``
    (not negative): the average of its quantiles at 4096 levels is at most the quantile at
    the top level, below the top of :meth:`~Distribution.draw_range_bounds` (with room for
    rounding). Without scipy where the bounds need none.
    """
    return rate.draw_range_bounds()[1] * (1.0 + 1e-6)


def _frequency_factor(risk: str, controls: list[Control]) -> float:
    """The product of the controls' frequency factors on a risk."""
    return math.prod(e.frequency_factor for c in controls for e in c.effects if e.risk == risk)


def _text_problem(text: str, multiline: bool) -> str | None:
    """Why a name (one line) or a description (free text) cannot be used, or None."""
    import unicodedata

    if not multiline and not text.strip():
        return "must not be blank"
    for ch in text:
        if multiline and ch in "\t\n\r":
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs") or ch in _BIDI_CONTROLS or (not multiline and
                                                                  category == "Cf"):
            name = unicodedata.name(ch, "a control character")
            allowed = ("text, tabs and line breaks" if multiline else
                       "one line of visible text")
            return (f"contains U+{ord(ch):04X} ({name}), which is not allowed here "
                    f"(allowed: {allowed})")
    return None


def _skeleton(name: str) -> str:
    """What a name looks like: NFKC-normalised, letters from other scripts that look like
    Latin ones replaced by them (Unicode confusables, via confusable_homoglyphs).
    """
    import unicodedata

    text = unicodedata.normalize("NFKC", name)
    if text.isascii():
        return text
    from confusable_homoglyphs import confusables

    out = []
    for ch in text:
        found = None if ch.isascii() else confusables.is_confusable(
            ch, greedy=True, preferred_aliases=["latin", "common"])
        out.append(found[0]["homoglyphs"][0]["c"] if found else ch)
    return "".join(out)


def _unlike(a: str, b: str) -> str:
    """The characters of ``a`` that differ from ``b``'s, named."""
    import unicodedata

    diff = [c for c in dict.fromkeys(a) if c not in b] or [c for c in dict.fromkeys(b)
                                                          if c not in a]
    return ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, '?')}" for c in diff[:3])


def _document_problems(doc: Any, text: str | None) -> list[Problem]:
    """Numbers a run cannot use (inf, nan, integers beyond int64) and nesting deeper than
    MAX_NESTING, found by an iterative walk (a recursive one could itself overflow).
    """
    problems = []
    stack: list[tuple[Any, tuple]] = [(doc, ())]
    while stack:
        obj, loc = stack.pop()
        if len(loc) > MAX_NESTING:
            return [Problem(_path_str(loc[:3]) + "...", f"nested more than {MAX_NESTING} "
                            "levels deep; a scenario needs a few (the limit keeps validation "
                            "from exhausting the stack)", _line_of(text, loc[:3]))]
        if isinstance(obj, float) and not math.isfinite(obj):
            problems.append(Problem(_path_str(loc), "must be a finite number (inf and nan are "
                                    "not allowed)", _line_of(text, loc)))
        elif isinstance(obj, int) and not isinstance(obj, bool) and \
                not INT64[0] <= obj <= INT64[1]:
            problems.append(Problem(_path_str(loc), f"{obj:.3g} is beyond the range of a "
                                    "64-bit integer (about +-9.2e18), which is all a scenario "
                                    "may hold", _line_of(text, loc)))
        elif isinstance(obj, dict):
            stack.extend((v, loc + (k,)) for k, v in reversed(list(obj.items())))
        elif isinstance(obj, list):
            stack.extend((v, loc + (i,)) for i, v in reversed(list(enumerate(obj))))
    return problems


def _key_at_line(text: str, line: int) -> str:
    """The dotted path of the key set on ``line`` (1-based) of TOML text, from the last table
    header above it: ``scenario.horizon_years``, ``risks[1].severity``; "" if none.
    """
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return ""
    m = re.match(r'\s*([A-Za-z0-9_\-."]+?)\s*=', lines[line - 1])
    key = m.group(1).replace('"', "") if m else ""
    counts: dict[str, int] = {}
    header = ""
    for text_line in lines[:line]:
        h = re.match(r"\s*(\[\[?)\s*([A-Za-z0-9_\-.]+)\s*\]", text_line)
        if h:
            name = h.group(2)
            if h.group(1) == "[[":
                counts[name] = counts.get(name, -1) + 1
                header = f"{name}[{counts[name]}]"
            else:
                header = name
    if not key:
        return header
    return f"{header}.{key}" if header else key


def _deepest_nesting(text: str) -> tuple[int, int]:
    """(deepest nesting of arrays and inline tables, its line) in TOML text, skipping
    strings and comments: checked before parsing, which recurses once per level.
    """
    depth = best = 0
    line = best_line = 1
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\n":
            line += 1
        elif ch == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        elif ch in "\"'":
            quote3 = text[i:i + 3]
            if quote3 in ('"""', "'''"):
                j = text.find(quote3, i + 3)
                j = n if j < 0 else j + 3
            else:
                j = i + 1
                while j < n and text[j] != ch and text[j] != "\n":
                    j += 2 if ch == '"' and text[j] == "\\" else 1
                j += 1
            line += text.count("\n", i, min(j, n))
            i = j
            continue
        elif ch in "[{":
            depth += 1
            if depth > best:
                best, best_line = depth, line
        elif ch in "]}":
            depth = max(depth - 1, 0)
        i += 1
    return best, best_line


# ---------------------------------------------------------------------------------------------
# Loading and error reporting


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario: where (field path, maybe line) and what."""

    path: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = [] if self.line is None else [f"line {self.line}"]
        if self.column is not None:
            where[-1] += f", column {self.column}"
        if self.path:
            where.append(self.path)
        return ": ".join([*where, self.message])


class ScenarioError(ValueError):
    """A scenario (file, dict or distribution) that cannot be used: the one error class of the
    Python API for bad input. ``problems`` lists every issue found; ``path`` (the file, or
    "<string>", "<dict>", "<distribution>"), ``line`` and ``field`` locate the first.
    """

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(self.format())

    @property
    def path(self) -> str:
        """The file, or "<string>", "<dict>", "<distribution>" (same as ``source``)."""
        return self.source

    @property
    def line(self) -> int | None:
        """The first problem's line in the file, if known."""
        return self.problems[0].line if self.problems else None

    @property
    def field(self) -> str:
        """The first problem's field path ("" if none)."""
        return self.problems[0].path if self.problems else ""

    def format(self) -> str:
        """Every problem on its own line, each prefixed with the source."""
        lines = [f"{self.source}: {p}" for p in self.problems]
        return "\n".join(lines)

    def one_line(self, most: int = 4) -> str:
        """Every problem (the first ``most``, and how many more) on one line, the ones with a
        line number first.
        """
        problems = sorted(self.problems, key=lambda p: p.line is None)
        text = "; also ".join(str(p) for p in problems[:most])
        more = len(problems) - most
        return f"{self.source}: {text}" + (f" (and {more} more)" if more > 0 else "")


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file.

    Parameters
    ----------
    path : str or Path
        A TOML scenario file (docs/scenario-format.md); at most 50 MB, a regular file.

    Returns
    -------
    Scenario
        The validated model, with its source path and the SHA-256 of the file's bytes.

    Raises
    ------
    ScenarioError
        On any problem: every one found, each with its line and field path.
    """
    path = Path(path)
    src = str(path)
    try:
        raw = read_regular_file(path, MAX_FILE_BYTES, "a scenario file (.toml)")
    except InputFileError as e:
        raise ScenarioError(src, [Problem("", str(e))]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise ScenarioError(src, [Problem("", "not UTF-8 text (TOML files must be UTF-8)",
                                          line)]) from None
    return parse_scenario(text, source=src, sha256=hashlib.sha256(raw).hexdigest())


MAX_FILE_BYTES = 50_000_000
"""Largest scenario file read: a scenario is small text (the limit bounds memory and time)."""


class InputFileError(OSError):
    """An input path that is not a readable regular file of a sane size; the message says why."""


def read_regular_file(path: Path, limit: int, what: str) -> bytes:
    """The bytes of ``path``, refusing what is not a regular file (a FIFO or a device would be
    read forever or block: it is opened without blocking and checked before reading) and
    anything larger than ``limit`` bytes. Raises :class:`InputFileError` saying why.
    """
    import os
    import stat

    if not os.path.lexists(path):
        raise InputFileError("no such file")
    if os.path.isdir(path):
        raise InputFileError(f"is a directory, not {what}")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        raise InputFileError(f"cannot read: {e.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(mode) else
                    "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else
                    "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
            raise InputFileError(f"is {kind}, not {what}; give a regular file")
        try:
            raw = f.read(limit + 1)
        except OSError as e:
            raise InputFileError(f"cannot read: {e.strerror}") from None
    if len(raw) > limit:
        raise InputFileError(f"larger than {limit / 1e6:g} MB, the most read (it bounds memory "
                             f"and time); {what} is small text")
    return raw


def parse_scenario(text: str, source: str = "<string>", sha256: str | None = None) -> Scenario:
    """Validate a scenario given as TOML text.

    Parameters
    ----------
    text : str
        The scenario as a file would hold it.
    source : str
        What error messages call it (a file name, or ``"<string>"``).
    sha256 : str, optional
        The hash to record in the results' provenance; default: that of ``text``.

    Returns
    -------
    Scenario
        The validated model, with the first option of each ``[[choices]]`` applied.

    Raises
    ------
    ScenarioError
        On any problem, each with its line and field path.
    """
    depth, line = _deepest_nesting(text)
    if depth > MAX_NESTING:
        raise ScenarioError(source, [Problem(_key_at_line(text, line), f"arrays or inline "
                                             f"tables nested {depth} "
                                             f"levels deep; at most {MAX_NESTING} are allowed "
                                             "(a scenario needs a few; the limit keeps parsing "
                                             "from exhausting the stack)", line)])
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        # tomllib puts the position in the message: "Invalid value (at line 4, column 17)".
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
        what = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(e))
        if m:
            problem = Problem(_key_at_line(text, int(m.group(1))),
                              f"TOML syntax error: {what.lower()}", int(m.group(1)),
                              int(m.group(2)))
        else:
            problem = Problem("", f"TOML syntax error: {what.lower()} (at end of file)")
        raise ScenarioError(source, [problem]) from None
    return scenario_from_dict(first_options(doc), source=source,
                              sha256=sha256 or hashlib.sha256(text.encode()).hexdigest(),
                              text=text)


def scenario_from_dict(doc: dict[str, Any], source: str = "<dict>", sha256: str = "",
                       text: str | None = None) -> Scenario:
    """Validate a scenario given as a (TOML-shaped) dict.

    Parameters
    ----------
    doc : dict
        Keys and tables as in the file format (``{"scenario": {...}, "workforce": {...},
        "risks": [...]}``); money in the scenario's currency.
    source : str
        What error messages call it.
    sha256 : str
        The hash to record in the results' provenance (empty: none).
    text : str, optional
        The TOML text ``doc`` was read from, so that problems carry line numbers.

    Returns
    -------
    Scenario
        The validated model.

    Raises
    ------
    ScenarioError
        On any problem, each with its field path.
    """
    problems = _document_problems(doc, text)
    if problems:
        raise ScenarioError(source, problems)
    try:
        scenario = Scenario.model_validate(doc)
    except ValidationError as e:
        problems = [_problem(err, text) for err in e.errors()]
        raise ScenarioError(source, _dedupe(problems)) from None
    scenario._source = source
    scenario._sha256 = sha256
    return scenario


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen, out = set(), []
    for p in problems:
        if (p.path, p.message) not in seen:
            seen.add((p.path, p.message))
            out.append(p)
    return out


def _clean_loc(loc: tuple) -> tuple:
    # pydantic puts the union member (the distribution family) into the location; a user
    # thinks of `risks[0].severity.high`, not `risks[0].severity.lognormal.high`.
    return tuple(x for x in loc if not (isinstance(x, str) and (
        x in FAMILIES or x in ("rate_number", "rate_distribution"))))


def _path_str(loc: tuple) -> str:
    out = ""
    for x in loc:
        if isinstance(x, int):
            out += f"[{x}]"
        else:
            out += ("." if out else "") + str(x)
    return out


def _problem(err: ErrorDetails, text: str | None) -> Problem:
    raw_loc = tuple(err["loc"])
    loc = _clean_loc(raw_loc)
    kind = err["type"]
    msg = err["msg"]
    exc = (err.get("ctx") or {}).get("error")
    if isinstance(exc, FieldError):
        field = exc.field
        # A scenario-level check names a full path; a model-level check names a key in it.
        loc = loc + tuple(_parse_path(field))
        msg = str(exc)
    elif kind == "extra_forbidden":
        family = next((x for x in reversed(raw_loc) if isinstance(x, str) and x in FAMILIES),
                      None)
        allowed = ([f.alias or k for k, f in FAMILIES[family].model_fields.items() if k != "dist"]
                   if family else _allowed_keys(loc[:-1]))
        msg = f"unknown key {loc[-1]!r}"
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        if close:
            msg += f"; did you mean {close[0]!r}?"
        if allowed:
            msg += f" (allowed: {', '.join(allowed)})"
    elif kind == "too_long" and len(loc) == 1 and loc[0] in _LIST_LIMIT_REASONS:
        msg = _too_long_message(str(loc[0]), err)
    elif kind == "missing":
        msg = "missing required key"
    elif kind == "union_tag_not_found":
        msg = ("a distribution needs a dist key, e.g. { dist = \"pert\", min = 1, mode = 2, "
               "max = 4 }, or a bare number (allowed dist: " + ", ".join(FAMILIES) + ")")
    elif kind == "union_tag_invalid":
        tag = err["ctx"]["tag"]
        # A nested union (an uncertain rate, a mixture's components) allows fewer families.
        allowed = re.findall(r"'([^']*)'", err["ctx"].get("expected_tags", "")) or list(FAMILIES)
        if tag in FAMILIES:
            msg = f"distribution {tag!r} is not allowed here"
        else:
            close = difflib.get_close_matches(str(tag), allowed, n=1, cutoff=0.6)
            msg = f"unknown distribution {tag!r}" + (f"; did you mean {close[0]!r}?" if close
                                                       else "")
        msg += " (allowed: " + ", ".join(allowed) + ")"
    elif kind == "model_attributes_type" and _field_is_distribution(loc):
        msg = ("must be a number or a distribution table such as { dist = \"uniform\", "
               f"min = 1, max = 2 }} (got {_type_name(err['input'])})")
    elif kind == "model_type" or kind == "model_attributes_type":
        msg = f"must be a table (got {_type_name(err['input'])})"
    elif kind in ("float_type", "int_type") and isinstance(err["input"], dict) and \
            "dist" in err["input"]:
        msg = "must be a number here: " + UNCERTAIN_PARAMETER_HELP
    elif kind.endswith("_type") or kind in ("literal_error", "enum"):
        msg = f"{msg} (got {_type_name(err['input'])} {err['input']!r})" if not isinstance(
            err["input"], dict | list) else f"{msg} (got {_type_name(err['input'])})"
    else:
        msg = msg.removeprefix("Value error, ")
    msg = msg[0].lower() + msg[1:] if msg and msg[:2] != "TO" else msg
    return Problem(_path_str(loc), msg, _line_of(text, loc))


_LIST_LIMIT_REASONS = {
    "costs": "each cost line takes a row of working memory per thread (0.5 MiB per chunk of "
             "65,536 trials) and 8 bytes per kept trial",
    "risks": "each risk takes a row of working memory per thread (0.5 MiB per chunk of 65,536 "
             "trials) and 8 bytes per kept trial, and is simulated event by event",
    "controls": "each control is one more run of the whole scenario to measure its return",
    "correlations": "the copula's matrix grows with the square of the correlated inputs",
}


def _too_long_message(section: str, err: ErrorDetails) -> str:
    """Too many entries of a top-level list: the limit, and why there is one."""
    limit = (err.get("ctx") or {}).get("max_length")
    got = len(err["input"]) if isinstance(err.get("input"), list) else None
    return (f"at most {limit:,} [[{section}]] entries (got {got:,}): "
            f"{_LIST_LIMIT_REASONS[section]}; merge small ones or split the scenario")


def _type_name(v: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "an array", dict: "a table"}.get(type(v), type(v).__name__)


def _parse_path(path: str) -> typing.Iterator[str | int]:
    for part in path.split("."):
        head, *indices = part.split("[")
        yield head
        for idx in indices:
            yield int(idx.rstrip("]"))


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The pydantic model class found by following ``loc`` from :class:`Scenario`."""
    model: Any = Scenario
    for x in loc:
        if isinstance(x, int):
            continue
        if model is None or not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = model.model_fields.get(x)
        if field is None:
            return None
        model = _unwrap_model(field.annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _unwrap_model(tp: Any) -> Any:
    for arg in (tp, *typing.get_args(tp)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
        if typing.get_origin(arg) is list:
            return _unwrap_model(typing.get_args(arg)[0])
    return None


def _field_is_distribution(loc: tuple) -> bool:
    parent = _model_at(loc[:-1]) if loc else None
    if parent is None or not loc:
        return False
    field = parent.model_fields.get(str(loc[-1]))
    return field is not None and "discriminator" in repr(field)


def _allowed_keys(loc: tuple) -> list[str]:
    model = _model_at(loc)
    if model is None:
        return []
    if model is Scenario:
        return [f.alias or k for k, f in Scenario.model_fields.items()]
    if _field_is_distribution(loc):
        return []
    keys = [f.alias or k for k, f in model.model_fields.items()]
    return [k for k in keys if k != "dist"]


def _line_of(text: str | None, loc: tuple) -> int | None:
    """Best-effort line of the key at ``loc`` in the TOML text (None if not found)."""
    if not text or not loc:
        return None
    lines = text.splitlines()
    # Walk to the table that holds the key: [section] or the n-th [[section]].
    start = 0
    first = loc[0]
    if isinstance(first, str):
        if len(loc) > 1 and isinstance(loc[1], int):
            header, nth = f"[[{first}]]", loc[1]
            rest = loc[2:]
        else:
            header, nth, rest = f"[{first}]", 0, loc[1:]
        seen = -1
        for i, line in enumerate(lines):
            if line.strip().startswith(header):
                seen += 1
                if seen == nth:
                    start = i
                    break
        else:
            return _top_level_line(lines, first) if len(loc) == 1 else None
    else:
        rest = loc
    keys = [x for x in rest if isinstance(x, str)]
    if not keys:
        return start + 1 if isinstance(first, str) else None
    key = keys[0]
    for i in range(start + 1, len(lines)):
        stripped = lines[i].strip()
        if stripped.startswith("["):
            break
        for written in (key, f'"{key}"', f"'{key}'"):  # bare or quoted
            if stripped.startswith(written) and stripped[len(written):].lstrip().startswith("="):
                return i + 1
    # A missing key: point at its table's header.
    return start + 1 if isinstance(first, str) and lines[start].strip().startswith("[") else None


def _top_level_line(lines: list[str], key: str) -> int | None:
    """Line of a top-level key however written: ``key = ...``, ``[key]``, ``[[key]]`` or
    ``[key.sub]`` (an unknown section, such as a ``[[risk]]`` typo, has no other line).
    """
    pattern = re.compile(r"^\s*(\[\[?\s*" + re.escape(key) + r"\s*[\].]|"
                         + re.escape(key) + r"\s*=)")
    for i, line in enumerate(lines):
        if pattern.match(line):
            return i + 1
    return None


def parse_distribution(value: Any, source: str = "<distribution>") -> Distribution:
    """Validate one distribution given as a dict or a number (for use from Python).

    Parameters
    ----------
    value : dict or float
        As a scenario file writes it: ``{"dist": "pert", "min": 1, "mode": 2, "max": 5}``, or
        a bare number (a constant).
    source : str
        What the error message calls it.

    Returns
    -------
    Distribution
        The family's object: ``sample``, ``mean``, ``quantile``, ``cdf``, ``scipy()``.

    Raises
    ------
    ScenarioError
        As a scenario file with the same distribution would (``source`` names it).
    """
    problems = _document_problems(value, None)  # inf, nan, beyond int64, too deep
    if problems:
        raise ScenarioError(source, problems)
    try:
        return TypeAdapter(AnyDistribution).validate_python(value)
    except ValidationError as e:
        raise ScenarioError(source, _dedupe([_problem(err, None) for err in e.errors()])) \
            from None
