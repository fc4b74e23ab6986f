"""Compare options (Manila vs Bangalore vs keep in-house) on common random numbers.

Every option is simulated with the same seed. The engine keys each input's random stream by
its parameter path (``workforce.onshore_cost_per_fte``, ``risks["Quality failure"].frequency``),
so an input that means the same thing in two scenarios draws the same uniforms in the same
trial: the per-trial difference between two options reflects the decision, not sampling noise,
and the mean difference is known far more precisely than from two independent runs.

The statistics are functions over plain arrays (as SALib's are): :func:`pair_stats` and
:func:`independent_stderr`; :func:`compare` runs the simulations and returns a
:class:`Comparison`, whose :meth:`~Comparison.summary` is ``comparison.json``.

What common random numbers share, exactly (see docs/reproducibility.md):

* an input drawn once per trial shares its uniform with every option that has an input of the
  same path, whatever its distribution there (the two values are then comonotone);
* a risk's yearly counts share uniforms year by year, so options with different horizons agree
  on the years they have in common;
* a risk's first event in a (year, trial) draws its severity from a uniform tied to that
  (year, trial), so it is paired whatever the two options' counts; second and later events in
  the same year draw in event order and are paired only where the counts agree.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from simulator.engine import run as engine
from simulator.engine.run import DEFAULT_SEED, Backend, simulate_many
from simulator.results.result import SimulationResult
from simulator.results.stats import Z95, describe, percentile_ci
from simulator.scenario.compiled import CompiledModel, compile_scenario, quote
from simulator.scenario.model import Scenario

MAX_MEMORY_BYTES = engine.MAX_MEMORY_BYTES
"""Most memory all options' kept trials may take together (every trial of every option is
kept, since the differences are taken trial by trial)."""
DIFF_PERCENTILES = (5, 25, 50, 75, 95)
QUANTILE_LEVELS = 1001
"""Points of each option's quantile grid kept for the S-curves."""
HIST_BINS = 120


# ---------------------------------------------------------------------------------------------
# Statistics over plain arrays


def independent_stderr(a: np.ndarray, b: np.ndarray) -> float:
    """Standard error of mean(a) - mean(b) had ``a`` and ``b`` been drawn independently:
    sqrt(var(a)/n_a + var(b)/n_b), sample variances (ddof=1). For contrast with
    :func:`pair_stats`'s paired standard error.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    va = float(a.var(ddof=1)) / a.size if a.size > 1 else 0.0
    vb = float(b.var(ddof=1)) / b.size if b.size > 1 else 0.0
    return math.sqrt(va + vb)


def pair_stats(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    """How option A compares with option B, trial by trial.

    Parameters
    ----------
    a, b : (n,) arrays of the two options' net savings in the same trials (common random
        numbers), currency units.

    Returns a dict (money in currency units, probabilities in [0, 1]):

    * ``mean_difference``: mean of a - b; ``stderr``: its standard error from the per-trial
      differences, std(a - b, ddof=1) / sqrt(n); ``ci95``: mean ± 1.96 stderr;
    * ``stderr_independent``: :func:`independent_stderr` of a and b, what two independent runs
      would give; ``variance_reduction``: (stderr_independent / stderr)², None when stderr is 0;
    * ``prob_a_beats_b``: P(a > b) strictly, with ``prob_a_beats_b_stderr``;
      ``prob_tie``: P(a == b); ``prob_a_at_least_b``: P(a >= b);
    * ``std``, ``min``, ``max`` and percentiles ``p5``..``p95`` of a - b, with
      ``percentile_ci95`` (order-statistic 95% intervals).
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1 or a.size == 0:
        raise ValueError(f"a and b must be non-empty 1-d arrays of the same trials (got shapes "
                         f"{a.shape} and {b.shape})")
    n = a.size
    d = a - b
    mean = float(d.mean())
    std = float(d.std(ddof=1)) if n > 1 else 0.0
    stderr = std / math.sqrt(n)
    indep = independent_stderr(a, b)
    wins = int(np.count_nonzero(d > 0))
    ties = int(np.count_nonzero(d == 0))
    p_win = wins / n
    pcts = np.percentile(d, DIFF_PERCENTILES)
    out: dict[str, Any] = {
        "mean_difference": mean,
        "stderr": stderr,
        "ci95": [mean - Z95 * stderr, mean + Z95 * stderr],
        "stderr_independent": indep,
        "variance_reduction": (indep / stderr) ** 2 if stderr > 0 else None,
        "prob_a_beats_b": p_win,
        "prob_a_beats_b_stderr": math.sqrt(p_win * (1 - p_win) / n),
        "prob_tie": ties / n,
        "prob_a_at_least_b": (wins + ties) / n,
        "std": std,
        "min": float(d.min()),
        "max": float(d.max()),
    }
    out.update({f"p{p}": float(v) for p, v in zip(DIFF_PERCENTILES, pcts, strict=False)})
    out["percentile_ci95"] = percentile_ci(d, DIFF_PERCENTILES)
    return out


def dominance(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    """First-order stochastic dominance of option A over option B, from their trials.

    A dominates B when, at every amount x, A is at least as likely as B to save more than x:
    F_A(x) <= F_B(x) for every x (A's S-curve never left of B's). The empirical CDFs are
    compared at every trial's value of either option (so the largest gaps are exact, not
    read off a grid).

    Returns a dict (probabilities in [0, 1], amounts in currency units):

    * ``gap_a``: the largest F_B(x) - F_A(x) (how far A is ahead of B at its best), with
      ``at_a`` (the x) and ``gap_a_stderr``, the standard error of that gap from the paired
      trials at that x: std(1[b <= x] - 1[a <= x]) / sqrt(n);
    * ``gap_b``, ``at_b``, ``gap_b_stderr``: the same with the roles swapped;
    * ``verdict``: "a" (A dominates B: B is nowhere ahead by more than 1.96 standard errors
      of its own largest gap, and A is ahead somewhere by more), "b" (the reverse),
      "identical" (no gap either way) or "neither" (each is significantly ahead somewhere:
      the S-curves cross).

    The errors are pointwise at the largest gap; the largest of many gaps is biased upwards
    by selection, so a gap within a few standard errors of zero means no evidence of a lead.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1 or a.size == 0:
        raise ValueError("a and b must be non-empty 1-d arrays of the same trials")
    n = a.size
    sa, sb = np.sort(a), np.sort(b)
    x = np.concatenate((sa, sb))
    gap = (np.searchsorted(sb, x, side="right") - np.searchsorted(sa, x, side="right")) / n
    out: dict[str, Any] = {}
    for key, sign in (("a", 1.0), ("b", -1.0)):
        g = sign * gap
        i = int(np.argmax(g))
        at = float(x[i])
        d = (b <= at).astype(np.int8) - (a <= at).astype(np.int8)
        out[f"gap_{key}"] = max(float(g[i]), 0.0) + 0.0  # never -0.0
        out[f"at_{key}"] = at
        out[f"gap_{key}_stderr"] = float(d.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0
    ahead_a = out["gap_a"] > Z95 * out["gap_a_stderr"]
    ahead_b = out["gap_b"] > Z95 * out["gap_b_stderr"]
    if out["gap_a"] == 0.0 and out["gap_b"] == 0.0:
        verdict = "identical"
    elif ahead_a and not ahead_b:
        verdict = "a"
    elif ahead_b and not ahead_a:
        verdict = "b"
    else:
        verdict = "neither"
    out["verdict"] = verdict
    return out


def random_streams(model: CompiledModel) -> set[str]:
    """Parameter paths of a compiled scenario's random streams: its uncertain inputs and each
    risk's ``.frequency`` and ``.severity``.
    """
    names = {model.input_names[i] for i in model.random_inputs}
    for r in model.risk_names:
        names |= {f"risks[{quote(r)}].frequency", f"risks[{quote(r)}].severity"}
    return names


def memory_needed(models: Sequence[CompiledModel], trials: int, keep_inputs: bool = False) -> int:
    """Bytes that keeping every trial of every option takes, plus the scratch arrays of the
    pairwise differences.
    """
    kept = sum(engine.bytes_per_trial(m, keep_inputs) for m in models)
    return int(trials) * (kept + 3 * 8)


def check_memory(models: Sequence[CompiledModel], trials: int, keep_inputs: bool = False) -> None:
    """Raise ValueError if the options' trials would not fit in :data:`MAX_MEMORY_BYTES`."""
    need = memory_needed(models, trials, keep_inputs)
    if need > MAX_MEMORY_BYTES:
        per = memory_needed(models, 1, keep_inputs)
        raise ValueError(f"{trials:,} trials of {len(models)} options would need "
                         f"{need / 2**30:.1f} GiB to keep every trial (limit "
                         f"{MAX_MEMORY_BYTES / 2**30:.0f} GiB); use at most "
                         f"{MAX_MEMORY_BYTES // per:,} trials")


# ---------------------------------------------------------------------------------------------
# Chart data: small arrays only


@dataclass(frozen=True)
class OptionCurve:
    """One option's figures for the comparison charts (money in currency units)."""

    name: str
    quantile_levels: np.ndarray  #: (Q,) increasing levels in [0, 1]
    quantile_values: np.ndarray  #: (Q,) net savings at those levels
    mean: float
    p5: float
    p25: float
    p50: float
    p75: float
    p95: float
    prob_loss: float


@dataclass(frozen=True)
class PairHistogram:
    """Histogram of the per-trial difference ``a - b`` of one pair of options."""

    a: str
    b: str
    edges: np.ndarray  #: (B+1,) bin edges, currency units
    counts: np.ndarray  #: (B,) int64 trials per bin, ties (a == b) left out
    below: int  #: trials left of the first edge (the histogram covers the central 99%)
    above: int  #: trials right of the last edge
    mean: float
    stderr: float
    prob_a_beats_b: float
    prob_tie: float
    dominance: str = ""  #: :func:`dominance`'s verdict: "a", "b", "identical" or "neither"


@dataclass(frozen=True)
class CompareChartData:
    """Everything the comparison charts draw from; no per-trial arrays."""

    currency: str
    horizon_years: tuple[int, ...]  #: per option
    trials: int
    options: tuple[OptionCurve, ...]
    pairs: tuple[PairHistogram, ...]


def _difference_histogram(d: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Bin edges and counts of the non-zero differences (ties are reported apart), and the
    trials left and right of the range.
    """
    # The central 99%, as the single-run histogram does, widened to show zero.
    lo, hi = np.quantile(d, (0.005, 0.995))
    lo, hi = float(min(lo, 0.0)), float(max(hi, 0.0))
    if hi <= lo:  # every difference zero
        lo, hi = -1.0, 1.0
    elif lo == 0.0:  # a little of the other side, so trials behind zero still show
        lo = -0.04 * hi
    elif hi == 0.0:
        hi = -0.04 * lo
    # Bins of equal width with an edge at zero, so no bin holds both winners.
    width = (hi - lo) / bins
    k_lo, k_hi = math.floor(lo / width + 1e-9), math.ceil(hi / width - 1e-9)
    edges = np.arange(k_lo, k_hi + 1) * width
    counts, edges = np.histogram(d[d != 0], bins=edges)
    return (edges, counts.astype(np.int64), int(np.count_nonzero(d < edges[0])),
            int(np.count_nonzero(d > edges[-1])))


# ---------------------------------------------------------------------------------------------
# Running a comparison


def _net(r: SimulationResult) -> np.ndarray:
    """(trials,) net savings of a comparison's run (compared runs keep their trials)."""
    assert r.net_savings is not None, "a compared run keeps its trials"
    return r.net_savings


@dataclass(frozen=True)
class Comparison:
    """Options simulated on common random numbers. ``results[i]`` is option ``names[i]``'s
    run (every trial kept); pairs are (i, j) for i < j, difference option i minus option j.
    """

    names: tuple[str, ...]
    results: tuple[SimulationResult, ...]
    trials: int
    seed: int
    created: str = field(default_factory=lambda: datetime.now(UTC)
                         .isoformat(timespec="seconds"))

    @property
    def currency(self) -> str:
        """The options' currency (the first scenario's; all must share it)."""
        return self.results[0].scenario.scenario.currency

    @property
    def pairs(self) -> list[tuple[int, int]]:
        """Index pairs (i, j), i < j, in order."""
        return list(itertools.combinations(range(len(self.names)), 2))

    def net(self, i: int) -> np.ndarray:
        """(trials,) net savings of option ``i``."""
        return _net(self.results[i])

    def difference(self, i: int, j: int) -> np.ndarray:
        """(trials,) net savings of option i minus option j, trial by trial."""
        return self.net(i) - self.net(j)

    def warnings(self) -> list[str]:
        """Differences between the options that a reader of the numbers should know."""
        out = []
        infos = [r.scenario.scenario for r in self.results]
        for attr, what, note in (
                ("horizon_years", "horizons", "each option's net savings are the present value "
                                              "over its own horizon"),
                ("discount_rate", "discount rates", "each option is discounted at its own rate"),
                ("cash_flow_timing", "cash-flow timings", "each option is discounted with its "
                                                          "own timing")):
            values = [getattr(x, attr) for x in infos]
            if len(set(values)) > 1:
                listing = ", ".join(f"{n}: {v}" for n, v in zip(self.names, values, strict=False))
                out.append(f"the options have different {what} ({listing}); {note}")
        # Options that move different amounts of work are not alternatives for the same work.
        teams = [float(r.scenario.workforce.onshore_fte.mean()) for r in self.results]
        if max(teams) - min(teams) > 1e-9 * max(abs(t) for t in teams):
            listing = ", ".join(f"{n}: {t:g}" for n, t in zip(self.names, teams, strict=False))
            out.append(f"the options move different amounts of work (onshore FTE, mean: "
                       f"{listing}); compare options for the same team, or read the "
                       "differences as including the change of scope")
        currencies = [x.currency for x in infos]
        if len(set(currencies)) > 1:
            listing = ", ".join(f"{n}: {c}" for n, c in zip(self.names, currencies, strict=False))
            out.append(f"the options report in different currencies ({listing}); their "
                       "differences mix units")
        return out

    def dominance(self, i: int, j: int) -> dict[str, Any]:
        """:func:`dominance` of option ``i`` over option ``j`` (computed once per pair)."""
        cache = self.__dict__.setdefault("_dominance", {})
        if (i, j) not in cache:
            cache[(i, j)] = dominance(self.net(i), self.net(j))
        return cache[(i, j)]

    def option_summaries(self) -> list[dict[str, Any]]:
        """Each option's full run summary (what ``summary.json`` holds for a run: key figures
        with their intervals, components, categories, tolerance), computed once.
        """
        cached = self.__dict__.get("_option_summaries")
        if cached is None:
            cached = [r.summary() for r in self.results]
            object.__setattr__(self, "_option_summaries", cached)
        return cached

    def summary(self) -> dict[str, Any]:
        """The dictionary written to ``comparison.json``. Money: present values, currency.

        Per option: its name, scenario, horizon, discount rate and net-savings figures
        (``net_savings``; the mean's interval is the run's own, batch means for Latin
        hypercube and Sobol), its mean ``gross_wage_savings``, mean cost per ``categories``,
        and its risk ``tolerance`` result where the scenario sets one. Per pair: the paired
        difference figures (:func:`pair_stats`), first-order stochastic ``dominance``
        (:func:`dominance`) and the random inputs the two options share.
        """
        options = []
        for name, r, full in zip(self.names, self.results, self.option_summaries(), strict=False):
            info = r.scenario.scenario
            stats: dict[str, Any] = dict(describe(_net(r)))
            stats["percentile_ci95"] = percentile_ci(_net(r))
            for key in ("stderr", "ci95", "stderr_method"):  # the run's own interval
                if key in full["net_savings"]:
                    stats[key] = full["net_savings"][key]
            option = {"name": name, "scenario": info.name, "source": r.scenario.source,
                      "horizon_years": info.horizon_years, "discount_rate": info.discount_rate,
                      "net_savings": stats, "gross_wage_savings": full["gross_wage_savings"],
                      "categories": full["categories"]}
            for key in ("tolerance", "engagement"):
                if key in full:
                    option[key] = full[key]
            options.append(option)
        pairs = []
        for i, j in self.pairs:
            shared = random_streams(self.results[i].model) & random_streams(self.results[j].model)
            pairs.append({"a": self.names[i], "b": self.names[j],
                          "difference": "a - b (net savings, per trial)",
                          **pair_stats(self.net(i), self.net(j)),
                          "dominance": self.dominance(i, j),
                          "shared_random_inputs": sorted(shared)})
        # version, chunking, generator, libraries
        provenance: dict[str, Any] = dict(self.results[0].provenance())
        provenance.pop("scenario_sha256")
        provenance.update({
            "seed": self.seed, "trials": self.trials, "created": self.created,
            "common_random_numbers": "one seed for every option; streams keyed by input name",
            "scenarios": [{"name": n, "source": r.scenario.source,
                           "scenario_sha256": r.scenario.sha256}
                          for n, r in zip(self.names, self.results, strict=False)]})
        return {
            "currency": self.currency,
            "trials": self.trials,
            "seed": self.seed,
            "sampling": self.results[0].sampling,
            "options": options,
            "pairs": pairs,
            "warnings": self.warnings(),
            "provenance": provenance,
        }

    def chart_data(self, bins: int = HIST_BINS,
                   quantiles: int = QUANTILE_LEVELS) -> CompareChartData:
        """Reduce the comparison to the small arrays its charts are drawn from."""
        levels = np.linspace(0.0, 1.0, quantiles)
        curves = []
        for name, r in zip(self.names, self.results, strict=False):
            x = _net(r)
            qv = np.quantile(x, levels)
            p5, p25, p50, p75, p95 = np.interp((0.05, 0.25, 0.5, 0.75, 0.95), levels, qv)
            curves.append(OptionCurve(
                name=name, quantile_levels=levels, quantile_values=qv, mean=float(x.mean()),
                p5=float(p5), p25=float(p25), p50=float(p50), p75=float(p75), p95=float(p95),
                prob_loss=float(np.count_nonzero(x < 0)) / x.size))
        hists = []
        for i, j in self.pairs:
            d = self.difference(i, j)
            edges, counts, below, above = _difference_histogram(d, bins)
            n = d.size
            hists.append(PairHistogram(
                a=self.names[i], b=self.names[j], edges=edges, counts=counts, below=below,
                above=above, mean=float(d.mean()),
                stderr=float(d.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0,
                prob_a_beats_b=float(np.count_nonzero(d > 0)) / n,
                prob_tie=float(np.count_nonzero(d == 0)) / n,
                dominance=self.dominance(i, j)["verdict"]))
        return CompareChartData(
            currency=self.currency,
            horizon_years=tuple(r.scenario.scenario.horizon_years for r in self.results),
            trials=self.trials, options=tuple(curves), pairs=tuple(hists))


def check_options(scenarios: Sequence[Scenario], names: Sequence[str], trials: int,
                  keep_inputs: bool = False) -> list[CompiledModel]:
    """Raise ValueError unless the options can be compared: at least two, one distinct name
    each, one currency, a valid trial count whose trials all fit in memory. Returns the
    compiled scenarios.
    """
    if len(scenarios) < 2:
        raise ValueError(f"compare needs at least two options (got {len(scenarios)})")
    if len(names) != len(scenarios):
        raise ValueError(f"{len(names)} names for {len(scenarios)} scenarios")
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if list(names).count(n) > 1})
        raise ValueError(f"option names must be distinct (repeated: {', '.join(dupes)})")
    from simulator.scenario.model import _text_problem

    for n in names:  # shown in tables, charts and the report like a scenario's names
        problem = _text_problem(n, multiline=False)
        if problem:
            raise ValueError(f"option name {n!r}: {problem}")
    currencies = {s.scenario.currency for s in scenarios}
    if len(currencies) > 1:
        raise ValueError(f"options must share a currency to be compared (got "
                         f"{', '.join(sorted(currencies))})")
    if isinstance(trials, bool) or not isinstance(trials, int | np.integer) or trials < 1:
        raise ValueError(f"trials must be a whole number >= 1 (got {trials!r})")
    models = [compile_scenario(s) for s in scenarios]
    check_memory(models, trials, keep_inputs)
    return models


def compare(scenarios: Sequence[Scenario], names: Sequence[str] | None = None,
            trials: int = 1_000_000, seed: int = DEFAULT_SEED, threads: int | None = None,
            keep_inputs: bool = False,
            progress: Callable[[int], None] | None = None,
            backend: Backend | None = None, sampling: str = "mc") -> Comparison:
    """Simulate every option with the same seed (common random numbers) and keep every trial.

    Parameters
    ----------
    scenarios : two or more validated scenarios, all in the same currency.
    names : a distinct label per option (default: the scenario names).
    trials : trials per option (>= 1); all options' trials must fit in
        :data:`MAX_MEMORY_BYTES` together (ValueError otherwise, before anything runs).
    seed : non-negative integer, used for every option.
    threads : worker threads (default: all cores); does not change the results.
    keep_inputs : also keep each option's drawn inputs (``results[i].inputs``).
    progress : called with the number of trials just finished, option after option.
    backend : compute on a Dask cluster (every option's tasks submitted at once); the
        results are bit-identical to a local run. Workers send every trial back, so this is
        for runs that fit in memory here, as every comparison must.
    sampling : design of the per-trial inputs ("mc", "lhs", "sobol"), the same for every
        option, so inputs shared by name keep their common random numbers.
    """
    scenarios = list(scenarios)
    names = [s.name for s in scenarios] if names is None else [str(n) for n in names]
    models = check_options(scenarios, names, trials, keep_inputs)
    results = tuple(simulate_many(list(zip(scenarios, models, strict=False)), backend=backend,
                                  progress=progress, trials=int(trials), seed=seed,
                                  threads=threads, keep_inputs=keep_inputs, store_trials=True,
                                  sampling=sampling, controls=False))
    return Comparison(names=tuple(names), results=results, trials=int(trials), seed=int(seed))


def option_keys(names: Sequence[str], keys: Sequence[str] | None = None) -> list[str]:
    """A distinct file-name key per option (``keys`` or the names, slugged; a repeat gets
    ``_2``, ``_3``).
    """
    import re

    out: list[str] = []
    for k in keys or names:
        slug = re.sub(r"[^a-z0-9]+", "_", str(k).lower()).strip("_")[:40] or "option"
        key, n = slug, 2
        while key in out:
            key, n = f"{slug}_{n}", n + 1
        out.append(key)
    return out


def comparison_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of ``comparison.csv``, the audit table of a comparison: per option every
    net-savings figure (with its 95% interval where there is one) and its mean cost per
    category, per pair every difference figure and the dominance gaps. Plain numbers, full
    precision, one row per figure.
    """
    rows: list[dict[str, Any]] = []
    cur = summary["currency"]

    def row(section: str, name: str, statistic: str, value: Any, unit: str = "",
            ci: Sequence[float] | None = None) -> None:
        lo, hi = ci if ci is not None else ("", "")
        rows.append({"section": section, "name": name, "statistic": statistic, "value": value,
                     "ci95_low": lo, "ci95_high": hi, "unit": unit})

    for o in summary["options"]:
        ns = o["net_savings"]
        pct = ns.get("percentile_ci95", {})
        for stat in ("mean", "stderr", "std", "p5", "p10", "p25", "p50", "p75", "p90", "p95",
                     "min", "max", "prob_loss", "prob_loss_stderr", "cvar_5", "cvar_5_stderr"):
            if stat not in ns:
                continue
            ci = ns.get("ci95") if stat == "mean" else pct.get(stat)
            if stat in ("prob_loss", "cvar_5") and f"{stat}_stderr" in ns:
                half = Z95 * ns[f"{stat}_stderr"]
                ci = (ns[stat] - half, ns[stat] + half)
            row("option", o["name"], stat, ns[stat],
                "probability" if stat.startswith("prob") else cur, ci)
        row("option", o["name"], "gross_wage_savings_mean", o["gross_wage_savings"]["mean"], cur)
        for cat, cost in o.get("categories", {}).items():
            row("option", o["name"], f"mean_cost_{cat}", cost, cur)
        if o.get("tolerance"):
            row("option", o["name"], "tolerance_pass", o["tolerance"]["pass"])
    for p in summary["pairs"]:
        name = f"{p['a']} minus {p['b']}"
        row("pair", name, "mean_difference", p["mean_difference"], cur, p["ci95"])
        for stat in ("stderr", "stderr_independent", "std", "min", "max"):
            row("pair", name, stat, p[stat], cur)
        for stat in ("p5", "p25", "p50", "p75", "p95"):
            row("pair", name, stat, p[stat], cur, p["percentile_ci95"].get(stat))
        half = Z95 * p["prob_a_beats_b_stderr"]
        row("pair", name, "prob_a_beats_b", p["prob_a_beats_b"], "probability",
            (p["prob_a_beats_b"] - half, p["prob_a_beats_b"] + half))
        row("pair", name, "prob_tie", p["prob_tie"], "probability")
        d = p["dominance"]
        row("pair", name, "dominance", d["verdict"])
        for side in ("a", "b"):
            g, se = d[f"gap_{side}"], d[f"gap_{side}_stderr"]
            row("pair", name, f"largest_cdf_gap_{side}_ahead", g, "probability",
                (g - Z95 * se, g + Z95 * se))
            row("pair", name, f"largest_cdf_gap_{side}_ahead_at", d[f"at_{side}"], cur)
    return rows


