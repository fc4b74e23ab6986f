"""What the decision report says, as plain strings and rows, shared by the HTML and PDF forms.

Everything here is computed from the run's summary dictionary (``summary.json``), its
:class:`~simulator.results.chartdata.ChartData` and the
:class:`~simulator.scenario.model.Scenario`; never from trial arrays, so a report costs the same
for a thousand trials or a billion.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulator.distributions.base import Distribution
from simulator.present.formatting import (
    format_error,
    format_money,
    format_percent,
    format_points,
    format_signed_percent,
    format_value,
    years,
)
from simulator.results.mcerror import Z95
from simulator.scenario.compiled import CompiledModel, compile_scenario, quote
from simulator.scenario.labels import label
from simulator.scenario.model import Scenario

# --- the decision in one sentence ------------------------------------------------------------

def decision_sentence(summary: dict[str, Any]) -> str:
    """The finding in one sentence, from the numbers: expected net savings, the chance of a
    loss and the mean of the worst 5% of trials, e.g. "Financial research team to Manila: the
    move saves $1.9M over 3 years on average; in 12% of trials it loses money; in the worst 5%
    of trials it loses $0.6M on average." Amounts are present values.
    """
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
    "" when not estimated) and what it means in plain words.
    """

    key: str
    label: str
    value: str
    error: str
    meaning: str


def money_to_error(x: float, half: float, currency: str) -> str:
    """``x`` as every figure is shown (:func:`~simulator.present.plots.style.format_money`, three
    significant figures). Kept for callers that passed the 95% half-width ``half``, which
    once set the digits; one rounding rule now holds everywhere, and the error is shown
    beside the figure (:func:`~simulator.present.plots.style.format_error`).
    """
    return format_money(x, currency)


def percent_to_error(p: float, half_points: float) -> str:
    """``p`` as every probability is shown (:func:`~simulator.present.plots.style.format_percent`);
    see :func:`money_to_error`.
    """
    return format_percent(p)


def mean_half_width(figures: dict[str, Any]) -> float:
    """Half-width of a mean's 95% interval as ``summary.json`` records it (``ci95``: batch
    means with Student's t for Latin hypercube and Sobol designs, 1.96 standard errors of
    independent trials otherwise); 1.96 standard errors where no interval is recorded.
    """
    ci = figures.get("ci95")
    if ci is not None and len(ci) == 2 and all(math.isfinite(v) for v in ci):
        return (ci[1] - ci[0]) / 2
    return Z95 * figures.get("stderr", math.nan)


def probability_half_width(figures: dict[str, Any], key: str = "prob_loss") -> float:
    """Half-width in percentage points of a probability's 95% interval: 1.96 standard errors
    (``summary.json`` records each probability with its standard error).
    """
    return Z95 * figures.get(f"{key}_stderr", math.nan) * 100


def headline_figures(summary: dict[str, Any]) -> list[Headline]:
    """Mean, chance of a loss, P5/P50/P95, mean of the worst 5% and gross wage savings, each
    with the half-width of its 95% interval, exactly the intervals of ``summary.json`` (so a
    Latin hypercube or Sobol run shows its batch-means interval). One rounding rule: values to
    three significant figures, half-widths to two (:mod:`simulator.present.plots.style`).
    """
    ns, cur = summary["net_savings"], summary["currency"]
    ci = ns.get("percentile_ci95", {})

    def money(x: float, half: float) -> tuple[str, str]:
        return format_money(x, cur), format_error(half, cur) if math.isfinite(half) else ""

    def pct(p: str) -> tuple[str, str]:
        lo, hi = ci.get(p, (math.nan, math.nan))
        return money(ns[p], (hi - lo) / 2)

    cvar_half = Z95 * ns.get("cvar_5_stderr", math.nan)
    gross = summary["gross_wage_savings"]
    return [
        Headline("mean", "Expected net savings", *money(ns["mean"], mean_half_width(ns)),
                 "Average over all trials"),
        Headline("prob_loss", "Chance of a net loss", format_percent(ns["prob_loss"]),
                 format_points(probability_half_width(ns)),
                 "Share of trials in which the move loses money"),
        Headline("p5", "P5 net savings", *pct("p5"), "1 trial in 20 does worse than this"),
        Headline("p50", "Median net savings (P50)", *pct("p50"),
                 "Half the trials do better, half worse"),
        Headline("p95", "P95 net savings", *pct("p95"), "1 trial in 20 does better than this"),
        Headline("cvar_5", "Mean of the worst 5% (CVaR)", *money(ns["cvar_5"], cvar_half),
                 "Average of the worst 1-in-20 outcomes"),
        Headline("gross", "Gross wage savings (mean)",
                 *money(gross["mean"], mean_half_width(gross)),
                 "Wage bill saved, before costs and risk losses"),
        *_engagement_figures(summary),
    ]


def _engagement_figures(summary: dict[str, Any]) -> list[Headline]:
    """The chance that an exit ends the engagement early and the years it runs, for a
    scenario with a risk that ends it (docs/model.md).
    """
    g = summary.get("engagement")
    if not g:
        return []
    return [
        Headline("exit_share", "Chance the engagement ends early",
                 format_percent(g["exit_share"]),
                 format_points(probability_half_width(g, "exit_share")),
                 "Share of trials in which an exit event ends the deal"),
        Headline("years_run", "Years the engagement runs (mean)",
                 f"{g['mean_years_run']:.3g} of {summary['horizon_years']}", "",
                 "After an exit the wage savings stop: see 'Lost to early exit'"),
    ]


def terminal_rows(summary: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The terminal's summary table: (figure, value, ± 95% error) of each key figure, as the
    report shows it (the intervals of summary.json, one rounding rule), then the mean cost of
    each category (negative = money lost).
    """
    cur = summary["currency"]
    rows = [(f.label, f.value, f.error) for f in headline_figures(summary)]
    engagement = [r for r in rows if r[0].startswith(("Chance the engagement", "Years the"))]
    rows = [r for r in rows if r not in engagement]
    for cat, cost in summary["categories"].items():
        kind = "cost" if cost >= 0 else "saving"
        rows.append((f"  {kind}: {cat.replace('_', ' ')}", format_money(-cost, cur), ""))
    return rows + engagement


def control_lines(summary: dict[str, Any]) -> list[str]:
    """One line per control: its cost, the losses it avoids, its return, and net savings with
    and without it.
    """
    cur = summary["currency"]
    out = []
    for name, k in (summary.get("controls") or {}).items():
        roc = k["return_on_control"]
        out.append(f"control {name!r}: costs {format_money(k['cost'], cur)}, avoids "
                   f"{format_money(k['loss_avoided'], cur)} of losses; return on control "
                   f"{'n/a' if roc is None else format_signed_percent(roc)}; net savings "
                   f"{format_money(k['net_savings_with'], cur)} with it, "
                   f"{format_money(k['net_savings_without'], cur)} without")
    return out


def error_note(summary: dict[str, Any]) -> str:
    """What the Monte Carlo errors beside the figures are, and the rounding rule."""
    method = summary["net_savings"].get("stderr_method")
    how = f"for the mean, {method}" if method else "1.96 standard errors for the mean"
    return (f"Monte Carlo error: half-width of the 95% interval from {summary['trials']:,} "
            f"trials, as summary.json records it ({how}; order-statistic intervals for "
            "percentiles). It measures sampling noise only, not whether the assumptions are "
            "right. Figures are given to three significant figures, errors to two.")


def tolerance_rows(summary: dict[str, Any]) -> list[tuple[str, str, str, str, bool]]:
    """(test, value, limit, margin, pass) of each risk-tolerance test, formatted by the one
    rounding rule; empty without a ``[tolerance]``.
    """
    tol = summary.get("tolerance")
    if not tol:
        return []
    cur = summary["currency"]
    rows = []
    if "prob_loss" in tol:
        t = tol["prob_loss"]
        rows.append(("Chance of a net loss", format_percent(t["value"]),
                     format_percent(t["limit"]), format_signed_percent(t["margin"]), t["pass"]))
    for t in tol.get("loss_exceedance", []):
        rows.append((f"Chance risk losses exceed {format_money(t['loss'], cur)}",
                     format_percent(t["probability"]), format_percent(t["max_probability"]),
                     format_signed_percent(t["margin"]), t["pass"]))
    return rows


@dataclass(frozen=True)
class ComponentRow:
    """One cost line or risk in the components table, its figures already formatted."""

    name: str
    category: str
    mean: str
    error: str
    p5: str
    p95: str


def component_rows(summary: dict[str, Any]) -> list[ComponentRow]:
    """Each cost line and risk: mean cost with its 95% error, P5 and P95 (positive = money
    lost), in the order of the scenario file.
    """
    cur = summary["currency"]
    return [ComponentRow(name, c["category"], format_money(c["mean"], cur),
                         format_error(Z95 * c["stderr"], cur), format_money(c["p5"], cur),
                         format_money(c["p95"], cur))
            for name, c in summary["components"].items()]


# --- assumptions: every input with its distribution in words -----------------------------------

@dataclass(frozen=True)
class Assumption:
    """One input of the scenario: its parameter path, a readable label, the distribution in
    words, and its P5 / P50 / P95 formatted in the input's unit (``unit``; ``values``: the
    three as numbers, for a workbook).
    """

    path: str
    group: str
    label: str
    words: str
    p5: str
    p50: str
    p95: str
    unit: str = "number"
    values: tuple[float, float, float] = (math.nan, math.nan, math.nan)


Fmt = Callable[[float], str]


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"


def units(cur: str) -> dict[str, Fmt]:
    """Formatters of a distribution's parameters in words, by unit: values as typed, so
    money drops trailing zeros ("$30K", not "$30.0K").
    """
    return {**_figure_units(cur), "money": lambda v: format_money(v, cur, trim=True)}


def _figure_units(cur: str) -> dict[str, Fmt]:
    """Formatters of figures (an input's P5, P50, P95) by unit: the one rounding rule."""
    return {
        "money": lambda v: format_money(v, cur),
        "percent": lambda v: f"{v * 100:.3g}%",
        "months": lambda v: f"{v:.3g} months",
        "fte": lambda v: f"{_num(v)} FTE",
        "events": lambda v: f"{v:.3g}",
        "years": lambda v: f"{v:.3g} years",
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
    "PERT, $20K to $60K, most likely $35K". Unknown families fall back to ``describe()``.
    """
    words = WORDS.get(getattr(d, "dist", ""))
    return words(d, fmt) if words is not None else d.describe()


def input_label(s: Scenario, path: str) -> tuple[str, str, str]:
    """(group, label, unit) of a compiled input's parameter path (:func:`simulator.scenario.labels.
    label`, the one labelling source).
    """
    lab = label(s, path)
    return lab.group, lab.text, lab.unit


@dataclass(frozen=True)
class DealTerm:
    """One model-0.2 term of a scenario in words: what it applies to and what it does."""

    subject: str
    term: str
    words: str


def deal_terms(s: Scenario) -> list[DealTerm]:
    """The terms that shape how the deal unfolds (docs/model.md): which risks end the
    engagement and how, recovery layers, in-house risks, secondary losses, raises and the
    provider currency, in words, for the report. Empty for a scenario without them.
    """
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
    FTE, and the amounts of cost lines and risks declared in that currency.
    """
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
    the scenario compiled (the run's; compiled here if not given).
    """
    typed, figures = units(s.scenario.currency), _figure_units(s.scenario.currency)
    if s.fx is not None:  # amounts in the provider contract's currency
        fx_currency = s.fx.currency
        typed["fxmoney"] = lambda v: format_money(v, fx_currency, trim=True)
        figures["fxmoney"] = lambda v: format_money(v, fx_currency)
    model = model if model is not None else compile_scenario(s)
    items: list[tuple[str, str, str, str, Distribution]] = []
    for path, dist in zip(model.input_names, model.input_dists, strict=False):
        group, text, unit = input_label(s, path)
        if unit == "money" and _in_provider_currency(s, path):
            unit = "fxmoney"
        items.append((path, group, text, unit, dist))
    for r in s.risks:
        base = f"risks[{quote(r.name)}]"
        items.append((f"{base}.frequency", "Risks", label(s, f"{base}.frequency").text,
                      "events", r.frequency))
        money = r.currency or s.scenario.currency
        cap = f" (capped at {format_money(r.cap_per_event, money)} per event)" \
            if r.cap_per_event is not None else ""
        items.append((f"{base}.severity", "Risks", label(s, f"{base}.severity").text + cap,
                      "fxmoney" if _in_provider_currency(s, base) else "money", r.severity))
    rows = []
    for path, group, text, unit, dist in items:
        f = figures.get(unit, _num)
        # Parameters as typed (exact: "$30K"); quantiles as figures (three significant).
        words = in_words(dist, typed.get(unit, _num))
        p5, p50, p95 = (float(v) for v in dist.quantile([0.05, 0.5, 0.95]))
        q = (p5, p50, p95)
        rows.append(Assumption(path, group, text, words, f(q[0]), f(q[1]), f(q[2]), unit, q))
    return rows


# --- sweeps and break-even searches ----------------------------------------------------------

def breakeven_sentence(b: dict[str, Any]) -> str:
    """A break-even search in one sentence: "Mean net savings reach $0 at Offshore cost per
    FTE, per year = $79.7K (95% interval $79.4K to $79.9K)".
    """
    cur, unit = b.get("currency", "USD"), b.get("unit", "number")
    name = b.get("label", b["parameter"])
    lo, hi = b["ci95"]
    stat = (f"Mean net savings reach {format_money(b['value'], cur)}" if b["target"] == "mean"
            else f"The chance of a net loss reaches {format_percent(b['value'])}")
    return (f"{stat} at {name} = {format_value(b['breakeven'], unit, cur)} (95% interval "
            f"{format_value(lo, unit, cur)} to {format_value(hi, unit, cur)})")


def analysis_text(key: str, a: dict[str, Any]) -> tuple[str, str]:
    """(heading, caption) of a sweep's or a break-even search's chart in the report."""
    if key == "breakeven":
        return ("Break-even", breakeven_sentence(a) + f", from {a['evaluations']} runs of "
                f"{a['trials']:,} trials on common random numbers (seed {a['seed']}). The "
                "interval is the statistic's 95% Monte Carlo interval at the answer divided by "
                "the slope there: how far another seed could move it. Every evaluation is in "
                "breakeven/breakeven.json.")
    labels = a.get("labels") or {}
    names = [labels.get(p, p) for p in a["parameters"]]
    points = len(a["rows"])
    if len(names) == 1:
        return (f"Sweep of {names[0]}",
                f"Mean net savings (with its 95% interval and the P5–P95 range) and the chance "
                f"of a net loss as {names[0]} varies, over {points} points of {a['trials']:,} "
                "trials each on common random numbers; the dashed line marks where mean net "
                "savings cross zero. Every point is in sweep/sweep.csv.")
    return (f"Sweep of {names[0]} and {names[1]}",
            f"Mean net savings and the chance of a net loss over a grid of {points} points of "
            f"{a['trials']:,} trials each on common random numbers; the dashed contour is the "
            "break-even (mean net savings = 0), interpolated between grid points. Every point "
            "is in sweep/sweep.csv.")


# --- provenance ---------------------------------------------------------------------------------

def reproduce_command(summary: dict[str, Any], scenario_file: str = "scenario.toml") -> str:
    """The command that reruns this exact run (same trials, seed and statistics); for a
    scenario built in Python (kept as JSON), the Python call.
    """
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
    first; empty when the scenario declares no correlations.
    """
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
