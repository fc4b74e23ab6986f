"""The scenario format, described from the code's own models.

* :func:`json_schema`: a JSON Schema (draft 7) of a scenario file, for editors that validate
  and complete TOML against one (``kposim schema``; see docs/vscode.md). It is pydantic's schema
  of :class:`~simulator.scenario.model.Scenario`, reshaped for editors: a distribution is a
  number *or* a table whose ``dist`` key picks the family, optional keys are absent rather than
  ``null`` (TOML has no null), and enums and descriptions sit where an editor shows them.
* :func:`format_reference`: the Markdown reference ``docs/scenario-format.md``, generated from
  that schema (field types, defaults, bounds and descriptions) and the models' docstrings, so it
  cannot drift from the code. Regenerate it with ``python -m simulator.scenario.schema --write``.

The schema checks structure, types, bounds and a few either/or rules. Rules that compare values
(``min < max``, years within the horizon, unique names, a severity that cannot go negative) are
checked by ``kposim validate`` only; the reference lists them with each section.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from simulator.distributions.registry import FAMILIES, RATE_FAMILIES
from simulator.scenario.model import Scenario

DRAFT = "http://json-schema.org/draft-07/schema#"
TITLE = "kposim scenario"
DESCRIPTION = ("A kposim scenario file (TOML): an offshoring decision's wage bills, cost lines, "
               "risks, controls and risk tolerance. Check a file with `kposim validate`; this "
               "schema does not check rules that compare values, such as min < max.")
REFERENCE_PATH = Path(__file__).resolve().parents[2] / "docs" / "scenario-format.md"
DIST_REF = "#/$defs/Distribution"
TABLE_REF = "#/$defs/DistributionTable"
_FAMILY_DEFS = {cls.__name__: name for name, cls in FAMILIES.items()}  # def name -> dist


# ---------------------------------------------------------------------------------------------
# JSON Schema


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 7) of a scenario file, as a dict (``json.dumps`` it to save)."""
    raw = Scenario.model_json_schema(by_alias=True)
    defs = raw.pop("$defs")
    inline = {name: defs.pop(name) for name in [n for n, d in defs.items() if "enum" in d]}
    defs = {name: _clean(d, inline) for name, d in defs.items()}
    top = _clean(raw, inline)

    for def_name, dist in _FAMILY_DEFS.items():
        d = defs[def_name]
        d["properties"] = {"dist": {"const": dist, "description": "names the family"},
                           **{k: v for k, v in d["properties"].items() if k != "dist"}}
        d["required"] = ["dist", *[k for k in d.get("required", []) if k != "dist"]]
        order = list(d["properties"])  # examples in parameter order, as a person writes them
        d["examples"] = [e if not isinstance(e, dict) else
                         dict(sorted(e.items(), key=lambda kv: order.index(kv[0])))
                         for e in d.get("examples", [])]
    # A count's rate: a number or a (non-count) distribution table, drawn once per trial.
    for def_name, key, bounds in (("Poisson", "mean", {"minimum": 0, "maximum": 1e6}),
                                  ("NegativeBinomial", "mean",
                                   {"exclusiveMinimum": 0, "maximum": 1e6}),
                                  ("Bernoulli", "p", {"minimum": 0, "maximum": 1}),
                                  ("Lognormal", "mu", {}),
                                  ("Gamma", "scale", {"exclusiveMinimum": 0})):
        prop = defs[def_name]["properties"][key]
        defs[def_name]["properties"][key] = {
            "description": prop["description"],
            "anyOf": [{"type": "number", **bounds},
                      {"$ref": RATE_REF,
                       "description": "an uncertain parameter, drawn once per trial"}]}
    # Lognormal: one parameter pair or the other. (Draft 4 style `not` rather than `false`.)
    absent: dict[str, Any] = {"not": {}}
    defs["Lognormal"]["oneOf"] = [
        {"required": ["mu", "sigma"],
         "properties": {"low": absent, "high": absent, "confidence": absent}},
        {"required": ["low", "high"], "properties": {"mu": absent, "sigma": absent}},
    ]
    # A cost line is an amount or a share of a wage bill; years go with the timing.
    cost = defs["CostLine"]
    cost["oneOf"] = [
        {"required": ["amount"],
         "not": {"anyOf": [{"required": ["share_of"]}, {"required": ["share"]}]}},
        {"required": ["share_of", "share"], "not": {"required": ["amount"]}},
    ]
    cost["if"] = {"properties": {"timing": {"const": "once"}}}
    cost["then"] = {"not": {"anyOf": [{"required": ["start_year"]}, {"required": ["end_year"]}]}}
    cost["else"] = {"not": {"required": ["year"]}}

    families = list(FAMILIES)
    defs["Distribution"] = {
        "title": "Distribution",
        "description": "A bare number (a constant) or a table whose `dist` key names the family, "
                       "e.g. { dist = \"pert\", min = 1, mode = 2, max = 4 }.",
        "anyOf": [{"type": "number", "description": "a constant"}, {"$ref": TABLE_REF}],
    }
    defs["DistributionTable"] = {
        "title": "Distribution table",
        "description": "One distribution family, picked by `dist`.",
        "type": "object",
        "required": ["dist"],
        "properties": {"dist": {"enum": families, "description": "the family"}},
        "oneOf": [{"$ref": f"#/$defs/{cls.__name__}"} for cls in FAMILIES.values()],
        "discriminator": {"propertyName": "dist",
                          "mapping": {name: f"#/$defs/{cls.__name__}"
                                      for name, cls in FAMILIES.items()}},
    }
    defs["RateDistributionTable"] = {
        "title": "Rate distribution table",
        "description": "The distribution of an uncertain parameter (a rate, a severity's size): "
                       "any family but the counts.",
        "type": "object",
        "required": ["dist"],
        "properties": {"dist": {"enum": [n for n, c in FAMILIES.items() if c in RATE_FAMILIES],
                                "description": "the family"}},
        "oneOf": [{"$ref": f"#/$defs/{cls.__name__}"} for cls in RATE_FAMILIES],
    }
    out: dict[str, Any] = {"$schema": DRAFT, "title": TITLE, "description": DESCRIPTION}
    out.update({k: v for k, v in top.items() if k not in ("title", "description")})
    out["$defs"] = dict(sorted(defs.items()))
    return out


def _is_dist_union(node: dict[str, Any]) -> bool:
    disc = node.get("discriminator")
    return isinstance(disc, dict) and disc.get("propertyName") == "dist"


def _auto_title(key: str) -> str:
    return key.replace("_", " ").title()


def _clean(node: Any, inline: dict[str, dict]) -> Any:
    """Reshape one pydantic schema node for editors (see :func:`json_schema`)."""
    if isinstance(node, list):
        return [_clean(x, inline) for x in node]
    if not isinstance(node, dict):
        return node
    if isinstance(node.get("description"), str):  # docstrings' reST markup as Markdown
        node = {**node, "description": re.sub(r":\w+:`~?([^`]+)`", r"`\1`",
                                              node["description"]).replace("``", "`")}
    node = {k: _clean(v, inline) if k not in ("default", "examples", "const", "enum") else v
            for k, v in node.items()}
    if "properties" in node:  # field titles are only the key in title case: noise in hovers
        node["properties"] = {k: {a: b for a, b in v.items()
                                  if not (a == "title" and b == _auto_title(k))}
                              for k, v in node["properties"].items()}
    if "anyOf" in node:  # Optional[X]: TOML has no null, an optional key is simply left out
        members = [m for m in node["anyOf"] if m != {"type": "null"}]
        if len(members) == 1:
            del node["anyOf"]
            node = {**members[0], **node}
        else:
            node["anyOf"] = members
    if node.get("default", 0) is None:
        del node["default"]
    if _is_dist_union(node):  # a number or a table: the bare-number form pydantic cannot show
        node = {k: v for k, v in node.items() if k not in ("discriminator", "oneOf", "title")}
        node["anyOf"] = [{"type": "number", "description": "a constant"}, {"$ref": TABLE_REF}]
    ref = node.get("$ref", "")
    if ref.startswith("#/$defs/") and ref[8:] in inline:  # enums inline, with the key's docs
        node = {**{k: v for k, v in inline[ref[8:]].items() if k not in ("title", "description")},
                **{k: v for k, v in node.items() if k != "$ref"}}
    return node


# ---------------------------------------------------------------------------------------------
# Markdown reference


def _md(text: str) -> str:
    """Docstring text as Markdown: ``x`` -> `x`, :func:`x` -> `x`, paragraphs joined."""
    text = re.sub(r":\w+:`~?([^`]+)`", r"`\1`", text)
    text = text.replace("``", "`")
    paragraphs = [" ".join(line.strip() for line in p.splitlines())
                  for p in re.split(r"\n\s*\n", text.strip())]
    return "\n\n".join(paragraphs)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _num(x: Any) -> str:
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        x = int(x)
    if isinstance(x, int):
        return f"{x:_}" if abs(x) >= 10_000 else str(x)
    return f"{x:g}"


def _toml(v: Any) -> str:
    """A value as TOML source (numbers, strings, lists, inline tables)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return _num(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml(x)}" for k, x in v.items()) + " }"
    raise TypeError(type(v))


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref", "")
    return schema["$defs"][ref[8:]] if ref.startswith("#/$defs/") else node


def _is_distribution(node: dict[str, Any]) -> bool:
    return any(m.get("$ref") in (TABLE_REF, DIST_REF) for m in node.get("anyOf", []))


RATE_REF = "#/$defs/RateDistributionTable"


def _rate_number(node: dict[str, Any]) -> dict[str, Any] | None:
    """The number branch of a count's rate (a number or a distribution of it), if it is one."""
    members = node.get("anyOf", [])
    if any(m.get("$ref") == RATE_REF for m in members):
        return next(m for m in members if m.get("type") == "number")
    return None


def _type(schema: dict[str, Any], node: dict[str, Any], links: dict[str, str]) -> str:
    if _is_distribution(node):
        return "[distribution](#distributions)"
    if _rate_number(node) is not None:
        return "number or [distribution](#distributions) (not a count)"
    if "$ref" in node:
        name = node["$ref"][8:]
        return f"[table](#{links[name]})" if name in links else "table"
    kind = node.get("type")
    if kind == "array":
        items = node.get("items", {})
        if "$ref" in items:
            name = items["$ref"][8:]
            return (f"array of [tables](#{links[name]})" if name in links
                    else "array of tables")
        return f"array of {items.get('type', 'value')}s"
    if "enum" in node or "const" in node:
        return "string"
    return str(kind or "value")


def _allowed(node: dict[str, Any]) -> str:
    if _is_distribution(node):
        return "a number or any family"
    rate = _rate_number(node)
    if rate is not None:
        return _allowed(rate)
    parts = []
    if "enum" in node:
        parts.append(", ".join(f"`{_toml(v)}`" for v in node["enum"]))
    if "const" in node:
        parts.append(f"`{_toml(node['const'])}`")
    if "minimum" in node and "maximum" in node:
        parts.append(f"{_num(node['minimum'])} to {_num(node['maximum'])}")
    else:
        bounds = [f"{op} {_num(node[key])}" for key, op in (
            ("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="),
            ("exclusiveMaximum", "<")) if key in node]
        if bounds:
            parts.append(" and ".join(bounds))
    if "pattern" in node:
        parts.append(f"matches `{node['pattern']}`")
    lo, hi = node.get("minLength"), node.get("maxLength")
    if lo is not None or hi is not None:
        parts.append(f"{lo or 0} to {hi} characters" if hi else f"at least {lo} characters")
    lo, hi = node.get("minItems"), node.get("maxItems")
    if lo is not None or hi is not None:
        parts.append(f"{lo} to {_num(hi)} items" if lo else f"at most {_num(hi)} items")
    items = node.get("items", {})
    if node.get("type") == "array" and "type" in items:
        parts.append(_allowed(items))
    return "; ".join(p for p in parts if p)


def _default(node: dict[str, Any], required: bool) -> str:
    if required:
        return "**required**"
    if "default" in node:
        d = node["default"]
        return "`[]`" if d == [] else "`\"\"`" if d == "" else f"`{_toml(d)}`"
    return "not set"


def _key_table(schema: dict[str, Any], model: dict[str, Any], links: dict[str, str],
               first: str = "key") -> list[str]:
    rows = [f"| {first} | type | default | allowed values | meaning and unit |",
            "|---|---|---|---|---|"]
    required = set(model.get("required", []))
    for key, node in model["properties"].items():
        rows.append("| " + " | ".join(_cell(x) for x in (
            f"`{key}`", _type(schema, node, links), _default(node, key in required),
            _allowed(node), node.get("description", ""))) + " |")
    return rows


def _section(schema: dict[str, Any], name: str, heading: str, level: int,
             links: dict[str, str], done: set[str]) -> list[str]:
    """A model's heading, docstring and key table, then its nested tables."""
    done.add(name)
    model = schema["$defs"][name]
    text = re.sub(r"^`\[+\w+\]+`: (\w)", lambda m: m.group(1).upper(),
                  _md(model.get("description", "")))
    out = ["#" * level + f" {heading}", "", text, ""]
    out += _key_table(schema, model, links) + [""]
    for key, node in model["properties"].items():
        target = node.get("items", node).get("$ref", "")[8:]
        if target in links and target not in done and target not in _FAMILY_DEFS:
            form = "items" if node.get("type") == "array" else "table"
            out += _section(schema, target, f"`{key}` {form} ({target})", level + 1, links,
                            done)
    return out


_INTRO = """\
# Scenario file format reference

<!-- Generated by `python -m simulator.scenario.schema --write` from simulator/scenario/model.py and
simulator/distributions/: do not edit by hand. tests/test_schema.py checks it is current. -->

A scenario is a TOML file. This page lists every section and key: its type, default, allowed
values and unit, as the code declares them. A commented example of every key is
[`scenarios/template.toml`](../scenarios/template.toml); how the keys combine into net savings
is [the model](model.md); how to pick a distribution is [choosing distributions](distributions.md).

Conventions:

- Money is in `[scenario].currency` units; rates, shares and growth are fractions (0.03 = 3%).
- A **distribution** key takes a bare number (a constant) or an inline table with a `dist` key
  naming the family: `ramp_up_months = { dist = "triangular", min = 3, mode = 6, max = 12 }`.
  Uncertain levels (wages, amounts, shares, growth) are drawn once per trial and held for the
  whole horizon; event counts are drawn each year, a severity for each event.
- "not set" means the key may be left out; its description says what that means.
- Unknown keys are errors (a misspelt key is never silently ignored), and so are values of
  the wrong type: `horizon_years = "3"` or `onshore_fte = true` are refused.
- Rules that compare values (min below max, years within the horizon, unique names, no
  negative wages or losses) are listed with each section and checked by `kposim validate`.

`kposim schema` prints the same format as a JSON Schema for editors: see
[editing scenarios in VS Code](vscode.md).
"""  # noqa: E501 (the generated page's own line breaks)


def format_reference() -> str:
    """The Markdown reference of the scenario format (``docs/scenario-format.md``)."""
    schema = json_schema()
    defs = schema["$defs"]
    top = schema["properties"]
    required = set(schema.get("required", []))
    headings = {}  # model -> its TOML header, for the top-level sections
    for key, node in top.items():
        target = node.get("items", node)["$ref"][8:]
        headings[target] = f"`[[{key}]]`" if node.get("type") == "array" else f"`[{key}]`"
    links = _anchors(defs, headings)

    out = [_INTRO, "## Sections", "",
           "| section | form | required | what it holds |", "|---|---|---|---|"]
    for key, node in top.items():
        target = node.get("items", node)["$ref"][8:]
        form = f"array of tables, {_allowed(node)}" if node.get("type") == "array" else "table"
        out.append(f"| [{headings[target]}](#{links[target]}) | {form} | "
                   f"{'yes' if key in required else 'no'} | "
                   f"{_cell(node.get('description', ''))} |")
    out.append("")
    done: set[str] = set()
    for node in top.values():
        target = node.get("items", node)["$ref"][8:]
        out += _section(schema, target, headings[target], 2, links, done)

    out += _semantic_checks()
    out += ["## Distributions", "",
            "Every distribution key takes one of these families, or a bare number (a "
            "constant). All are sampled by inverse CDF through the engine's own code; "
            "`simulator.scenario.model.parse_distribution(...)` gives the same object in "
            "Python, with `mean()`, `quantile()` and `sample()`.", "",
            "| family | parameters (`?`: optional) |", "|---|---|"]
    for dist, cls in FAMILIES.items():
        d = defs[cls.__name__]
        req = set(d.get("required", []))
        params = ", ".join(f"`{k}`" if k in req else f"`{k}`?" for k in d["properties"]
                           if k != "dist")
        out.append(f"| [`{dist}`](#{dist}) | {params} |")
    out.append("")
    for dist, cls in FAMILIES.items():
        d = defs[cls.__name__]
        out += [f"### {dist}", "", _md(d.get("description", "")), ""]
        out += _key_table(schema, d, links, first="parameter") + [""]
        if d.get("examples"):
            out += ["```toml"] + [f"x = {_toml(e)}" for e in d["examples"]] + ["```", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _semantic_checks() -> list[str]:
    """What validation checks across keys (see ``Scenario._check_semantics``), with its limits
    taken from the code.
    """
    from simulator.scenario.model import (
        GROWTH_WARNING,
        MAX_EVENTS_PER_TRIAL,
        MAX_FILE_BYTES,
        MAX_GROWTH,
        MAX_NESTING,
        MAX_RATE,
        MAX_TRIAL_AMOUNT,
    )

    return ["## Checks across keys", "",
            "Besides each key's own type and range, a scenario is refused (exit code 2, one "
            "line naming the file, line and field) when:", "",
            "- a count, cost, loss, share or ramp-up can be negative: a distribution that can "
            "go below zero must be truncated (`min = 0`) or replaced by one that cannot;",
            "- `onshore_fte` and `offshore_fte` are both 0;",
            f"- a growth rate can reach -1 or exceed {MAX_GROWTH:g} a year (a growth above "
            f"{GROWTH_WARNING:g} is accepted with a warning: a percentage written as a whole "
            "number, 3 for 0.03, is the usual cause);",
            "- a share can exceed 1, or `ramp_up_months` can exceed the horizon;",
            "- `discrete` weights written as probabilities (each at most 1, some fractional) "
            "do not sum to 1;",
            f"- an uncertain rate can exceed {MAX_RATE:g} events a year, or a risk expects more "
            f"than {MAX_EVENTS_PER_TRIAL:,} events per trial (each event of a chunk of trials "
            "takes memory);",
            f"- the most extreme draws of the inputs could take a trial's totals beyond "
            f"{MAX_TRIAL_AMOUNT:.0e} (where statistics and charts overflow double "
            "precision): narrow the distribution or cap the loss;",
            "- a number is inf or nan, or an integer lies beyond the 64-bit range;",
            "- a name is blank, holds a control, format or bidirectional-override character, "
            "or looks the same as another name (Unicode confusables); descriptions may hold "
            "tabs and line breaks but no other control characters;",
            f"- arrays or inline tables nest more than {MAX_NESTING} levels deep, or the file "
            f"is larger than {MAX_FILE_BYTES / 1e6:g} MB or is not a regular file (a FIFO or a "
            "device).", ""]


def _anchors(defs: dict[str, Any], headings: dict[str, str]) -> dict[str, str]:
    """GitHub anchor of each model's section: a top-level section by its TOML header, a nested
    table by its heading (lower case, punctuation dropped, spaces to hyphens).
    """
    titles = dict(headings)
    for parent in defs.values():
        for key, node in parent.get("properties", {}).items():
            name = node.get("items", node).get("$ref", "")[8:]
            if name in defs and name not in titles and name not in _FAMILY_DEFS \
                    and not name.startswith("Distribution"):
                form = "items" if node.get("type") == "array" else "table"
                titles[name] = f"`{key}` {form} ({name})"
    return {name: re.sub(r"[^\w\- ]", "", t.lower()).replace(" ", "-")
            for name, t in titles.items()}


def main(argv: list[str] | None = None) -> None:
    """``python -m simulator.scenario.schema [--write | --json]``."""
    parser = argparse.ArgumentParser(prog="python -m simulator.scenario.schema",
                                     description="Print the scenario format reference "
                                                 "(Markdown) or its JSON Schema.")
    parser.add_argument("--write", action="store_true",
                        help=f"write the reference to {REFERENCE_PATH} instead of printing it")
    parser.add_argument("--json", action="store_true", help="print the JSON Schema instead")
    args = parser.parse_args(argv)
    if args.json:
        sys.stdout.write(json.dumps(json_schema(), indent=2) + "\n")
    elif args.write:
        REFERENCE_PATH.write_text(format_reference(), encoding="utf-8")
        print(f"wrote {REFERENCE_PATH}", file=sys.stderr)
    else:
        sys.stdout.write(format_reference())


if __name__ == "__main__":  # pragma: no cover
    main()
