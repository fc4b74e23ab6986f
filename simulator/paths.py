"""Parameter paths: one syntax, used by every command that changes a scenario parameter.

A path names a value in the scenario document, with list items picked by their ``name``::

    scenario.discount_rate
    workforce.offshore_cost_per_fte               # a whole input (replaced by a constant)
    workforce.offshore_cost_per_fte.mode          # one parameter of its distribution
    costs["Vendor governance"].share.max
    risks["Client data breach at the provider"].frequency.mean

Setting a value works on the TOML-shaped document and re-validates it, so a path can only
produce a scenario that the file format itself allows.
"""
from __future__ import annotations

import copy
import re
from typing import Any

from .scenario import Scenario, ScenarioError, scenario_from_dict

_TOKEN = re.compile(r'\s*(?:\.?\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*"((?:[^"\\]|\\.)*)"\s*\])')


_INTEGER_KEYS = {"horizon_years", "year", "start_year", "end_year"}


class PathError(ValueError):
    """A parameter path that is malformed or names nothing in the scenario."""


def parse(path: str) -> list[str | tuple[str]]:
    """Split a path into keys (str) and name selectors (1-tuples)."""
    parts: list[str | tuple[str]] = []
    pos = 0
    text = path.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise PathError(f"bad parameter path {path!r} at position {pos}: expected .key or "
                            '["name"], as in risks["Data breach"].frequency.mean')
        key, name = m.groups()
        parts.append(key if key is not None else (re.sub(r"\\(.)", r"\1", name),))
        pos = m.end()
    if not parts or not isinstance(parts[0], str):
        raise PathError(f"bad parameter path {path!r}: it must start with a section name")
    return parts


def _walk(doc: Any, parts: list, path: str) -> tuple[Any, str | int]:
    """The container holding the last part of the path, and the key in it."""
    node = doc
    for i, part in enumerate(parts[:-1]):
        node = _step(node, part, parts[i + 1], path)
    last = parts[-1]
    if isinstance(last, tuple):
        raise PathError(f"{path!r} names a whole cost line or risk; name one of its values")
    return node, last


def _step(node: Any, part: str | tuple[str], nxt: Any, path: str) -> Any:
    if isinstance(part, tuple):
        if not isinstance(node, list):
            raise PathError(f'{path!r}: ["{part[0]}"] selects from a list, which is not there')
        for item in node:
            if isinstance(item, dict) and item.get("name") == part[0]:
                return item
        names = ", ".join(repr(i.get("name")) for i in node if isinstance(i, dict))
        raise PathError(f"{path!r}: no item named {part[0]!r} (there are: {names or 'none'})")
    if not isinstance(node, dict) or part not in node:
        keys = ", ".join(node) if isinstance(node, dict) else "none"
        raise PathError(f"{path!r}: no key {part!r} here (keys: {keys})")
    value = node[part]
    if isinstance(value, int | float) and not isinstance(value, bool) and nxt == "value":
        # A bare number is a constant distribution: open it up so .value can be reached.
        node[part] = value = {"dist": "constant", "value": float(value)}
    return value


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
    A path to a whole input replaces it with the constant ``value``."""
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
