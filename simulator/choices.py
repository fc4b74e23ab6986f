"""Discrete contract options (``[[choices]]``): which provider, which placement.

A choice names options, each of which sets parameter paths (the syntax of
:mod:`simulator.paths`) to a number or a distribution::

    [[choices]]
    name = "Provider"
    options = [
      { name = "Manila vendor", set = { "workforce.offshore_cost_per_fte" = 45_000 } },
      { name = "Bangalore vendor", set = { "workforce.offshore_cost_per_fte" = { dist = "pert", min = 38_000, mode = 42_000, max = 52_000 } } },
    ]

A scenario file is read with the **first** option of every choice applied (so ``kposim run``
simulates it); ``kposim optimize`` tries every combination of options (each with every
portfolio of controls) on common random numbers. A resolved variant drops its ``choices``.
"""
from __future__ import annotations

import copy
import itertools
from typing import Any

from .paths import PathError, _walk, parse
from .scenario import Scenario, scenario_from_dict


def _plain(value: Any) -> Any:
    """A setting as the document holds it: a constant as its number, else the table."""
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, dict) and value.get("dist") == "constant":
        return value["value"]
    return value


def set_path(doc: dict[str, Any], path: str, value: Any) -> None:
    """Set the value at parameter ``path`` of a TOML-shaped document, in place (a whole input
    takes a number or a distribution table; a distribution's parameter a number)."""
    node, key = _walk(doc, parse(path), path)
    if not isinstance(node, dict) or (key not in node and "dist" not in node):
        keys = ", ".join(node) if isinstance(node, dict) else "none"
        raise PathError(f"{path!r}: no key {key!r} here (keys: {keys})")
    node[key] = copy.deepcopy(_plain(value))


def apply_option(doc: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``doc`` with an option's settings (path -> value) applied and no choices."""
    out = copy.deepcopy({k: v for k, v in doc.items() if k != "choices"})
    for path, value in settings.items():
        set_path(out, path, value)
    return out


def first_options(doc: dict[str, Any]) -> dict[str, Any]:
    """The raw document with the first option of every choice applied (choices kept). A
    malformed choices table is left as it is, for validation to report."""
    choices = doc.get("choices")
    if not isinstance(choices, list) or not choices:
        return doc
    try:
        out = copy.deepcopy(doc)
        for choice in choices:
            for path, value in choice["options"][0]["set"].items():
                set_path(out, path, value)
        return out
    except (PathError, KeyError, IndexError, TypeError, AttributeError):
        return doc


def resolve(scenario: Scenario, picks: dict[str, str]) -> Scenario:
    """The scenario with the named option of each choice (choice name -> option name)
    applied, every other choice at its first option; validated, without choices."""
    doc = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    for choice in scenario.choices:
        want = picks.get(choice.name, choice.options[0].name)
        option = next((o for o in choice.options if o.name == want), None)
        if option is None:
            raise ValueError(f"choice {choice.name!r} has no option {want!r} (options: "
                             f"{', '.join(o.name for o in choice.options)})")
        doc = {**apply_option(doc, option.settings), "choices": doc.get("choices", [])}
    doc.pop("choices", None)
    label = ", ".join(f"{k} = {v}" for k, v in picks.items())
    return scenario_from_dict(doc, source=f"{scenario.source} with {label or 'first options'}")


def combinations(scenario: Scenario) -> list[dict[str, str]]:
    """Every combination of the choices' options, as choice name -> option name (one empty
    combination for a scenario without choices)."""
    names = [c.name for c in scenario.choices]
    return [dict(zip(names, combo)) for combo in
            itertools.product(*([o.name for o in c.options] for c in scenario.choices))]
