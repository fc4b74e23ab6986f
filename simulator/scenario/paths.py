"""Parameter paths: one syntax, used by every command that changes a scenario parameter.

A path names a value in the scenario document, with list items picked by their ``name``::

    scenario.discount_rate
    workforce.offshore_cost_per_fte               # a whole input (replaced by a constant)
    workforce.offshore_cost_per_fte.mode          # one parameter of its distribution
    costs["Vendor governance"].share.max
    risks["Client data breach at the provider"].frequency.mean

This module works on the TOML-shaped document alone (it knows no model):
:mod:`simulator.scenario.variants` sets a value on a :class:`Scenario` and re-validates it, so a
path can only produce a scenario that the file format itself allows.
"""
from __future__ import annotations

import copy
import re
from typing import Any

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


def _plain(value: Any) -> Any:
    """A setting as the document holds it: a constant as its number, else the table."""
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, dict) and value.get("dist") == "constant":
        return value["value"]
    return value


def set_path(doc: dict[str, Any], path: str, value: Any) -> None:
    """Set the value at parameter ``path`` of a TOML-shaped document, in place (a whole input
    takes a number or a distribution table; a distribution's parameter a number).
    """
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
    malformed choices table is left as it is, for validation to report.
    """
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
