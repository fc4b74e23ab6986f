"""A validated scenario compiled to the plain arrays the engine's kernels evaluate.

Everything scenario-specific is decided here, once, before any trial runs: which inputs are
uncertain, their distribution codes and parameters, the discount factors, which input feeds
which cost line. The kernels then see only arrays, so a new scenario never triggers a compile.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from simulator import codes as K  # the kernels' plain-array contract, without numba
from simulator.distributions.base import DataBuilder, Distribution
from simulator.distributions.continuous import Constant
from simulator.distributions.counts import Bernoulli, NegativeBinomial
from simulator.distributions.registry import uncertain_rate, uncertain_size
from simulator.scenario import dependence
from simulator.scenario.model import REENTRY_KEYS, Control, Risk, Scenario, quote

if TYPE_CHECKING:
    from simulator.distributions.counts import Poisson
    from simulator.distributions.scaled import Gamma, Lognormal

COST_AMOUNT, COST_SHARE_OFFSHORE, COST_SHARE_ONSHORE, COST_SHARE_GROSS = 0, 1, 2, 3
_SHARE_KIND = {"offshore_cost": COST_SHARE_OFFSHORE, "onshore_cost": COST_SHARE_ONSHORE,
               "gross_savings": COST_SHARE_GROSS}
_WORKFORCE_KEYS = ("onshore_fte", "onshore_cost_per_fte", "offshore_fte", "offshore_cost_per_fte",
                   "onshore_cost_growth", "offshore_cost_growth", "ramp_up_months")
_TIMING_OFFSET = {"start": 0.0, "mid": 0.5, "end": 1.0}


def stream_key(name: str) -> int:
    """Stable 32-bit key of an input's name; with the seed and chunk index it picks the input's
    random stream, so an input with the same name draws the same numbers in any scenario.
    """
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest(), "little")


@dataclass(frozen=True)
class Engagement:
    """Plain-array form of the model-0.2 terms of a scenario with R risks, C cost lines
    (controls included), L recovery layers and K raise links. Component rows are counted from
    the first component row (cost lines, then risks, then ``extra_names``).
    """

    inhouse: np.ndarray  #: (R,) bool: side = "in_house"
    ends: np.ndarray  #: (R,) bool: ends_engagement
    timing: np.ndarray  #: (R,) int64 K.TIMING_* of an ending risk
    exit_keys: np.ndarray  #: (R,) uint32 stream keys of a uniform exit time
    reentry: np.ndarray  #: (R, 3) int64 input index of reentry cost, months, overrun
    reentry_row: np.ndarray  #: (R,) int64 component row of its re-entry, -1 if none
    recovery_row: np.ndarray  #: (R,) int64 component row of its recoveries, -1 if none
    layer_start: np.ndarray  #: (R + 1,) int64 offsets of each risk's recovery layers
    layer_per: np.ndarray  #: (L,) int64 K.RECOVER_EVENT or K.RECOVER_YEAR
    layer_deductible: np.ndarray  #: (L,) in the risk's currency
    layer_share: np.ndarray  #: (L,)
    layer_limit: np.ndarray  #: (L,) in the risk's currency, inf where none
    secondary_prob: np.ndarray  #: (R,) 0 where none
    secondary_code: np.ndarray  #: (R,) int64
    secondary_params: np.ndarray  #: (R, 8)
    secondary_keys: np.ndarray  #: (R, 2) uint32 streams of occurrence and severity
    base_rate: np.ndarray  #: (R,) a fixed rate (mean or p, after controls) to raise
    raise_source: np.ndarray  #: (K,) int64 risk whose events raise
    raise_target: np.ndarray  #: (K,) int64 risk raised
    raise_factor: np.ndarray  #: (K,)
    raise_years: np.ndarray  #: (K,) int64
    cost_stops: np.ndarray  #: (C,) bool: the line stops at an exit
    cost_fx: np.ndarray  #: (C,) bool: the line's amount is in the [fx] currency
    risk_fx: np.ndarray  #: (R,) bool: the risk's amounts are in the [fx] currency
    fx_rate: float  #: units of the [fx] currency per scenario unit at the start; 0: no [fx]
    fx_volatility: float
    fx_drift: float
    fx_share: float  #: share of the provider charge repriced in the [fx] currency
    fx_key: int  #: stream key of the exchange-rate path
    time_offset: float  #: cash-flow timing offset (0, 0.5, 1) of each year's flows
    extra_names: tuple[str, ...]  #: the model-0.2 component rows after the risks
    extra_categories: tuple[str, ...]
    lost_row: int  #: component row of "Savings lost to early exit", -1 if no ending risk
    risk_total_rows: np.ndarray  #: component rows of the total risk-event loss

    @property
    def has_exit(self) -> bool:
        """Whether any risk can end the engagement."""
        return bool(self.ends.any())


LOST_TO_EXIT = "Savings lost to early exit"
# Result groups of the model-0.2 rows (categories of components, not of scenario lines).
LOST_CATEGORY = "savings_lost_to_early_exit"
RECOVERIES = "recoveries"
IN_HOUSE = "in-house_risks_avoided"


@dataclass(frozen=True)
class CompiledModel:
    """Plain-array form of a scenario. Shapes: I inputs, C cost lines, R risks, H years."""

    horizon: int
    discount: np.ndarray  #: (H,) discount factor of each year's cash flows
    input_names: tuple[str, ...]  #: (I,) parameter paths, e.g. 'workforce.ramp_up_months'
    input_dists: tuple[Distribution, ...]  #: (I,) the validated distributions
    input_codes: np.ndarray  #: (I,) int64 kernel codes
    input_params: np.ndarray  #: (I, 8) float64 kernel parameters
    input_keys: np.ndarray  #: (I,) uint32 stream keys
    data: np.ndarray  #: flat float64 tables referred to by input and risk parameters
    workforce: np.ndarray  #: (7,) int64 input index of each workforce level
    cost_names: tuple[str, ...]
    cost_categories: tuple[str, ...]
    cost_kind: np.ndarray  #: (C,) int64, COST_* constants
    cost_input: np.ndarray  #: (C,) int64 input index of the amount or share
    cost_growth: np.ndarray  #: (C,) int64 input index of the yearly growth
    cost_first: np.ndarray  #: (C,) int64 first year, 0-based
    cost_last: np.ndarray  #: (C,) int64 last year, 0-based, inclusive
    risk_names: tuple[str, ...]
    risk_categories: tuple[str, ...]
    risk_freq_code: np.ndarray  #: (R,) int64
    risk_freq_params: np.ndarray  #: (R, 8)
    risk_sev_code: np.ndarray  #: (R,) int64
    risk_sev_params: np.ndarray  #: (R, 8)
    risk_cap_event: np.ndarray  #: (R,) currency, inf where uncapped
    risk_sev_scale: np.ndarray  #: (R,) factor on every loss per event (from controls)
    risk_cap_year: np.ndarray  #: (R,) currency, inf where uncapped
    risk_first: np.ndarray  #: (R,) int64 first live year, 0-based
    risk_last: np.ndarray  #: (R,) int64 last live year, 0-based, inclusive
    risk_freq_keys: np.ndarray  #: (R,) uint32 stream keys of the counts
    risk_sev_keys: np.ndarray  #: (R,) uint32 stream keys of the second and later severities
    risk_first_keys: np.ndarray  #: (R,) uint32 stream keys of each (year, trial)'s first severity
    risk_rate_input: np.ndarray  #: (R,) int64 input index of an uncertain rate, -1 if fixed
    risk_rate_family: np.ndarray  #: (R,) int64 K.RATE_* family of an uncertain rate
    risk_rate_factor: np.ndarray  #: (R,) controls' factor on an uncertain rate
    risk_rate_dispersion: np.ndarray  #: (R,) negative binomial r of an uncertain mean
    risk_size_input: np.ndarray  #: (R,) int64 input index of an uncertain severity size, -1
    risk_size_log: np.ndarray  #: (R,) bool: the size factor is exp(input) (lognormal mu)
    copula_inputs: np.ndarray  #: (D,) int64 input indices of the correlated inputs
    copula_factor: np.ndarray  #: (D, D) square root of their normal-space correlation
    copula_rank: np.ndarray  #: (D, D) the rank correlations the run uses
    warnings: tuple[str, ...] = ()  #: valid but extreme parameters, "path: message"
    # Model 0.2 (docs/model.md, "The deal as it unfolds"); all unused when ``engaged`` is
    # False, and the run then takes exactly the kernels of the plain model.
    engaged: bool = False  #: the scenario uses exit, raises, recoveries, sides, secondary or fx
    engagement: Engagement | None = None  #: the arrays of those terms, when engaged

    @property
    def risk_labels(self) -> tuple[str, ...]:
        """Each risk's component name: its own, or ``avoided: <name>`` for an in-house risk."""
        if self.engagement is None:
            return self.risk_names
        return tuple(f"avoided: {n}" if h else n
                     for n, h in zip(self.risk_names, self.engagement.inhouse, strict=False))

    @property
    def component_names(self) -> tuple[str, ...]:
        """Cost lines, risks, then the model-0.2 rows (recoveries, re-entry, savings lost to
        early exit): the rows of a result's component totals.
        """
        extra = self.engagement.extra_names if self.engagement is not None else ()
        return self.cost_names + self.risk_labels + extra

    @property
    def component_categories(self) -> tuple[str, ...]:
        """Each component's group in results and the waterfall; an in-house risk's saving is
        grouped as ``in-house_risks_avoided`` whatever the risk's own category.
        """
        if self.engagement is None:
            return self.cost_categories + self.risk_categories
        risks = tuple(IN_HOUSE if h else c
                      for c, h in zip(self.risk_categories, self.engagement.inhouse, strict=False))
        return self.cost_categories + risks + self.engagement.extra_categories

    @property
    def risk_total_rows(self) -> np.ndarray:
        """Component rows (counted from the first component) that add up to the total
        risk-event loss: provider-side risks and their recoveries.
        """
        if self.engagement is not None:
            return self.engagement.risk_total_rows
        n_costs = len(self.cost_names)
        return np.arange(n_costs, n_costs + len(self.risk_names), dtype=np.int64)

    @property
    def provider_risks(self) -> tuple[int, ...]:
        """Indices of the provider-side risks (those in the total risk-event loss)."""
        if self.engagement is None:
            return tuple(range(len(self.risk_names)))
        return tuple(int(r) for r in np.flatnonzero(~self.engagement.inhouse))

    @property
    def random_inputs(self) -> np.ndarray:
        """Indices of inputs that need random draws (not constants)."""
        return np.flatnonzero(self.input_codes != K.CONSTANT)

    @property
    def constant_wages(self) -> bool:
        """Whether every workforce input and every cost line's input and growth is a
        constant, so that every trial's wage savings and costs are the same numbers.
        """
        used = np.concatenate([self.workforce, self.cost_input, self.cost_growth])
        return bool(np.all(self.input_codes[used] == K.CONSTANT))


def cap_removed_share(severity: Distribution, cap: float) -> float:
    """Share of a severity's mean that a per-event cap removes: 1 - E[min(S, cap)] / E[S],
    both as integrals of the quantile function, E[g(S)] = int_0^1 g(F^-1(u)) du: trapezoids
    on 10,000 cells of [0, 0.99] and on 2,000 log-spaced cells of the last 1% down to 1e-15
    (where a heavy tail keeps much of its mean). From the family's closed-form quantile, so
    compiling a scenario still needs no scipy.stats.
    """
    u = _cap_levels()
    return _removed_share(np.asarray(severity.quantile(u), dtype=np.float64), u, cap)


def _cap_levels() -> np.ndarray:
    body = np.linspace(0.0, 0.99, 10_001)
    tail = 1.0 - np.logspace(-2, -15, 2_001)
    return np.concatenate([body, tail[1:]])


def _removed_share(x: np.ndarray, u: np.ndarray, cap: float) -> float:
    """:func:`cap_removed_share` from the quantiles ``x`` at levels ``u``."""
    x = np.nan_to_num(x, posinf=0.0)
    mean = float(np.trapezoid(x, u))
    capped = float(np.trapezoid(np.minimum(x, cap), u))
    return max(0.0, 1.0 - capped / mean) if mean > 0 else 0.0


def cap_warning_share(severity: Distribution, cap: float) -> str | None:
    """The share of the mean loss per event a cap removes as its warning prints it ("74%"),
    or None when it removes at most half (no warning): as :func:`cap_removed_share` gives
    it, from the family's scipy-free quantiles (:meth:`~Distribution.quantile_near`) where
    their error bound settles both, else from :func:`cap_removed_share` itself.
    """
    u = _cap_levels()
    near = severity.quantile_near(u)
    if near is not None and np.all(np.isfinite(near[0])) and near[0].max() < 1e300:
        # Each quantile within a share rel of the exact one, so the two trapezoid sums of
        # positive terms are within rel (and their own rounding, under 1e-12 over 12,000
        # terms), and 1 - capped / mean within twice that.
        share = _removed_share(near[0], u, cap)
        err = 4.0 * (near[1] + 1e-12) + 1e-15
        if share + err <= 0.5:
            return None
        if share - err > 0.5 and f"{share - err:.0%}" == f"{share + err:.0%}":
            return f"{share - err:.0%}"
    removed = cap_removed_share(severity, cap)
    return f"{removed:.0%}" if removed > 0.5 else None


def rate_factor(r: Risk, controls: list[Control]) -> float:
    """The product of the controls' frequency factors on a risk."""
    f = 1.0
    for c in controls:
        for e in c.effects:
            if e.risk == r.name:
                f *= e.frequency_factor
    return f


def controlled_risk(r: Risk, controls: list[Control]) -> tuple[Distribution, float, float]:
    """A risk as its controls leave it: frequency with the rate scaled, severity factor, and
    the per-event cap (inf where none). An uncertain rate is returned unscaled: the engine
    scales each trial's rate by :func:`rate_factor`.
    """
    freq_factor, scale = 1.0, 1.0
    cap = np.inf if r.cap_per_event is None else r.cap_per_event
    for c in controls:
        for e in c.effects:
            if e.risk == r.name:
                freq_factor *= e.frequency_factor
                scale *= e.severity_factor
                if e.cap_per_event is not None:
                    cap = min(cap, e.cap_per_event)
    frequency = r.frequency
    if freq_factor != 1.0 and uncertain_rate(frequency) is None:
        # Validation has checked the family can be scaled (poisson, bernoulli, neg. binomial).
        if frequency.dist == "bernoulli":
            assert not isinstance(frequency.p, Distribution)  # no rate drawn: a number
            frequency = frequency.model_copy(update={"p": frequency.p * freq_factor})
        else:
            scalable = cast("Poisson | NegativeBinomial", frequency)  # validation: the rest
            mean = cast(float, scalable.mean_)  # a fixed rate (a prior makes it uncertain)
            frequency = scalable.model_copy(update={"mean_": mean * freq_factor})
    return frequency, scale, cap


def compile_scenario(s: Scenario, strict: bool = False) -> CompiledModel:
    """Compile a validated scenario to kernel arrays. ``strict``: refuse correlations that
    need repair (:class:`~simulator.distributions.base.FieldError`) instead of repairing them.
    """
    return _compile(s, strict, _kernel_form)


@dataclass(frozen=True)
class Check:
    """What compiling a scenario reports without its arrays (see :func:`check_scenario`)."""

    warnings: tuple[str, ...]  #: as :attr:`CompiledModel.warnings`
    correlated: int  #: how many inputs are correlated (``len(copula_inputs)``)


def check_scenario(s: Scenario, strict: bool = False) -> Check:
    """The warnings and errors :func:`compile_scenario` gives, without building the kernels'
    parameters and quantile tables (``kposim validate``: the tables of the Manila scenario's
    five PERTs are 50 ms of ``betaincinv``). Raises as :func:`compile_scenario`.
    """
    model = _compile(s, strict, _no_kernel_form)
    return Check(warnings=model.warnings, correlated=len(model.copula_inputs))


def _kernel_form(d: Distribution, data: DataBuilder) -> tuple[int, np.ndarray]:
    return d.compile(data)


def _no_kernel_form(d: Distribution, data: DataBuilder) -> tuple[int, np.ndarray]:
    # A stand-in for check_scenario: its arrays are thrown away, only the warnings are kept.
    return K.CONSTANT, np.zeros(K.N_PARAMS)


def _compile(s: Scenario, strict: bool,
             kernel_form: Callable[[Distribution, DataBuilder], tuple[int, np.ndarray]]
             ) -> CompiledModel:
    """:func:`compile_scenario`, each distribution's code and parameters from ``kernel_form``."""
    data = DataBuilder()
    names: list[str] = []
    dists: list[Distribution] = []
    codes: list[int] = []
    params: list[np.ndarray] = []

    def add_input(name: str, dist: Distribution) -> int:
        code, p = kernel_form(dist, data)
        names.append(name)
        dists.append(dist)
        codes.append(code)
        params.append(p)
        return len(names) - 1

    info = s.scenario
    horizon = info.horizon_years
    years = np.arange(horizon, dtype=np.float64) + _TIMING_OFFSET[info.cash_flow_timing]
    discount = (1.0 + info.discount_rate) ** -years

    wf = np.array([add_input(f"workforce.{k}", getattr(s.workforce, k)) for k in _WORKFORCE_KEYS],
                  dtype=np.int64)

    cost_kind, cost_input, cost_growth, cost_first, cost_last = [], [], [], [], []
    for c in s.costs:
        base = f"costs[{quote(c.name)}]"
        if c.amount is not None:
            cost_kind.append(COST_AMOUNT)
            cost_input.append(add_input(f"{base}.amount", c.amount))
        else:
            # validation: a cost line without an amount has a share and what it is of
            assert c.share is not None and c.share_of is not None
            cost_kind.append(_SHARE_KIND[c.share_of])
            cost_input.append(add_input(f"{base}.share", c.share))
        cost_growth.append(add_input(f"{base}.growth", c.growth))
        if c.timing == "once":
            first = last = (c.year or 1) - 1
        else:
            first, last = (c.start_year or 1) - 1, (c.end_year or horizon) - 1
        cost_first.append(first)
        cost_last.append(last)

    for ctl in s.controls:
        # A control's cost is one more cost line, in the "controls" category.
        base = f"controls[{quote(ctl.name)}]"
        cost_kind.append(COST_AMOUNT)
        cost_input.append(add_input(f"{base}.cost", ctl.cost))
        cost_growth.append(add_input(f"{base}.growth", Constant(value=0.0)))
        cost_first.append(0)
        cost_last.append(0 if ctl.timing == "once" else horizon - 1)

    risk: dict[str, list[Any]] = {
        k: [] for k in ("fc", "fp", "sc", "sp", "ce", "cy", "first", "last", "fk", "sk", "sk1",
                        "scale", "ri", "rf", "rx", "rr", "si", "sl", "base", "reentry")}
    for r in s.risks:
        base = f"risks[{quote(r.name)}]"
        frequency, scale, cap = controlled_risk(r, s.controls)
        rate = uncertain_rate(frequency)
        severity: Distribution = r.severity
        size = uncertain_size(severity)
        if size is None:
            risk["si"].append(-1)
            risk["sl"].append(False)
        else:
            # The size parameter is one more per-trial input; the events scale with it.
            scaled = cast("Lognormal | Gamma", severity)  # the families with an uncertain size
            risk["si"].append(add_input(f"{base}.severity.{scaled.SCALE_FIELD}", size))
            severity = scaled.base()
            risk["sl"].append(scaled.LOG_SCALE)
        if rate is None:
            fc, fp = kernel_form(frequency, data)
            risk["ri"].append(-1)
        else:
            # The rate is one more per-trial input; the counts are drawn at each trial's rate.
            fc, fp = K.CONSTANT, np.zeros(K.N_PARAMS)
            counts = cast("Poisson | Bernoulli | NegativeBinomial", frequency)  # uncertain rate
            risk["ri"].append(add_input(f"{base}.frequency.{counts.rate_key()}", rate))
        risk["rf"].append(K.RATE_BERNOULLI if isinstance(frequency, Bernoulli) else
                          K.RATE_NEGBIN if isinstance(frequency, NegativeBinomial) else
                          K.RATE_POISSON)
        risk["rx"].append(rate_factor(r, s.controls) if rate is not None else 1.0)
        risk["rr"].append(frequency.dispersion if isinstance(frequency, NegativeBinomial)
                          else 0.0)
        if not np.isfinite(cap):  # a cap bounds the tail, so only an uncapped one is warned about
            risk.setdefault("warn", []).extend(f"{base}.severity: {w}"
                                               for w in r.severity.warnings())
        elif r.cap_per_event is not None:
            removed = cap_warning_share(r.severity, r.cap_per_event)
            if removed is not None:
                risk.setdefault("warn", []).append(
                    f"{base}.cap_per_event: the cap of {r.cap_per_event:,.0f} removes "
                    f"{removed} of the mean loss per event ({r.severity.describe()}); a "
                    "cap bounds what the client can lose, not what it recovers (a vendor's "
                    "liability cap is a recovery limit)")
        sc, sp = kernel_form(severity, data)
        risk["fc"].append(fc)
        risk["fp"].append(fp)
        risk["sc"].append(sc)
        risk["sp"].append(sp)
        risk["ce"].append(cap)
        risk["scale"].append(scale)
        risk["cy"].append(np.inf if r.cap_per_year is None else r.cap_per_year)
        risk["first"].append((r.start_year or 1) - 1)
        risk["last"].append((r.end_year or horizon) - 1)
        risk["fk"].append(stream_key(f"{base}.frequency"))
        risk["sk"].append(stream_key(f"{base}.severity"))
        risk["sk1"].append(stream_key(f"{base}.severity.first"))
        risk["base"].append(0.0 if rate is not None else
                            (frequency.p if isinstance(frequency, Bernoulli) else
                             float(getattr(frequency, "mean_", 0.0) or 0.0)))
        reenters = any(getattr(r, k) is not None for k in REENTRY_KEYS)
        risk["reentry"].append([add_input(f"{base}.{k}", getattr(r, k) or Constant(value=0.0))
                                if reenters else -1 for k in REENTRY_KEYS])

    warnings = [f"{name}: {w}" for name, d in zip(names, dists, strict=False) for w in d.warnings()]
    warnings += risk.get("warn", [])
    dep = dependence.build(s, strict=strict)
    if dep is None:
        copula_inputs, factor, rank = [], np.zeros((0, 0)), np.zeros((0, 0))
    else:
        copula_inputs = [names.index(x) for x in dep.names]
        factor, rank = dep.factor, dep.rank
        repaired = dep.warning()
        if repaired:
            warnings.append(repaired)

    def ints(x: list) -> np.ndarray:
        return np.asarray(x, dtype=np.int64)

    def rows(x: list) -> np.ndarray:
        return np.asarray(x, dtype=np.float64).reshape(len(x), K.N_PARAMS)

    engagement = None
    if uses_engagement(s):
        engagement = _engagement(s, data, risk["base"], risk["reentry"],
                                 len(s.costs) + len(s.controls), kernel_form)

    return CompiledModel(
        horizon=horizon,
        discount=discount,
        input_names=tuple(names),
        input_dists=tuple(dists),
        input_codes=ints(codes),
        input_params=rows(params),
        input_keys=np.asarray([stream_key(n) for n in names], dtype=np.uint32),
        data=data.array(),
        workforce=wf,
        cost_names=tuple(c.name for c in s.costs) + tuple(c.name for c in s.controls),
        cost_categories=tuple(c.category.value for c in s.costs) + ("controls",) * len(s.controls),
        cost_kind=ints(cost_kind),
        cost_input=ints(cost_input),
        cost_growth=ints(cost_growth),
        cost_first=ints(cost_first),
        cost_last=ints(cost_last),
        risk_names=tuple(r.name for r in s.risks),
        risk_categories=tuple(r.category.value for r in s.risks),
        risk_freq_code=ints(risk["fc"]),
        risk_freq_params=rows(risk["fp"]),
        risk_sev_code=ints(risk["sc"]),
        risk_sev_params=rows(risk["sp"]),
        risk_cap_event=np.asarray(risk["ce"], dtype=np.float64),
        risk_sev_scale=np.asarray(risk["scale"], dtype=np.float64),
        risk_cap_year=np.asarray(risk["cy"], dtype=np.float64),
        risk_first=ints(risk["first"]),
        risk_last=ints(risk["last"]),
        risk_freq_keys=np.asarray(risk["fk"], dtype=np.uint32),
        risk_sev_keys=np.asarray(risk["sk"], dtype=np.uint32),
        risk_first_keys=np.asarray(risk["sk1"], dtype=np.uint32),
        risk_rate_input=ints(risk["ri"]),
        risk_rate_family=ints(risk["rf"]),
        risk_rate_factor=np.asarray(risk["rx"], dtype=np.float64),
        risk_rate_dispersion=np.asarray(risk["rr"], dtype=np.float64),
        risk_size_input=ints(risk["si"]),
        risk_size_log=np.asarray(risk["sl"], dtype=bool),
        copula_inputs=ints(copula_inputs),
        copula_factor=np.ascontiguousarray(factor, dtype=np.float64),
        copula_rank=np.asarray(rank, dtype=np.float64),
        warnings=tuple(warnings),
        engaged=engagement is not None,
        engagement=engagement,
    )


def uses_engagement(s: Scenario) -> bool:
    """Whether a scenario uses any model-0.2 term (otherwise it runs the plain kernels)."""
    return s.fx is not None or any(
        r.side != "provider" or r.ends_engagement or r.layers or r.secondary is not None
        or r.raises for r in s.risks)


def _engagement(s: Scenario, data: DataBuilder, base_rate: list[float],
                reentry: list[list[int]], n_costs: int,
                kernel_form: Callable[[Distribution, DataBuilder], tuple[int, np.ndarray]]
                ) -> Engagement:
    """The model-0.2 arrays of a scenario (component rows after the risks: each provider
    risk's recoveries, each ending risk's re-entry, then the savings lost to early exit).
    """
    n_risks = len(s.risks)
    names: list[str] = []
    categories: list[str] = []
    first_extra = n_costs + n_risks

    def extra(name: str, category: str) -> int:
        names.append(name)
        categories.append(category)
        return first_extra + len(names) - 1

    inhouse = np.array([r.side == "in_house" for r in s.risks], dtype=bool)
    recovery_row = [extra(f"recovered: {r.name}", RECOVERIES)
                    if r.layers and r.side == "provider" else -1 for r in s.risks]
    reentry_row = [extra(f"Re-entry: {r.name}", "exit") if reentry[i][0] >= 0 else -1
                   for i, r in enumerate(s.risks)]
    ends = np.array([r.ends_engagement for r in s.risks], dtype=bool)
    lost_row = extra(LOST_TO_EXIT, LOST_CATEGORY) if ends.any() else -1
    total = [n_costs + i for i in range(n_risks) if not inhouse[i]]
    total += [row for row in recovery_row if row >= 0]

    layers = [r.layers for r in s.risks]
    flat = [x for ls in layers for x in ls]
    fx_currency = s.fx.currency if s.fx is not None else None
    sec_code, sec_params = [], []
    for r in s.risks:
        code, p = (kernel_form(r.secondary.severity, data) if r.secondary is not None
                   else (K.CONSTANT, np.zeros(K.N_PARAMS)))
        sec_code.append(code)
        sec_params.append(p)
    links = [(i, [x.name for x in s.risks].index(link.risk), link.factor, link.years)
             for i, r in enumerate(s.risks) for link in r.raises]
    timing = {"end": K.TIMING_END, "start": K.TIMING_START, "uniform": K.TIMING_UNIFORM}
    costs = list(s.costs)
    return Engagement(
        inhouse=inhouse,
        ends=ends,
        timing=np.array([timing[r.timing] for r in s.risks], dtype=np.int64),
        exit_keys=np.array([stream_key(f"risks[{quote(r.name)}].exit_time") for r in s.risks],
                           dtype=np.uint32),
        reentry=np.asarray(reentry, dtype=np.int64).reshape(n_risks, 3),
        reentry_row=np.asarray(reentry_row, dtype=np.int64),
        recovery_row=np.asarray(recovery_row, dtype=np.int64),
        layer_start=np.concatenate([[0], np.cumsum([len(ls) for ls in layers])]).astype(
            np.int64),
        layer_per=np.array([K.RECOVER_EVENT if x.per == "event" else K.RECOVER_YEAR
                            for x in flat], dtype=np.int64),
        layer_deductible=np.array([x.deductible for x in flat], dtype=np.float64),
        layer_share=np.array([x.share for x in flat], dtype=np.float64),
        layer_limit=np.array([np.inf if x.limit is None else x.limit for x in flat],
                             dtype=np.float64),
        secondary_prob=np.array([r.secondary.probability if r.secondary is not None else 0.0
                                 for r in s.risks], dtype=np.float64),
        secondary_code=np.asarray(sec_code, dtype=np.int64),
        secondary_params=np.asarray(sec_params, dtype=np.float64).reshape(n_risks, K.N_PARAMS),
        secondary_keys=np.array([[stream_key(f"risks[{quote(r.name)}].secondary.occurs"),
                                  stream_key(f"risks[{quote(r.name)}].secondary.severity")]
                                 for r in s.risks], dtype=np.uint32).reshape(n_risks, 2),
        base_rate=np.asarray(base_rate, dtype=np.float64),
        raise_source=np.array([x[0] for x in links], dtype=np.int64),
        raise_target=np.array([x[1] for x in links], dtype=np.int64),
        raise_factor=np.array([x[2] for x in links], dtype=np.float64),
        raise_years=np.array([x[3] for x in links], dtype=np.int64),
        cost_stops=np.array([c.stops for c in costs] + [False] * len(s.controls), dtype=bool),
        cost_fx=np.array([c.currency is not None and c.currency == fx_currency for c in costs]
                         + [False] * len(s.controls), dtype=bool),
        risk_fx=np.array([r.currency is not None and r.currency == fx_currency
                          for r in s.risks], dtype=bool),
        fx_rate=s.fx.rate if s.fx is not None else 0.0,
        fx_volatility=s.fx.annual_volatility if s.fx is not None else 0.0,
        fx_drift=s.fx.drift if s.fx is not None else 0.0,
        fx_share=s.workforce.offshore_currency_share,
        fx_key=stream_key("fx.rate"),
        time_offset=_TIMING_OFFSET[s.scenario.cash_flow_timing],
        extra_names=tuple(names),
        extra_categories=tuple(categories),
        lost_row=lost_row,
        risk_total_rows=np.asarray(total, dtype=np.int64),
    )
