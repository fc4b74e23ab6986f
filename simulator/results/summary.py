"""The typed contract of ``summary.json``: what :meth:`SimulationResult.summary` returns and
``kposim run`` writes, key by key.

Modules that read a summary (the report, the workbook, the terminal table, a user's script
after ``json.load``) can annotate it as :class:`Summary`; ``typing.cast(Summary, data)``
types a loaded file. Money is present value over the horizon in the scenario's currency;
probabilities are shares in [0, 1]. Keys marked ``NotRequired`` appear only when they apply.
"""

from typing import Any, NotRequired, TypedDict


class Band(TypedDict):
    """Mean with its standard error and the 5th and 95th percentiles of one figure."""

    mean: float
    stderr: float
    p5: float
    p95: float


class ComponentBand(Band):
    """A component's :class:`Band` (a cost: positive = money lost) and its category."""

    category: str


class Headline(TypedDict):
    """The headline figures of a per-trial figure, net savings in the summary (currency unless
    noted): what :func:`simulator.results.stats.describe` returns.
    """

    mean: float
    std: float  #: sample standard deviation of the trials
    stderr: float  #: standard error of the mean
    p5: float
    p10: float
    p25: float
    p50: float
    p75: float
    p90: float
    p95: float
    min: float
    max: float
    prob_loss: float  #: P(net savings < 0), a probability
    prob_loss_stderr: float
    cvar_5: float  #: mean of the worst 5% of trials
    cvar_5_stderr: float
    ci95: list[float]  #: [low, high], the mean's 95% interval


class NetSavings(Headline):
    """:class:`Headline` of net savings with its percentiles' intervals."""

    percentile_ci95: dict[str, list[float]]  #: "p5".."p95" -> [low, high], order statistics
    stderr_method: NotRequired[str]  #: how the mean's error was computed (designs only)


class Provenance(TypedDict):
    """How to reproduce the run."""

    version: str  #: kposim's version
    scenario_sha256: str  #: hash of the scenario file's bytes
    seed: int  #: the engine's integer seed
    chunk_size: int  #: trials per chunk (part of the seed contract)
    bit_generator: str  #: "SFC64"
    sampling: str  #: "mc", "lhs" or "sobol"
    created: str  #: ISO 8601 time the run finished, UTC
    statistics: str  #: "exact" (trials kept) or "streaming"
    numpy: str
    numba: str


class Correlations(TypedDict):
    """The rank correlations the run used (declared, or their nearest valid repair)."""

    inputs: list[str]  #: input paths, the order of the matrix
    rank: list[list[float]]  #: (k, k) rank correlation matrix


class EngagementSummary(TypedDict):
    """How long the engagement ran, for a scenario with a risk that ends it."""

    exit_share: float  #: share of trials whose engagement ended early
    exit_share_stderr: float
    mean_years_run: float  #: years
    running_share: list[float]  #: (H,) share of trials still running at each year's end
    year_share: list[float]  #: (H,) mean share of each year run


class ControlReturn(TypedDict):
    """One control's return, on common random numbers (run with and without it)."""

    cost: float  #: mean cost of the control
    loss_avoided: float  #: mean risk loss it avoids
    loss_avoided_stderr: float
    net_gain: float  #: loss avoided minus cost, mean
    net_gain_stderr: float
    return_on_control: float | None  #: net gain / cost; None for a free control
    net_savings_with: float
    net_savings_without: float
    prob_loss_with: float
    prob_loss_without: float


class Summary(TypedDict):
    """Top level of ``summary.json``."""

    scenario: str  #: the scenario's name
    currency: str  #: ISO code such as "USD"
    trials: int  #: trials run (fewer than asked when a precision target stopped the run)
    seed: int
    horizon_years: int
    discount_rate: float
    cash_flow_timing: str
    net_savings: NetSavings
    gross_wage_savings: Band
    components: dict[str, ComponentBand]  #: component name -> figures, cost lines then risks
    categories: dict[str, float]  #: category -> mean cost, in display order
    provenance: Provenance
    precision: NotRequired[dict[str, Any]]  #: the precision target and what was reached
    correlations: NotRequired[Correlations]
    engagement: NotRequired[EngagementSummary]
    controls: NotRequired[dict[str, ControlReturn]]  #: control name -> its return
    tolerance: NotRequired[dict[str, Any]]  #: pass or fail against the risk tolerance
    warnings: list[str]  #: valid but suspicious parameters, "field: message"
