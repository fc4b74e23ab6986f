"""One labelling source: the plain name of every scenario input and parameter path.

Every chart, table and message names an input the way the report's assumptions table does
("Offshore cost per FTE, per year"), never by its internal parameter path
(``workforce.offshore_cost_per_fte``); the path stays available for small print and tooltips.
:func:`label` turns any parameter path of the one path syntax (docs/decision-analysis.md) into
a :class:`Label`: the group it belongs to, the words, and the unit its values are in, which
:func:`format_value` uses to print them (money in the scenario's currency, shares as
percentages, months, FTE).

Only the standard library and the scenario model are imported, so the analyses
(:mod:`simulator.analysis.sensitivity`, :mod:`simulator.analysis.sweep`) can label their rows
cheaply.
"""
from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulator.scenario.model import Scenario

#: Units an input's values are in: how :func:`format_value` prints them.
UNITS = ("money", "percent", "months", "fte", "events", "years", "number")


@dataclass(frozen=True)
class Label:
    """A parameter path in words: ``group`` (Workforce, Cost lines, Risks, Controls,
    Scenario, Other), ``text`` (the plain label) and ``unit`` (one of :data:`UNITS`).
    """

    group: str
    text: str
    unit: str


WORKFORCE = {  # key -> (label, unit)
    "onshore_fte": ("Onshore staff", "fte"),
    "onshore_cost_per_fte": ("Onshore cost per FTE, fully loaded, per year", "money"),
    "offshore_fte": ("Offshore staff", "fte"),
    "offshore_cost_per_fte": ("Offshore cost per FTE, per year", "money"),
    "onshore_cost_growth": ("Onshore cost growth, per year", "percent"),
    "offshore_cost_growth": ("Offshore cost growth, per year", "percent"),
    "ramp_up_months": ("Ramp-up (both teams paid)", "months"),
    "offshore_currency_share": ("Share of the provider bill in its own currency", "percent"),
}
SCENARIO = {
    "discount_rate": ("Discount rate, per year", "percent"),
    "horizon_years": ("Horizon", "years"),
}
SHARE_OF = {"offshore_cost": "the offshore cost", "onshore_cost": "the onshore cost",
            "gross_savings": "gross wage savings"}
#: A distribution's parameter -> (words, whether it is in the input's own unit).
PARAMETERS = {
    "value": ("", True), "min": ("lowest value", True), "max": ("highest value", True),
    "mode": ("most likely value", True), "mean": ("mean", True),
    "sd": ("standard deviation", True), "low": ("low end of its range", True),
    "high": ("high end of its range", True), "scale": ("scale", True),
    "p": ("probability", False), "lambda": ("PERT weight of the most likely value", False),
    "confidence": ("confidence of its range", False), "mu": ("log-median", False),
    "sigma": ("log-sd", False), "shape": ("shape", False), "a": ("beta a", False),
    "b": ("beta b", False), "dispersion": ("dispersion", False),
}
_SELECTED = re.compile(r'^(costs|controls|risks)\["((?:[^"\\]|\\.)*)"\]\.?(.*)$')


def _unquote(name: str) -> str:
    return re.sub(r"\\(.)", r"\1", name)


def _with_parameter(base: Label, rest: list[str]) -> Label:
    """``base`` (a whole input) narrowed to one parameter of its distribution."""
    if not rest:
        return base
    key = rest[-1]
    words, same_unit = PARAMETERS.get(key, (key.replace("_", " "), False))
    if not words:  # .value of a constant is the input itself
        return base
    return Label(base.group, f"{base.text} ({words})", base.unit if same_unit else "number")


def _workforce(parts: list[str]) -> Label:
    text, unit = WORKFORCE.get(parts[0], (parts[0].replace("_", " ").capitalize(), "number"))
    return _with_parameter(Label("Workforce", text, unit), parts[1:])


def _cost(s: Scenario, name: str, parts: list[str]) -> Label:
    cost = next((c for c in s.costs if c.name == name), None)
    field = parts[0] if parts else ""
    if cost is None:
        return Label("Cost lines", f"{name}: {field}".rstrip(": "), "number")
    when = f"once, in year {cost.year or 1}" if cost.timing == "once" else "per year"
    fields = {"amount": (f"{name}: amount, {when}", "money"),
              "share": (f"{name}: share of {SHARE_OF.get(cost.share_of or '', 'its base')}, {when}",
                        "percent"),
              "growth": (f"{name}: growth, per year", "percent"),
              "year": (f"{name}: year paid", "years"),
              "start_year": (f"{name}: first year", "years"),
              "end_year": (f"{name}: last year", "years")}
    text, unit = fields.get(field, (f"{name}: {field.replace('_', ' ')}", "number"))
    return _with_parameter(Label("Cost lines", text, unit), parts[1:])


def _risk(s: Scenario, name: str, parts: list[str]) -> Label:
    field = parts[0] if parts else ""
    rest = parts[1:]
    if field == "frequency":
        if rest and rest[0] == "mean":  # the rate: a number, or a distribution drawn per trial
            return _with_parameter(Label("Risks", f"{name}: rate (mean events per year)",
                                         "events"), rest[1:])
        return _with_parameter(Label("Risks", f"{name}: events per year", "events"), rest)
    if field == "severity":
        return _with_parameter(Label("Risks", f"{name}: loss per event", "money"), rest)
    fields = {"reentry_cost": (f"{name}: cost of taking the work back, once", "money"),
              "reentry_ramp_months": (f"{name}: months of re-entry overrun", "months"),
              "reentry_overrun": (f"{name}: re-entry overrun on the onshore bill", "percent"),
              "cap_per_event": (f"{name}: most borne per event", "money"),
              "cap_per_year": (f"{name}: most borne per year", "money"),
              "start_year": (f"{name}: first year it is live", "years"),
              "end_year": (f"{name}: last year it is live", "years")}
    text, unit = fields.get(field, (f"{name}: {field.replace('_', ' ')}", "number"))
    return _with_parameter(Label("Risks", text, unit), rest)


def _control(s: Scenario, name: str, parts: list[str]) -> Label:
    control = next((c for c in s.controls if c.name == name), None)
    field = parts[0] if parts else ""
    if field == "cost":
        when = "once" if control is not None and control.timing == "once" else "per year"
        return _with_parameter(Label("Controls", f"{name}: cost, {when}", "money"), parts[1:])
    if field == "growth":
        return _with_parameter(Label("Controls", f"{name}: cost growth, per year", "percent"),
                               parts[1:])
    return _with_parameter(Label("Controls", f"{name}: {field.replace('_', ' ')}", "number"),
                           parts[1:])


def label(s: Scenario, path: str) -> Label:
    """The plain label of a parameter path of scenario ``s``: a compiled input
    (``workforce.offshore_cost_per_fte``), a risk's ``.frequency`` or ``.severity``, or any
    value a sweep or break-even can set (``risks["Data breach"].frequency.mean``,
    ``workforce.offshore_cost_per_fte.mode``, ``scenario.discount_rate``). A path it does not
    know is its own label (group "Other").
    """
    path = path.strip()
    if path.startswith("workforce."):
        return _workforce(path.split(".")[1:])
    if path.startswith("scenario."):
        key = path.split(".", 1)[1]
        text, unit = SCENARIO.get(key, (key.replace("_", " ").capitalize(), "number"))
        return Label("Scenario", text, unit)
    m = _SELECTED.match(path)
    if m is None:
        return Label("Other", path, "number")
    section, quoted, rest = m.groups()
    name, parts = _unquote(quoted), [p for p in rest.split(".") if p]
    return {"costs": _cost, "risks": _risk, "controls": _control}[section](s, name, parts)


def component_label(s: Scenario, name: str) -> str:
    """A cost line's or risk's total over the horizon, in words: "Vendor governance: total
    cost", "Client data breach at the provider: total loss".
    """
    if any(r.name == name for r in s.risks):
        risk = next(r for r in s.risks if r.name == name)
        return f"{name}: total {'saving' if risk.side == 'in_house' else 'loss'}"
    return f"{name}: total cost"


def wrap(text: str, width: int = 34) -> str:
    """``text`` broken between words into lines of about ``width`` characters, as many as it
    takes: a label is never cut short, so two labels that differ only at the end
    ("...: events per year", "...: loss per event") stay apart.
    """
    return "\n".join(textwrap.wrap(text, width, break_long_words=True,
                                    break_on_hyphens=False)) or text


__all__ = ["Label", "UNITS", "WORKFORCE", "component_label", "label", "wrap"]
