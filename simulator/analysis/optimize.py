"""Which controls to buy under a budget: the efficient frontier of control portfolios, on
common random numbers.

Every portfolio (a subset of the scenario's ``[[controls]]``) is simulated with the same seed,
so all portfolios see the same draws trial by trial: their differences are the controls'
effects, not sampling noise, and a search over them is not misled by noise the way a search
over independent simulations is.

**Decomposition.** A control changes only the risks it names (and the risks those raise) and
its own cost line. Controls are grouped into the connected components of the control-risk
graph, risks linked by ``raises`` (either way) merged. Controls in different components add
their effects trial by trial::

    net(S) = net(none) + sum over components c of [net(S ∩ c) - net(none)]

and likewise the total risk-event loss, each term from a run where only that component's
part of S is active (same seed). A portfolio of K controls in components of sizes k_c then
needs sum_c 2^k_c runs instead of 2^K. Exception: when a control acts on a risk that can end
the engagement (``ends_engagement``), or on one that raises such a risk (directly or through
a chain), the exit changes every provider-side loss and the wage savings, so all controls
form one component.

**Choices.** Where the scenario declares ``[[choices]]`` (provider, placement), every
combination of their options is a variant with its own base run (same seed), searched as
above; the frontier and the choice run over all of them.

**Search.** Up to :data:`EXHAUSTIVE_LIMIT` controls every subset is evaluated (exact);
beyond, a greedy search with swaps (add, remove or swap one control while that improves the
objective within the budget), which is not guaranteed optimal; the result says which ran.

**Objectives** (per-trial net savings, present value): ``mean`` (maximised), ``cvar5`` (the
mean of the worst 5% of trials, :func:`simulator.results.stats.expected_shortfall`, maximised) and
``prob_loss`` (P(net savings < 0), minimised). The **budget** is on the expected present
value of the chosen controls' cost lines. With ``respect_tolerance`` only portfolios that
pass the scenario's ``[tolerance]`` (P(loss) and the loss-exceedance points of the total
risk-event loss) are chosen.

**Monte Carlo errors** of a portfolio's difference from the chosen one are paired (same
trials): for the mean, the standard deviation of the per-trial difference over sqrt(n); for
P(loss), the same on the loss indicators; for the CVaR, the same on the difference of the
two CVaRs' influence functions, phi(x) = (x - q) 1{x <= q} / alpha + q - ES (q the alpha
quantile): the delta method, which for a constant comparator reduces to
:func:`simulator.results.stats.expected_shortfall_stderr`.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulator.engine.run import DEFAULT_SEED, Backend, simulate
from simulator.results.result import SimulationResult
from simulator.results.stats import expected_shortfall
from simulator.scenario.model import Scenario, scenario_from_dict
from simulator.scenario.variants import combinations, resolve

OBJECTIVES = ("mean", "cvar5", "prob_loss")
EXHAUSTIVE_LIMIT = 12  #: controls up to which every subset is evaluated
CACHE_LIMIT = 6  #: components of at most this many controls keep every subset's trials
ALPHA = 0.05


def with_controls(scenario: Scenario, active: Iterable[str]) -> Scenario:
    """The scenario with only the controls named in ``active`` (their costs and effects)."""
    keep = set(active)
    doc = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    doc["controls"] = [c for c in doc.get("controls", []) if c["name"] in keep]
    label = ", ".join(sorted(keep)) or "no controls"
    return scenario_from_dict(doc, source=f"{scenario.source} with {label}")


def components(scenario: Scenario) -> tuple[list[list[int]], bool]:
    """Groups of control indices whose effects add up trial by trial, and whether the
    controls had to be kept together because one of them acts on the engagement's end.
    """
    risks = {r.name: i for i, r in enumerate(scenario.risks)}
    parent = list(range(len(scenario.risks)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, r in enumerate(scenario.risks):
        for link in r.raises:
            parent[find(i)] = find(risks[link.risk])
    # Risks that end the engagement or raise (through any chain) one that does.
    reaches = {i for i, r in enumerate(scenario.risks) if r.ends_engagement}
    grew = True
    while grew:
        grew = False
        for i, r in enumerate(scenario.risks):
            if i not in reaches and any(risks[link.risk] in reaches for link in r.raises):
                reaches.add(i)
                grew = True
    acts = [{risks[e.risk] for e in c.effects} for c in scenario.controls]
    if any(a & reaches for a in acts):
        return ([list(range(len(scenario.controls)))] if scenario.controls else []), True
    groups: dict[int, list[int]] = {}
    owner: dict[int, int] = {}  # risk group -> the control group that holds it
    for k, a in enumerate(acts):
        roots = {find(i) for i in a}
        holders = sorted({owner[r] for r in roots if r in owner})
        key = holders[0] if holders else k
        merged = [k]
        for h in holders:
            merged += groups.pop(h)
        groups[key] = sorted(merged)
        for root, g in list(owner.items()):
            if g in holders:
                owner[root] = key
        for root in roots:
            owner[root] = key
    return sorted(groups.values()), False


@dataclass
class Trials:
    """One portfolio's per-trial outcomes (present values, currency)."""

    net: np.ndarray  #: (n,) net savings
    loss: np.ndarray  #: (n,) total risk-event loss (what [tolerance] loss points are about)


def _net(r: SimulationResult) -> np.ndarray:
    """(trials,) net savings of a run made with store_trials."""
    assert r.net_savings is not None, "the evaluator's runs keep their trials"
    return r.net_savings


def _loss(r: SimulationResult) -> np.ndarray:
    return r.risk_losses if len(r.model.risk_names) else np.zeros(r.trials)


class Evaluator:
    """Per-trial outcomes of any subset of a scenario's controls, from runs on the same seed
    (decomposed by :func:`components`). ``runs`` counts the simulations made so far.
    """

    def __init__(self, scenario: Scenario, trials: int, seed: int,
                 threads: int | None = None, backend: Backend | None = None) -> None:
        self.scenario, self.trials_n, self.seed = scenario, trials, seed
        self.threads, self.backend = threads, backend
        self.names = [c.name for c in scenario.controls]
        self.groups, self.joined = components(scenario)
        self.group_of = {k: g for g, members in enumerate(self.groups) for k in members}
        self.runs = 0
        self._cache: dict[frozenset[int], Trials] = {}
        #: (K,) expected present value of each control's cost line
        self.cost = np.zeros(len(self.names))
        if self.names:
            everything = frozenset(range(len(self.names)))
            full = self._run(everything)
            self.cost = np.array([float(full.components[n].mean()) for n in self.names])
            if len(self.groups) == 1:  # the run of every control is one of the parts
                self._cache[everything] = Trials(_net(full), _loss(full))
        base = self._run(frozenset())
        self.base = Trials(_net(base), _loss(base))

    def _run(self, subset: frozenset[int]) -> SimulationResult:
        self.runs += 1
        s = with_controls(self.scenario, [self.names[k] for k in subset])
        return simulate(s, trials=self.trials_n, seed=self.seed, threads=self.threads,
                        store_trials=True, backend=self.backend, controls=False)

    def _part(self, subset: frozenset[int]) -> Trials:
        """The trials of a run with exactly ``subset`` active (within one component)."""
        if not subset:
            return self.base
        hit = self._cache.get(subset)
        if hit is not None:
            return hit
        r = self._run(subset)
        t = Trials(_net(r), _loss(r))
        if len(self.groups[self.group_of[next(iter(subset))]]) <= CACHE_LIMIT:
            self._cache[subset] = t
        return t

    def __call__(self, subset: Iterable[int]) -> Trials:
        """Net savings and total risk loss per trial with the controls ``subset`` active."""
        subset = frozenset(subset)
        parts = [frozenset(k for k in subset if self.group_of[k] == g)
                 for g in sorted({self.group_of[k] for k in subset})]
        if len(parts) <= 1:
            return self._part(subset)
        net, loss = self.base.net.copy(), self.base.loss.copy()
        for p in parts:
            t = self._part(p)
            net += t.net - self.base.net
            loss += t.loss - self.base.loss
        return Trials(net, loss)


def objective_value(net: np.ndarray, objective: str) -> float:
    """The objective of one portfolio's net savings (n,): mean or cvar5 (currency) or
    prob_loss (a probability).
    """
    if objective == "mean":
        return float(net.mean())
    if objective == "cvar5":
        return expected_shortfall(net, ALPHA)
    if objective == "prob_loss":
        return float(np.count_nonzero(net < 0)) / net.size
    raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)} (got {objective!r})")


def _better(objective: str) -> float:
    """+1 where larger is better, -1 where smaller is (P(loss))."""
    return -1.0 if objective == "prob_loss" else 1.0


def cvar_influence(x: np.ndarray, alpha: float = ALPHA) -> np.ndarray:
    """(n,) influence function of the lower-tail mean (CVaR) of ``x`` at each trial:
    (x - q) 1{x <= q} / alpha + q - ES, q the alpha-quantile, ES the CVaR (currency).
    """
    k = min(max(int(math.ceil(alpha * x.size)), 1), x.size)
    q = float(np.partition(x, k - 1)[k - 1])
    es = expected_shortfall(x, alpha)
    return np.where(x <= q, (x - q) / alpha, 0.0) + q - es


def paired_stderr(a: np.ndarray, b: np.ndarray, objective: str) -> float:
    """Monte Carlo standard error of objective(a) - objective(b) for two portfolios' net
    savings on the same trials (n,) each: sd of the per-trial difference of the means,
    loss indicators or CVaR influence functions, over sqrt(n).
    """
    if objective == "mean":
        d = a - b
    elif objective == "prob_loss":
        d = (a < 0).astype(np.float64) - (b < 0)
    elif objective == "cvar5":
        d = cvar_influence(a) - cvar_influence(b)
    else:
        raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}")
    return float(d.std(ddof=1) / math.sqrt(d.size)) if d.size > 1 else 0.0


@dataclass
class Point:
    """One evaluated portfolio: its controls, expected cost (present value) and figures."""

    subset: frozenset[int]
    cost: float
    mean: float
    cvar5: float
    prob_loss: float
    tolerance: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def value(self, objective: str) -> float:
        """The point's figure named ``objective`` (e.g. "mean", "prob_loss")."""
        return getattr(self, objective)

    @property
    def passes(self) -> bool:
        """Whether the point meets the risk tolerance (True where none is set)."""
        return self.tolerance is None or bool(self.tolerance["pass"])


def _tolerance(scenario: Scenario, t: Trials) -> dict[str, Any] | None:
    tol = scenario.tolerance
    if tol is None:
        return None
    out: dict[str, Any] = {}
    ok = True
    if tol.max_prob_loss is not None:
        p = float(np.count_nonzero(t.net < 0)) / t.net.size
        out["prob_loss"] = p
        ok &= p <= tol.max_prob_loss
    for pt in tol.loss_exceedance:
        p = float(np.count_nonzero(t.loss > pt.loss)) / t.loss.size
        out[f"P(risk loss > {pt.loss:g})"] = p
        ok &= p <= pt.max_probability
    out["pass"] = bool(ok)
    return out


def evaluate_point(evaluator: Evaluator, subset: Iterable[int]) -> Point:
    """Figures of one portfolio (see :class:`Point`)."""
    subset = frozenset(subset)
    t = evaluator(subset)
    return Point(subset, float(sum(evaluator.cost[k] for k in subset)), float(t.net.mean()),
                 expected_shortfall(t.net, ALPHA),
                 float(np.count_nonzero(t.net < 0)) / t.net.size,
                 _tolerance(evaluator.scenario, t))


def frontier(points: Sequence[Point], objective: str) -> list[Point]:
    """The efficient portfolios: none cheaper or as cheap does better on ``objective``.
    Sorted by cost.
    """
    sign = _better(objective)
    out: list[Point] = []
    for p in sorted(points, key=lambda p: (p.cost, -sign * p.value(objective), len(p.subset))):
        if not out or sign * p.value(objective) > sign * out[-1].value(objective):
            out.append(p)
    return out


def _search(evaluator: Evaluator, objective: str, feasible: Callable[[Point], bool],
            method: str) -> tuple[list[Point], str]:
    """Every subset (exhaustive) or a greedy search with swaps; returns the points seen."""
    k = len(evaluator.names)
    if method == "exhaustive":
        pts = [evaluate_point(evaluator, s) for r in range(k + 1)
               for s in itertools.combinations(range(k), r)]
        return pts, f"exhaustive: all {2 ** k} subsets of {k} controls"
    seen: dict[frozenset[int], Point] = {}

    def at(s: frozenset[int]) -> Point:
        if s not in seen:
            seen[s] = evaluate_point(evaluator, s)
        return seen[s]

    sign = _better(objective)

    def score(p: Point) -> float:
        return sign * p.value(objective) if feasible(p) else -math.inf

    current: frozenset[int] = frozenset()
    moves = 0
    while True:
        options = [current | {i} for i in range(k) if i not in current]
        options += [current - {j} for j in current]
        options += [(current - {j}) | {i} for j in current for i in range(k) if i not in current]
        best = max(options, key=lambda s: (score(at(s)), -at(s).cost), default=None)
        if best is None or score(at(best)) <= score(at(current)):
            break
        current, moves = best, moves + 1
    return list(seen.values()) or [at(current)], (
        f"greedy with swaps: {moves} moves, {len(seen)} of {2 ** k} subsets evaluated "
        "(not guaranteed optimal)")


def optimize(scenario: Scenario, budget: float | None = None, objective: str = "mean",
             respect_tolerance: bool = False, trials: int = 100_000,
             seed: int = DEFAULT_SEED, threads: int | None = None,
             backend: Backend | None = None, method: str = "auto") -> dict[str, Any]:
    """Choose the subset of the scenario's controls that maximises ``objective`` (mean or
    cvar5 of net savings, currency; or minimises prob_loss) with an expected control cost
    (present value, currency) of at most ``budget`` (None: no limit), and, with
    ``respect_tolerance``, passing the scenario's ``[tolerance]``.

    method : "exhaustive" (every subset), "greedy" (with swaps) or "auto" (exhaustive up to
        :data:`EXHAUSTIVE_LIMIT` controls); with ``[[choices]]``, for every combination of
        their options.
    Returns the frontier (cost against objective, each point with its paired difference from
    the chosen portfolio and its standard error), the chosen portfolio and its paired margin
    over the second best, the search used and the number of runs. Bit-identical for the same
    scenario and seed whatever ``threads`` or ``backend``.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)} (got {objective!r})")
    if not scenario.controls and not scenario.choices:
        raise ValueError("the scenario declares no [[controls]] or [[choices]] to choose from")
    if respect_tolerance and scenario.tolerance is None:
        raise ValueError("--respect-tolerance needs a [tolerance] in the scenario")
    correlated = [p for c in scenario.correlations for p in c.inputs if p.startswith("controls[")]
    if correlated:
        raise ValueError(f"{correlated[0]} is correlated with other inputs: a portfolio without "
                         "that control would change the others' draws, so controls whose cost "
                         "is correlated cannot be optimised; drop the correlation to optimise")
    if budget is not None and not budget >= 0:
        raise ValueError(f"budget must be >= 0 (got {budget:g})")
    if method == "auto":
        method = "exhaustive" if len(scenario.controls) <= EXHAUSTIVE_LIMIT else "greedy"
    if method not in ("exhaustive", "greedy"):
        raise ValueError(f"method must be auto, exhaustive or greedy (got {method!r})")

    def feasible(p: Point) -> bool:
        return (budget is None or p.cost <= budget * (1 + 1e-12)) and \
            (not respect_tolerance or p.passes)

    # One evaluator (its own base run) per combination of the choices' options.
    combos = combinations(scenario)
    evaluators: list[Evaluator] = []
    points: list[Point] = []
    for i, picks in enumerate(combos):
        variant = resolve(scenario, picks) if scenario.choices else scenario
        ev = Evaluator(variant, trials, seed, threads, backend)
        found, how = _search(ev, objective, feasible, method)
        for p in found:
            p.extra = {"option": i}
        evaluators.append(ev)
        points += found
    ev = evaluators[0]
    sign = _better(objective)
    ok = sorted((p for p in points if feasible(p)),
                key=lambda p: (-sign * p.value(objective), p.cost, p.extra["option"],
                               sorted(p.subset)))
    if not ok:
        raise ValueError("no portfolio of controls meets the budget"
                         + (" and the tolerance, not even buying none" if respect_tolerance
                            else ""))
    chosen, second = ok[0], (ok[1] if len(ok) > 1 else None)

    def trials_of(p: Point) -> np.ndarray:
        return evaluators[p.extra["option"]](p.subset).net

    best = trials_of(chosen)
    eligible = [p for p in points if not respect_tolerance or p.passes]

    def row(p: Point) -> dict[str, Any]:
        same = p is chosen
        net = best if same else trials_of(p)
        diff = sign * (p.value(objective) - chosen.value(objective))
        out = {"controls": [ev.names[k] for k in sorted(p.subset)]}
        if scenario.choices:
            out["choices"] = combos[p.extra["option"]]
        return {**out, "cost": p.cost, "mean": p.mean, "cvar5": p.cvar5,
                "prob_loss": p.prob_loss,
                "within_budget": budget is None or p.cost <= budget * (1 + 1e-12),
                "tolerance": p.tolerance, "difference_from_chosen": diff,
                "difference_stderr": 0.0 if same else paired_stderr(net, best, objective)}

    out = {"scenario": scenario.name, "currency": scenario.scenario.currency,
           "horizon_years": scenario.scenario.horizon_years, "trials": trials, "seed": seed,
           "objective": objective, "budget": budget, "respect_tolerance": respect_tolerance,
           "method": how + (f", for each of {len(combos)} combinations of options"
                            if scenario.choices else ""),
           "components": [[ev.names[k] for k in g] for g in ev.groups],
           "components_joined_by_exit": ev.joined,
           "controls": [{"name": n, "cost": float(c)}
                        for n, c in zip(ev.names, ev.cost, strict=False)],
           "choices": [{"name": c.name, "options": [o.name for o in c.options]}
                       for c in scenario.choices],
           "frontier": [row(p) for p in frontier(eligible, objective)],
           "chosen": row(chosen), "second_best": None,
           "error_method": {"mean": "sd of the paired per-trial difference / sqrt(n)",
                            "prob_loss": "sd of the paired difference of loss indicators / "
                                         "sqrt(n)",
                            "cvar5": "sd of the paired difference of the CVaR influence "
                                     "functions / sqrt(n) (delta method)"}[objective]}
    if second is not None:
        r = row(second)
        r["margin"] = -r["difference_from_chosen"]  # how much better the chosen one is
        out["second_best"] = r
    out["runs"] = sum(e.runs for e in evaluators)
    return out
