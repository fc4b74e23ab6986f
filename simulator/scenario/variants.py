"""Variants of a scenario: one value changed (:func:`with_value`), one option of each choice
picked (:func:`resolve`).

Discrete contract options (``[[choices]]``): which provider, which placement.

A choice names options, each of which sets parameter paths (the syntax of
:mod:`simulator.scenario.paths`) to a number or a distribution::

    [[choices]]
    name = "Provider"
    options = [
      { name = "Manila vendor", set = { "workforce.offshore_cost_per_fte" = 45_000 } },
      { name = "Bangalore vendor", set = { "workforce.offshore_cost_per_fte" = { dist = "pert", min = 38_000, mode = 42_000, max = 52_000 } } },
    ]

A scenario file is read with the **first** option of every choice applied (so ``kposim run``
simulates it); ``kposim optimize`` tries every combination of options (each with every
portfolio of controls) on common random numbers. A resolved variant drops its ``choices``.
"""  # noqa: E501 (a TOML inline table cannot be wrapped)
from __future__ import annotations

import copy
import itertools
from typing import Any

from simulator.scenario.model import Scenario, ScenarioError, scenario_from_dict
from simulator.scenario.paths import _INTEGER_KEYS, PathError, _walk, apply_option, parse


def document(scenario: Scenario) -> dict[str, Any]:
    """The scenario as a TOML-shaped document (what :func:`scenario_from_dict` accepts)."""
    return scenario.model_dump(mode="json", by_alias=True, exclude_none=True)


def get(scenario: Scenario, path: str) -> Any:
    """The value at ``path`` (a number, or a distribution's document)."""
    doc = document(scenario)
    node, key = _walk(doc, parse(path), path)
    if not isinstance(node, dict) or key not in node:
        raise PathError(f"{path!r}: no key {key!r} here")
    return node[key]


def with_value(scenario: Scenario, path: str, value: float) -> Scenario:
    """A copy of ``scenario`` with the number at ``path`` set to ``value``, re-validated.
    A path to a whole input replaces it with the constant ``value``.
    """
    doc = copy.deepcopy(document(scenario))
    node, key = _walk(doc, parse(path), path)
    if not isinstance(node, dict):
        raise PathError(f"{path!r} does not name a value")
    if key not in node and "dist" not in node:
        raise PathError(f"{path!r}: no key {key!r} here")
    whole = key in _INTEGER_KEYS and float(value).is_integer()
    node[key] = int(value) if whole else float(value)
    try:
        return scenario_from_dict(doc, source=f"{scenario.source} with {path} = {value:g}")
    except ScenarioError as e:
        raise PathError(f"setting {path} = {value:g} gives an invalid scenario: "
                        + "; ".join(str(p) for p in e.problems)) from None


def resolve(scenario: Scenario, picks: dict[str, str]) -> Scenario:
    """The scenario with the named option of each choice (choice name -> option name)
    applied, every other choice at its first option; validated, without choices.
    """
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
    combination for a scenario without choices).
    """
    names = [c.name for c in scenario.choices]
    return [dict(zip(names, combo, strict=False)) for combo in
            itertools.product(*([o.name for o in c.options] for c in scenario.choices))]
