"""What the decision report says, as plain strings and rows, shared by the HTML and PDF forms.

Everything here is computed from the run's summary dictionary (``summary.json``), its
:class:`~simulator.chartdata.ChartData` and the :class:`~simulator.scenario.Scenario`; never from
trial arrays, so a report costs the same for a thousand trials or a billion.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..compiled import CompiledModel, compile_scenario, quote
from ..distributions import Distribution
from ..plots.style import format_money, format_percent, years
from ..scenario import Scenario

Z95 = 1.959963984540054


# --- the decision in one sentence ------------------------------------------------------------

def decision_sentence(summary: dict[str, Any]) -> str:
    """The finding in one sentence, from the numbers: expected net savings, the chance of a
    loss and the mean of the worst 5% of trials, e.g. "Financial research team to Manila: the
    move saves $1.9M over 3 years on average; in 12% of trials it loses money; in the worst 5%
    of trials it loses $0.6M on average." Amounts are present values."""
    ns, cur = summary["net_savings"], summary["currency"]
    horizon = years(summary["horizon_years"])
    mean, p_loss, cvar = ns["mean"], ns["prob_loss"], ns["cvar_5"]
    verb = "saves" if mean >= 0 else "loses"
    first = f"{summary['scenario']}: the move {verb} {format_money(abs(mean), cur)} over " \
            f"{horizon} on average"
    if p_loss <= 0.0:
        second = f"it saved money in all {summary['trials']:,} trials"
    elif p_loss >= 1.0:
        second = "it loses money in every trial"
    else:
        second = f"in {format_percent(p_loss)} of trials it loses money"
    if cvar < 0:
        third = f"in the worst 5% of trials it loses {format_money(-cvar, cur)} on average"
    else:
        third = f"even in the worst 5% of trials it still saves {format_money(cvar, cur)} " \
                "on average"
    engagement = summary.get("engagement")
    if engagement and engagement["exit_share"] > 0:
        third += (f"; the engagement ends early in {format_percent(engagement['exit_share'])} "
                  f"of trials")
    return f"{first}; {second}; {third}."


# --- headline figures with their Monte Carlo error -------------------------------------------

@dataclass(frozen=True)
class Headline:
    """One headline figure: label, formatted value, its 95% Monte Carlo error (formatted, or
    "" when not estimated) and what it means in plain words."""

    key: str
    label: str
    value: str
    error: str
    meaning: str


def _pm_money(half: float, cur: str) -> str:
    return f"± {format_money(abs(half), cur)}"


def money_to_error(x: float, half: float, currency: str) -> str:
    """``x`` with as many digits as its 95% half-width ``half`` supports (never fewer than
    :func:`format_money` gives): 2,998,123 with half-width 2,500 is "$2.998M"."""
    if not (math.isfinite(half) and half > 0):
        return format_money(x, currency)
    mag = abs(x)
    scale = next((k for k in (1e12, 1e9, 1e6, 1e3) if mag >= k), 1.0)
    usual = 1 if scale > 1 and mag / scale < 100 else 0
    digits = min(max(math.ceil(math.log10(scale / half)), usual), 3)
    return format_money(x, currency, digits)


def percent_to_error(p: float, half_points: float) -> str:
    """A probability as a percentage with as many decimals as its 95% half-width (in
    percentage points) supports: 0.0243 with half-width 0.024 points is "2.43%"."""
    if not (0.0 < p < 1.0 and math.isfinite(half_points) and half_points > 0):
        return format_percent(p)
    digits = min(max(math.ceil(-math.log10(half_points)), 0), 3)
    return f"{p * 100:.{digits}f}%"


def headline_figures(summary: dict[str, Any]) -> list[Headline]:
    """Mean, chance of a loss, P5/P50/P95, mean of the worst 5% and gross wage savings, each
    with the half-width of its 95% interval (1.96 standard errors; order-statistic intervals
    for percentiles), and given to the digits that half-width supports."""
    ns, cur = summary["net_savings"], summary["currency"]
    ci = ns.get("percentile_ci95", {})

    def money(x: float, half: float) -> tuple[str, str]:
        return (money_to_error(x, half, cur),
                _pm_money(half, cur) if math.isfinite(half) else "")

    def pct(p: str) -> tuple[str, str]:
        lo, hi = ci.get(p, (math.nan, math.nan))
        return money(ns[p], (hi - lo) / 2)

    p_err = Z95 * ns["prob_loss_stderr"] * 100
    cvar_half = Z95 * ns.get("cvar_5_stderr", math.nan)
    gross = summary["gross_wage_savings"]
    return [
        Headline("mean", "Expected net savings", *money(ns["mean"], Z95 * ns["stderr"]),
               "Average over all trials"),
        Headline("prob_loss", "Chance of a net loss", percent_to_error(ns["prob_loss"], p_err),
               f"± {p_err:.2g} points" if p_err >= 0.01 else "± <0.01 points",
               "Share of trials in which the move loses money"),
        Headline("p5", "P5 net savings", *pct("p5"), "1 trial in 20 does worse than this"),
        Headline("p50", "Median net savings (P50)", *pct("p50"),
               "Half the trials do better, half worse"),
        Headline("p95", "P95 net savings", *pct("p95"), "1 trial in 20 does better than this"),
        Headline("cvar_5", "Mean of the worst 5% (CVaR)", *money(ns["cvar_5"], cvar_half),
               "Average of the worst 1-in-20 outcomes"),
        Headline("gross", "Gross wage savings (mean)",
               *money(gross["mean"], Z95 * gross["stderr"]),
               "Wage bill saved, before costs and risk losses"),
        *_engagement_figures(summary),
    ]


def _engagement_figures(summary: dict[str, Any]) -> list[Headline]:
    """The chance that an exit ends the engagement early and the years it runs, for a
    scenario with a risk that ends it (docs/model.md)."""
    g = summary.get("engagement")
    if not g:
        return []
    err = Z95 * g["exit_share_stderr"] * 100
    return [
        Headline("exit_share", "Chance the engagement ends early",
                 percent_to_error(g["exit_share"], err),
                 f"± {err:.2g} points" if err >= 0.01 else "± <0.01 points",
                 "Share of trials in which an exit event ends the deal"),
        Headline("years_run", "Years the engagement runs (mean)",
                 f"{g['mean_years_run']:.2f} of {summary['horizon_years']}", "",
                 "After an exit the wage savings stop: see 'Lost to early exit'"),
    ]


@dataclass(frozen=True)
class ComponentRow:
    name: str
    category: str
    mean: str
    error: str
    p5: str
    p95: str


def component_rows(summary: dict[str, Any]) -> list[ComponentRow]:
    """Each cost line and risk: mean cost with its 95% error, P5 and P95 (positive = money
    lost), in the order of the scenario file."""
    cur = summary["currency"]
    return [ComponentRow(name, c["category"], format_money(c["mean"], cur),
                         _pm_money(Z95 * c["stderr"], cur), format_money(c["p5"], cur),
                         format_money(c["p95"], cur))
            for name, c in summary["components"].items()]


# --- assumptions: every input with its distribution in words -----------------------------------

@dataclass(frozen=True)
class Assumption:
    """One input of the scenario: its parameter path, a readable label, the distribution in
    words, and its P5 / P50 / P95 formatted in the input's unit."""

    path: str
    group: str
    label: str
    words: str
    p5: str
    p50: str
    p95: str


Fmt = Callable[[float], str]


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"


def _units(cur: str) -> dict[str, Fmt]:
    return {
        "money": lambda v: format_money(v, cur),
        "percent": lambda v: f"{v * 100:.3g}%",
        "months": lambda v: f"{v:.3g} months",
        "fte": lambda v: f"{_num(v)} FTE",
        "events": lambda v: f"{v:.3g}",
        "number": _num,
    }


def _drawn(d: Distribution, f: Fmt) -> str:
    """An uncertain parameter's distribution in words, to follow "drawn per trial: "."""
    words = in_words(d, f)
    return words[0].lower() + words[1:]


def _lognormal_words(d: Any, f: Fmt) -> str:
    if d.scale_distribution() is not None:
        return f"Lognormal, log-sd {d.sigma:.3g}, log-median drawn per trial: {_drawn(d.mu, _num)}"
    if d.low is not None:
        conf = 0.9 if d.confidence is None else d.confidence
        return f"Lognormal, {conf:.0%} between {f(d.low)} and {f(d.high)}"
    return f"Lognormal, median {f(math.exp(d.mu))}, log-sd {d.sigma:.3g}"


def _normal_words(d: Any, f: Fmt) -> str:
    text = f"Normal, mean {f(d.mean_)}, sd {f(d.sd)}"
    if d.min is not None and d.max is not None:
        return text + f", truncated to {f(d.min)}–{f(d.max)}"
    if d.min is not None:
        return text + f", truncated below at {f(d.min)}"
    if d.max is not None:
        return text + f", truncated above at {f(d.max)}"
    return text


def _listed(values: list[float], f: Fmt, limit: int = 6) -> str:
    shown = ", ".join(f(v) for v in values[:limit])
    return shown + (f" … ({len(values)} values)" if len(values) > limit else "")


#: Distribution family -> its description in words, given a formatter for the input's unit.
WORDS: dict[str, Callable[[Any, Fmt], str]] = {
    "constant": lambda d, f: f"Fixed at {f(d.value)}",
    "uniform": lambda d, f: f"Uniform between {f(d.min)} and {f(d.max)}",
    "triangular": lambda d, f: f"Triangular, {f(d.min)} to {f(d.max)}, most likely {f(d.mode)}",
    "pert": lambda d, f: f"PERT, {f(d.min)} to {f(d.max)}, most likely {f(d.mode)}"
                         + ("" if d.lambda_ == 4 else f", lambda = {d.lambda_:g}"),
    "normal": _normal_words,
    "lognormal": _lognormal_words,
    "beta": lambda d, f: f"Beta(a = {d.a:g}, b = {d.b:g}) scaled to {f(d.min)}–{f(d.max)}",
    "gamma": lambda d, f: (f"Gamma, shape {d.shape:g}, scale {f(d.scale)}"
                           if d.scale_distribution() is None else
                           f"Gamma, shape {d.shape:g}, scale drawn per trial: "
                           f"{_drawn(d.scale, f)}"),
    "poisson": lambda d, f: f"Poisson, mean {_rate_words(d, f)}",
    "bernoulli": lambda d, f: (f"Happens with probability {d.p:.3g} (1 if it does, else 0)"
                               if d.rate_distribution() is None else
                               f"Happens with a probability drawn per trial: "
                               f"{in_words(d.rate_distribution(), _num)}"),
    "negative_binomial": lambda d, f: f"Negative binomial, mean {_rate_words(d, f)}, "
                                      f"dispersion {d.dispersion:g}",
    "discrete": lambda d, f: f"One of {_listed(d.values, f)}"
                             + ("" if d.weights is None else ", weighted"),
    "empirical": lambda d, f: f"Resampled from {len(d.values):,} observations",
}


def _rate_words(d: Any, f: Fmt) -> str:
    """A count's mean: a number, a distribution drawn per trial, or a learned posterior."""
    rate = d.rate_distribution()
    if rate is None:
        return f(d.mean_)
    if getattr(d, "prior", None) is not None:
        return f"learned from {d.history()}: {_drawn(rate, f)}"
    return f"drawn per trial: {_drawn(rate, f)}"


def in_words(d: Distribution, fmt: Fmt = _num) -> str:
    """A distribution in words, its values formatted with ``fmt`` (the input's unit):
    "PERT, $20K to $60K, most likely $35K". Unknown families fall back to ``describe()``."""
    words = WORDS.get(getattr(d, "dist", ""))
    return words(d, fmt) if words is not None else d.describe()


_WORKFORCE = {  # key -> (label, unit)
    "onshore_fte": ("Onshore staff", "fte"),
    "onshore_cost_per_fte": ("Onshore cost per FTE, per year (fully loaded)", "money"),
    "offshore_fte": ("Offshore staff", "fte"),
    "offshore_cost_per_fte": ("Offshore cost per FTE, per year", "money"),
    "onshore_cost_growth": ("Onshore cost growth, per year", "percent"),
    "offshore_cost_growth": ("Offshore cost growth, per year", "percent"),
    "ramp_up_months": ("Ramp-up (both teams paid)", "months"),
}
_SHARE_OF = {"offshore_cost": "the offshore cost", "onshore_cost": "the onshore cost",
             "gross_savings": "gross wage savings"}
_PATH = re.compile(r'^(costs|controls|risks)\[(".*")\]\.(\w+)$')


def _input_label(s: Scenario, path: str) -> tuple[str, str, str]:
    """(group, label, unit) of a compiled input's parameter path."""
    if path.startswith("workforce."):
        label, unit = _WORKFORCE.get(path.split(".", 1)[1], (path, "number"))
        return "Workforce", label, unit
    if path.startswith("risks[") and ".frequency." in path:
        name = next(r.name for r in s.risks if path.startswith(f"risks[{quote(r.name)}]"))
        return "Risks", f"{name}: rate (events per year), drawn per trial", "events"
    if path.startswith("risks[") and ".severity." in path:
        name = next(r.name for r in s.risks if path.startswith(f"risks[{quote(r.name)}]"))
        unit = "number" if path.endswith(".mu") else "money"
        return "Risks", f"{name}: loss size ({path.rsplit('.', 1)[1]}), drawn per trial", unit
    m = _PATH.match(path)
    if m is None:
        return "Other", path, "number"
    section, quoted, field = m.groups()
    if section == "risks":
        risk = next(r for r in s.risks if quote(r.name) == quoted)
        labels = {"reentry_cost": (f"{risk.name}: cost of taking the work back, once",
                                   "money"),
                  "reentry_ramp_months": (f"{risk.name}: months of re-entry overrun", "months"),
                  "reentry_overrun": (f"{risk.name}: re-entry overrun on the onshore bill",
                                      "percent")}
        label, unit = labels.get(field, (f"{risk.name}: {field}", "number"))
        return "Risks", label, unit
    if section == "costs":
        cost = next(c for c in s.costs if quote(c.name) == quoted)
        when = (f"once, in year {cost.year or 1}" if cost.timing == "once" else "per year")
        labels = {"amount": (f"{cost.name}: amount, {when}", "money"),
                  "share": (f"{cost.name}: share of {_SHARE_OF.get(cost.share_of, '')}, {when}",
                            "percent"),
                  "growth": (f"{cost.name}: growth, per year", "percent")}
        label, unit = labels.get(field, (f"{cost.name}: {field}", "number"))
        return "Cost lines", label, unit
    control = next(c for c in s.controls if quote(c.name) == quoted)
    if field == "cost":
        when = "once" if control.timing == "once" else "per year"
        return "Controls", f"{control.name}: cost, {when}", "money"
    return "Controls", f"{control.name}: {field}", "percent" if field == "growth" else "number"


@dataclass(frozen=True)
class DealTerm:
    """One model-0.2 term of a scenario in words: what it applies to and what it does."""

    subject: str
    term: str
    words: str


def deal_terms(s: Scenario) -> list[DealTerm]:
    """The terms that shape how the deal unfolds (docs/model.md): which risks end the
    engagement and how, recovery layers, in-house risks, secondary losses, raises and the
    provider currency, in words, for the report. Empty for a scenario without them."""
    cur = s.scenario.currency
    out: list[DealTerm] = []
    if s.fx is not None:
        fx = s.fx
        out.append(DealTerm(
            "Provider contract", "currency",
            f"{fx.currency} at {fx.rate:g} per {cur} at the start; the rate drifts "
            f"{fx.drift:+.1%} a year with {fx.annual_volatility:.1%} yearly volatility "
            f"(lognormal path per trial); {s.workforce.offshore_currency_share:.0%} of the "
            f"provider charge is repriced at each year's rate"))
    timing = {"end": "at the end of the event's year (that year's savings count)",
              "start": "at the start of the event's year",
              "uniform": "at a uniform point in the event's year (pro rata)"}
    for r in s.risks:
        money = r.currency or cur
        if r.ends_engagement:
            words = (f"its first event ends the engagement {timing[r.timing]}: wage savings, "
                     "provider fees and provider-side risks stop")
            if r.reentry_cost is not None:
                words += f"; re-entry costs {in_words(r.reentry_cost)} {money} once"
            if r.reentry_ramp_months is not None:
                overrun = in_words(r.reentry_overrun) if r.reentry_overrun is not None else "0"
                words += (f"; for some months after it ({in_words(r.reentry_ramp_months)}) "
                          f"the work costs the onshore bill times 1 + the overrun ({overrun})")
            out.append(DealTerm(r.name, "ends the engagement", words))
        if r.side == "in_house":
            out.append(DealTerm(r.name, "in-house risk", "borne if the work stays onshore: "
                                "avoided (a saving) while the engagement runs, borne again "
                                "after an exit"))
        for layer in r.layers:
            limit = f", at most {layer.limit:,.0f} {money}" if layer.limit is not None else ""
            out.append(DealTerm(r.name, f"recovery per {layer.per}",
                                f"{layer.share:.0%} of each {layer.per}'s loss above "
                                f"{layer.deductible:,.0f} {money}{limit}, as income"))
        if r.secondary is not None:
            out.append(DealTerm(r.name, "secondary loss",
                                f"each event causes, with probability "
                                f"{r.secondary.probability:.0%}, a further loss of "
                                f"{in_words(r.secondary.severity)} {money}"))
        for link in r.raises:
            years_word = "year" if link.years == 1 else f"{link.years} years"
            out.append(DealTerm(r.name, "raises", f"a year with an event multiplies the rate "
                                f"of {link.risk!r} by {link.factor:g} for the next "
                                f"{years_word}"))
        if r.currency is not None and r.currency != cur:
            out.append(DealTerm(r.name, "currency", f"severities, caps and recovery terms in "
                                f"{r.currency}, converted at each year's rate"))
    for c in s.costs:
        if c.currency is not None and c.currency != cur:
            out.append(DealTerm(c.name, "currency", f"amount in {c.currency}, converted at "
                                "each year's rate"))
        if c.stops_at_exit is not None:
            out.append(DealTerm(c.name, "at an exit", "stops" if c.stops else "continues"))
    return out


def _in_provider_currency(s: Scenario, path: str) -> bool:
    """Whether the money input at ``path`` is in the [fx] currency: the provider charge per
    FTE, and the amounts of cost lines and risks declared in that currency."""
    if s.fx is None:
        return False
    if path == "workforce.offshore_cost_per_fte":
        return True
    return any(path.startswith(f"{section}[{quote(x.name)}]") and x.currency == s.fx.currency
               for section, items in (("costs", s.costs), ("risks", s.risks)) for x in items)


def assumptions(s: Scenario, model: CompiledModel | None = None) -> list[Assumption]:
    """Every input of the scenario: the compiled model's inputs (workforce, cost lines,
    controls) in their order, then each risk's frequency (events a year) and severity (loss
    per event), each with its distribution in words and its P5, P50 and P95. ``model`` is
    the scenario compiled (the run's; compiled here if not given)."""
    units = _units(s.scenario.currency)
    if s.fx is not None:  # amounts in the provider contract's currency
        units["fxmoney"] = lambda v: format_money(v, s.fx.currency)
    model = model if model is not None else compile_scenario(s)
    items: list[tuple[str, str, str, str, Distribution]] = []
    for path, dist in zip(model.input_names, model.input_dists):
        group, label, unit = _input_label(s, path)
        if unit == "money" and _in_provider_currency(s, path):
            unit = "fxmoney"
        items.append((path, group, label, unit, dist))
    for r in s.risks:
        base = f"risks[{quote(r.name)}]"
        items.append((f"{base}.frequency", "Risks", f"{r.name}: events per year", "events",
                      r.frequency))
        money = r.currency or s.scenario.currency
        cap = f" (capped at {format_money(r.cap_per_event, money)} per event)" \
            if r.cap_per_event is not None else ""
        items.append((f"{base}.severity", "Risks", f"{r.name}: loss per event{cap}",
                      "fxmoney" if _in_provider_currency(s, base) else "money", r.severity))
    rows = []
    for path, group, label, unit, dist in items:
        f = units[unit]
        q = [float(v) for v in dist.quantile([0.05, 0.5, 0.95])]
        rows.append(Assumption(path, group, label, in_words(dist, f), f(q[0]), f(q[1]), f(q[2])))
    return rows


# --- provenance ---------------------------------------------------------------------------------

def reproduce_command(summary: dict[str, Any], scenario_file: str = "scenario.toml") -> str:
    """The command that reruns this exact run (same trials, seed and statistics); for a
    scenario built in Python (kept as JSON), the Python call."""
    prov = summary.get("provenance", {})
    precision = summary.get("precision")
    trials = precision["max_trials"] if precision else summary["trials"]
    if scenario_file.endswith(".json"):
        return (f"python -c \"import json; from simulator import scenario_from_dict, simulate; "
                f"simulate(scenario_from_dict(json.load(open('{scenario_file}'))), "
                f"trials={trials}, seed={summary['seed']})\"")
    parts = ["kposim", "run", scenario_file, "--trials", str(trials), "--seed",
             str(summary["seed"])]
    if precision:
        parts += ["--precision", str(precision.get("spec", precision["target"]))]
    if prov.get("statistics") == "streaming":
        parts += ["--statistics", "streaming"]
    if prov.get("sampling", "mc") != "mc":
        parts += ["--sampling", str(prov["sampling"])]
    return " ".join(parts)


SAMPLING_WORDS = {"mc": "plain Monte Carlo",
                  "lhs": "Latin hypercube over the per-trial inputs, one replicate per chunk",
                  "sobol": "scrambled Sobol points over the per-trial inputs, one replicate "
                           "per chunk"}


def correlation_rows(summary: dict[str, Any]) -> list[tuple[str, str, float]]:
    """(input, input, rank correlation) of every correlated pair the run used, strongest
    first; empty when the scenario declares no correlations."""
    used = summary.get("correlations")
    if not used:
        return []
    names, m = used["inputs"], used["rank"]
    rows = [(names[i], names[j], float(m[i][j])) for i in range(len(names))
            for j in range(i + 1, len(names)) if m[i][j] != 0]
    return sorted(rows, key=lambda r: -abs(r[2]))


def provenance_items(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs for the provenance footer."""
    prov = summary.get("provenance", {})
    items = [("kposim version", str(prov.get("version", "unknown"))),
             ("Seed", str(summary["seed"])),
             ("Trials", f"{summary['trials']:,}"),
             ("Statistics", str(prov.get("statistics", "exact"))),
             ("Scenario SHA-256", str(prov.get("scenario_sha256", ""))),
             ("Run date (UTC)", str(prov.get("created", ""))),
             ("Random numbers", f"{prov.get('bit_generator', '')}, chunks of "
                                f"{prov.get('chunk_size', 0):,} trials"),
             ("Sampling design", SAMPLING_WORDS.get(prov.get("sampling", "mc"),
                                                    str(prov.get("sampling")))),
             ("Discounting", f"{summary['discount_rate'] * 100:.3g}% a year, cash flows at the "
                             f"{summary['cash_flow_timing']} of each year"),
             ("Software", f"numpy {prov.get('numpy', '?')}, numba {prov.get('numba', '?')}")]
    return items
