"""What-if edits of a scenario: what the page may change, applied to the scenario's document.

An edit names a target by its parameter path (:mod:`simulator.scenario.paths` syntax) and says
what to do with it:

* ``scale``: multiply a distribution by ``1 + value / 100`` (every location and scale
  parameter: min, mode, max, mean, sd, low, high, a lognormal's median, a gamma's scale, a
  count's rate; shapes stay), e.g. "offshore cost per FTE: +10%";
* ``shift``: add ``value`` percentage points to a distribution given in percent (a growth rate,
  a share): min, mode, max, mean, values move, spreads stay;
* ``set``: one parameter of a distribution (``workforce.offshore_cost_per_fte.mode``), a bare
  number, or the horizon (``scenario.horizon_years``) takes ``value``;
* ``enabled``: ``false`` takes a control (``controls["name"]``) out, with its cost and
  effects, as :func:`simulator.engine.controls.without` does.

Only the targets :class:`Editor` offers can be edited, so a request can produce nothing the
page does not show. The same edits apply to a plain document (what :mod:`tomllib` returns),
for the live runs, and to a :mod:`tomlkit` document, for "Save as scenario", which keeps the
original file's comments and layout (a disabled control is commented out, line by line, so
line numbers stay those of the original file). Both give the same scenario, and a problem is
reported with the same one-line message ``kposim validate`` gives for the edited file.
"""
from __future__ import annotations

import copy
import math
import re
import tomllib
from collections.abc import Iterable, Mapping, MutableMapping, MutableSequence, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from simulator import codes as C
from simulator.distributions.base import FieldError
from simulator.present.report import content
from simulator.scenario import paths, variants
from simulator.scenario.compiled import CompiledModel, compile_scenario, quote
from simulator.scenario.model import Scenario, ScenarioError, parse_scenario, scenario_from_dict

OPS = ("scale", "shift", "set", "enabled")
MAX_EDITS = 1000  #: more edits than any page can make at once
MAX_TARGET = 600  #: characters of a target path
SCALE_RANGE = (-90.0, 300.0)  #: the slider's percent change: a tenth to four times
SHIFT_RANGE = (-10.0, 10.0)  #: the slider's change in percentage points

_LOCATION = {  # family -> keys that move with a change of scale (and, for shift, location)
    "constant": ("value",), "uniform": ("min", "max"), "triangular": ("min", "mode", "max"),
    "pert": ("min", "mode", "max"), "beta": ("min", "max"),
    "normal": ("mean", "sd", "min", "max"), "lognormal": ("low", "high"),
    "discrete": ("values",), "empirical": ("values",),
}
_SPREAD = {"sd"}  #: scale keys that a shift leaves alone
_RATE = {"poisson": "mean", "negative_binomial": "mean", "bernoulli": "p"}


class EditError(ValueError):
    """A request the page could not have made (unknown target, operation or value): a bad
    request, not a scenario problem.
    """


class Unsupported(ValueError):
    """A slider that cannot act on this distribution (the reason is the message)."""


@dataclass(frozen=True)
class Edit:
    """One checked edit: ``op`` ("set", "scale", "shift", "enabled") of ``target`` with
    ``value`` (a number, or a bool for "enabled").
    """

    target: str
    op: str
    value: float | bool


@dataclass(frozen=True)
class Problem:
    """A scenario problem caused by the edits: the target it belongs beside (None: no edit's)
    and the one-line message ``kposim validate`` gives.
    """

    target: str | None
    message: str


class Invalid(ValueError):
    """The edited scenario is not valid; ``problems`` say why, each beside its field."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


@dataclass
class Target:
    """One editable input as the page shows it."""

    target: str
    group: str
    label: str
    words: str
    unit: str
    p5: str = ""
    p50: str = ""
    p95: str = ""
    slider: str | None = None  #: "scale", "shift" or None (with ``reason``)
    reason: str = ""
    params: list[dict[str, Any]] = field(default_factory=list)

    def spec(self) -> dict[str, Any]:
        """The target as the page's JSON describes it (labels, quantiles, slider range)."""
        lo, hi = SHIFT_RANGE if self.slider == "shift" else SCALE_RANGE
        return {"target": self.target, "group": self.group, "label": self.label,
                "words": self.words, "p5": self.p5, "p50": self.p50, "p95": self.p95,
                "slider": self.slider, "reason": self.reason, "min": lo, "max": hi,
                "step": 0.1 if self.slider == "shift" else 1.0, "params": self.params}


# --- numbers as the file would hold them ------------------------------------------------------

def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _is_finite_number(x: Any) -> TypeGuard[float]:
    """A number a float can hold (JSON integers can be far larger)."""
    try:
        return _is_number(x) and math.isfinite(x)
    except OverflowError:
        return False


def _tidy(x: float, like: Any) -> Any:
    """``x`` rounded to 12 significant digits (so that 36,000 x 1.1 is 39,600, not
    39,600.000000000004), a whole number where ``like`` was one, in ``like``'s style: a
    tomlkit number keeps its underscores (``20_000``).
    """
    if not math.isfinite(x):
        raise EditError(f"the edit gives {x}, not a finite number")
    v = float(f"{x:.12g}")
    whole = isinstance(like, int) and not isinstance(like, bool) and v.is_integer() \
        and abs(v) < 2 ** 53
    value: Any = int(v) if whole else v
    as_string = getattr(like, "as_string", None)
    if as_string is not None:
        import tomlkit

        if whole:
            return tomlkit.integer(f"{value:_}" if "_" in as_string() else str(value))
        return tomlkit.float_(repr(float(value)))
    return value


def _plain(x: Any) -> Any:
    """A tomlkit value as plain Python (numbers stay numbers)."""
    unwrap = getattr(x, "unwrap", None)
    return unwrap() if unwrap is not None else x


# --- the transforms -----------------------------------------------------------------------------

def scaled(node: Any, factor: float, what: str = "it") -> Any:
    """``node`` (a number or a distribution table, changed in place) scaled by ``factor``."""
    if _is_number(node):
        return _tidy(float(node) * factor, node)
    if not isinstance(node, MutableMapping):
        raise Unsupported(f"{what} is not a number or a distribution")
    family = _plain(node.get("dist"))
    if family in _LOCATION:
        for key in _LOCATION[family]:
            if key in node:
                _scale_key(node, key, factor)
        if family == "lognormal" and "mu" in node:
            mu = node["mu"]
            node["mu"] = (_tidy(float(mu) + math.log(factor), mu) if _is_number(mu)
                          else shifted(mu, math.log(factor), "its log-median"))
        return node
    if family == "gamma":
        node["scale"] = scaled(node["scale"], factor, "its scale")
        return node
    if family in _RATE:
        key = _RATE[family]
        if key not in node:
            raise Unsupported("a rate learned from history: edit its prior or the observed "
                              "counts instead")
        node[key] = scaled(node[key], factor, "its rate")
        return node
    if family == "mixture":
        for c in node["components"]:
            scaled(c, factor, "a component")
        return node
    raise Unsupported(f"no slider for a {family} distribution")


def shifted(node: Any, delta: float, what: str = "it") -> Any:
    """``node`` (a number or a distribution table, changed in place) moved by ``delta``."""
    if _is_number(node):
        return _tidy(float(node) + delta, node)
    if not isinstance(node, MutableMapping):
        raise Unsupported(f"{what} is not a number or a distribution")
    family = _plain(node.get("dist"))
    if family in _LOCATION and family != "lognormal":
        for key in _LOCATION[family]:
            if key in node and key not in _SPREAD:
                _shift_key(node, key, delta)
        return node
    if family == "mixture":
        for c in node["components"]:
            shifted(c, delta, "a component")
        return node
    raise Unsupported(f"a {family} distribution cannot be shifted; edit its parameters")


def _scale_key(node: MutableMapping, key: str, factor: float) -> None:
    value = node[key]
    if isinstance(value, MutableSequence):
        for i, v in enumerate(value):
            value[i] = _tidy(float(v) * factor, v)
    else:
        node[key] = _tidy(float(value) * factor, value)


def _shift_key(node: MutableMapping, key: str, delta: float) -> None:
    value = node[key]
    if isinstance(value, MutableSequence):
        for i, v in enumerate(value):
            value[i] = _tidy(float(v) + delta, v)
    else:
        node[key] = _tidy(float(value) + delta, value)


# --- walking a document (plain or tomlkit) -----------------------------------------------------

def _find(doc: Any, parts: list, create: bool = False) -> tuple[Any, Any]:
    """The container holding the last part of ``parts``, and the key in it. ``create``: a
    missing last key is allowed (the caller inserts it).
    """
    node = doc
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(part, tuple):
            if not isinstance(node, Sequence) or isinstance(node, str):
                raise KeyError(part[0])
            for j, item in enumerate(node):
                if isinstance(item, Mapping) and _plain(item.get("name")) == part[0]:
                    if last:
                        return node, j
                    node = item
                    break
            else:
                raise KeyError(part[0])
            continue
        if not isinstance(node, Mapping):
            raise KeyError(part)
        if last:
            if part not in node and not create:
                raise KeyError(part)
            return node, part
        node = node[part]
    raise KeyError("empty path")


def _index_path(doc: Any, target: str) -> str:
    """``target`` with names turned into list positions, as validation names fields:
    ``risks["Quality failure"].frequency`` -> ``risks[1].frequency``.
    """
    out, node = "", doc
    for part in paths.parse(target):
        if isinstance(part, tuple):
            j = next(j for j, item in enumerate(node)
                     if isinstance(item, Mapping) and item.get("name") == part[0])
            out += f"[{j}]"
            node = node[j]
        else:
            out += ("." if out else "") + part
            node = node.get(part) if isinstance(node, Mapping) else None
    return out


def _numeric_leaves(node: Any, prefix: str) -> Iterable[tuple[str, Any]]:
    """(path, number) of every number directly editable in a distribution table (nested
    tables too; lists are left to the slider).
    """
    if _is_number(node):
        yield prefix, node
        return
    if isinstance(node, Mapping):
        for key, value in node.items():
            if _is_number(value) or isinstance(value, Mapping):
                yield from _numeric_leaves(value, f"{prefix}.{key}")


# --- the editor ---------------------------------------------------------------------------------

_PER_TRIAL = re.compile(r'^risks\[".*"\]\.(frequency|severity)\.\w+$')
_SHARE_GROWTH = re.compile(r'^costs\[".*"\]\.growth$')


class Editor:
    """The editable targets of one scenario file and the edits applied to its document.

    ``path`` names the file in messages (as ``kposim validate`` does); ``text`` is its TOML;
    ``scenario`` and ``model`` its validated and compiled forms (the baseline).
    """

    def __init__(self, path: str, text: str, scenario: Scenario,
                 model: CompiledModel | None = None) -> None:
        self.source = path
        self.text = text
        self.doc = tomllib.loads(text)
        self.scenario = scenario
        self.model = model if model is not None else compile_scenario(scenario)
        self.defaults = variants.document(scenario)  # every key, defaults filled in
        self.targets: dict[str, Target] = {}
        self.allowed: dict[str, set[str]] = {}  # target -> operations
        #: target -> the compiled input it changes alone (for :meth:`compile`)
        self.input_of: dict[str, str] = {}
        self.row_of: dict[str, str] = {}  #: a parameter's target -> its input's target
        for row in content.assumptions(scenario, self.model):
            self._add_input(row)
        self.controls = [c.name for c in scenario.controls]
        for name in self.controls:
            self.allowed[f"controls[{quote(name)}]"] = {"enabled"}
        self.allowed["scenario.horizon_years"] = {"set"}

    def _add_input(self, row: content.Assumption) -> None:
        if _PER_TRIAL.match(row.path):
            return  # a risk's per-trial rate or size: the risk's own rows edit it
        parts = paths.parse(row.path)
        try:
            parent, key = _find(self.defaults, parts)
        except KeyError:
            return  # an input the file cannot hold (a control's growth)
        node = parent[key]
        unit = _unit(self.scenario, row.path)
        t = Target(row.path, row.group, row.label, row.words, unit, row.p5, row.p50, row.p95)
        if _SHARE_GROWTH.match(row.path) and self._is_share(parts[1][0]):
            t.reason = "a share follows the growth of what it is a share of"
            self.targets[row.path] = t
            return
        slider: str | None = "shift" if unit == "percent" else "scale"
        try:
            probe = copy.deepcopy(node)
            shifted(probe, 0.01) if slider == "shift" else scaled(probe, 1.1)
        except Unsupported as e:
            if slider == "shift":
                try:
                    scaled(copy.deepcopy(node), 1.1)
                    slider = "scale"
                except Unsupported:
                    slider, t.reason = None, str(e)
            else:
                slider, t.reason = None, str(e)
        t.slider = slider
        ops = {"set"} | ({slider} if slider else set())
        alone = row.path in self.model.input_names
        for path, value in _numeric_leaves(node, row.path):
            key_words = path[len(row.path) + 1:] or "value"
            t.params.append({"target": path, "key": key_words, "value": value})
            self.allowed.setdefault(path, set()).add("set")
            self.row_of[path] = row.path
            if alone:
                self.input_of[path] = row.path
        if alone:
            self.input_of[row.path] = row.path
        self.allowed[row.path] = ops - ({"set"} if isinstance(node, Mapping) else set())
        self.targets[row.path] = t

    def _is_share(self, name: str) -> bool:
        return any(c.name == name and c.share_of is not None for c in self.scenario.costs)

    # -- what the page gets ------------------------------------------------------------------

    def spec(self) -> dict[str, Any]:
        """The page's controls: every input (with its sliders and parameters), every control
        on/off, the horizon.
        """
        return {"inputs": [t.spec() for t in self.targets.values()],
                "controls": [{"target": f"controls[{quote(n)}]", "label": n}
                             for n in self.controls],
                "horizon": {"target": "scenario.horizon_years",
                            "value": self.scenario.scenario.horizon_years, "min": 1,
                            "max": 30}}

    def words(self, scenario: Scenario, targets: Iterable[str]) -> dict[str, str]:
        """The distributions in words, in each input's unit, of the inputs ``targets`` (or
        their parameters) name.
        """
        units = content.units(scenario.scenario.currency)
        out = {}
        for target in dict.fromkeys(self.row_of.get(x, x) for x in targets):
            t = self.targets.get(target)
            if t is not None:
                out[target] = content.in_words(_distribution_at(scenario, target),
                                               units[t.unit])
        return out

    # -- reading a request --------------------------------------------------------------------

    def parse_edits(self, raw: Any) -> list[Edit]:
        """The request's edits, checked: known targets, allowed operations, finite numbers
        (a bool for ``enabled``). Later edits of the same target and operation win.
        """
        if not isinstance(raw, list):
            raise EditError("edits must be a list")
        if len(raw) > MAX_EDITS:
            raise EditError(f"at most {MAX_EDITS} edits")
        edits: dict[tuple[str, str], Edit] = {}
        for item in raw:
            if not isinstance(item, dict) or set(item) - {"target", "op", "value"}:
                raise EditError("each edit is {target, op, value}")
            target, op, value = item.get("target"), item.get("op"), item.get("value")
            if not isinstance(target, str) or len(target) > MAX_TARGET:
                raise EditError("an edit's target must be a parameter path")
            if op not in OPS:
                raise EditError(f"unknown operation {op!r} (allowed: {', '.join(OPS)})")
            if op not in self.allowed.get(target, ()):
                raise EditError(f"{target}: cannot {op} this")
            if op == "enabled":
                if not isinstance(value, bool):
                    raise EditError(f"{target}: enabled must be true or false")
            elif not _is_finite_number(value):
                raise EditError(f"{target}: {op} needs a finite number")
            elif op == "scale" and not SCALE_RANGE[0] <= value <= SCALE_RANGE[1]:
                raise EditError(f"{target}: scale must be between {SCALE_RANGE[0]:g}% and "
                                f"{SCALE_RANGE[1]:g}%")
            elif op == "shift" and not SHIFT_RANGE[0] <= value <= SHIFT_RANGE[1]:
                raise EditError(f"{target}: shift must be between {SHIFT_RANGE[0]:g} and "
                                f"{SHIFT_RANGE[1]:g} points")
            edits[(target, op)] = Edit(target, op, value)
        return list(edits.values())

    # -- applying edits ----------------------------------------------------------------------

    def apply(self, doc: Any, edits: list[Edit]) -> list[str]:
        """Apply ``edits`` to ``doc`` (plain or tomlkit, changed in place): parameters first,
        then sliders, then controls switched off. Returns the names of the controls taken
        out (a tomlkit document keeps them, for :meth:`toml` to comment out).
        """
        order = {"set": 0, "scale": 1, "shift": 1, "enabled": 2}
        off = []
        for e in sorted(edits, key=lambda e: order[e.op]):
            parts = paths.parse(e.target)
            if e.op == "enabled":
                if not e.value:
                    off.append(parts[-1][0])
                continue
            parent, key = _find(doc, parts, create=True)
            if key not in parent:  # a key left to its default: start from the default
                dparent, dkey = _find(self.defaults, parts)
                parent[key] = _default_value(dparent[dkey], parent)
            node = parent[key]
            if e.op == "set":
                new = _tidy(float(e.value), node)
            elif e.op == "scale":
                new = scaled(node, 1.0 + e.value / 100.0)
            else:
                new = shifted(node, e.value / 100.0)
            if new is not node:  # a number replaced; a table was changed in place
                parent[key] = new
        if off:
            _drop_correlations(doc, off)
        return off

    def document(self, edits: list[Edit]) -> dict[str, Any]:
        """The plain document with ``edits`` applied (controls switched off removed)."""
        doc = copy.deepcopy(self.doc)
        off = self.apply(doc, edits)
        if off:
            doc["controls"] = [c for c in doc.get("controls", []) if c.get("name") not in off]
            if not doc["controls"]:
                del doc["controls"]
        return doc

    def toml(self, edits: list[Edit]) -> str:
        """The edited scenario as TOML text: the original file with only the edited values
        changed, comments and layout kept; a control switched off is commented out.
        """
        import tomlkit

        doc = tomlkit.parse(self.text)
        off = self.apply(doc, edits)
        text = tomlkit.dumps(doc)
        positions = [i for i, c in enumerate(self.scenario.controls) if c.name in off]
        return _comment_out_tables(text, "controls", positions) if positions else text

    def scenario_for(self, edits: list[Edit]) -> Scenario:
        """The edited scenario, validated. Raises :class:`Invalid` with each problem beside
        the edit it belongs to, worded as ``kposim validate`` words it.
        """
        if not edits:
            return self.scenario
        doc = self.document(edits)
        try:
            return scenario_from_dict(doc, source=self.source)
        except ScenarioError:
            pass
        # Validate the text the file would hold, so messages carry its line numbers.
        try:
            parse_scenario(self.toml(edits), source=self.source)
        except ScenarioError as e:
            raise Invalid([Problem(self.owner(doc, p.path, edits), f"{self.source}: {p}")
                           for p in e.problems]) from None
        raise AssertionError("the document and its TOML text disagree")  # pragma: no cover

    def compile(self, scenario: Scenario, edits: list[Edit]) -> CompiledModel:
        """The compiled scenario; a problem found while compiling is :class:`Invalid`.

        When the edits change only inputs drawn once per trial (workforce levels, cost
        lines, controls' costs: each compiled on its own, from its distribution alone), the
        baseline's compiled model is reused with just those inputs compiled again, which
        spares tabulating every other distribution (tens of milliseconds each); the result
        is the model :func:`compile_scenario` builds, up to where tables sit in ``data``.
        """
        if scenario is self.scenario:
            return self.model
        patched = self._patched(scenario, edits)
        if patched is not None:
            return patched
        try:
            return compile_scenario(scenario)
        except FieldError as e:
            raise Invalid([Problem(self.owner(None, e.field, edits),
                                   f"{self.source}: {e.field}: {e}")]) from None

    def _patched(self, scenario: Scenario, edits: list[Edit]) -> CompiledModel | None:
        """The baseline model with the edited inputs recompiled, or None where the edits
        reach beyond inputs (risks, controls switched off, the horizon).
        """
        import dataclasses

        from simulator.distributions.base import DataBuilder

        model = self.model
        names = set()
        for e in edits:
            name = self.input_of.get(e.target)
            if name is None or e.op == "enabled":
                return None
            names.add(name)
        builder = DataBuilder()
        builder.add(model.data)
        codes, params = model.input_codes.copy(), model.input_params.copy()
        dists = list(model.input_dists)
        warnings = list(model.warnings)
        for name in names:
            dist = _distribution_at(scenario, name)
            if dist is None:
                return None
            i = model.input_names.index(name)
            code, p = dist.compile(builder)
            if (code == C.CONSTANT) != (codes[i] == C.CONSTANT):
                return None  # a constant became uncertain or back: the draws change shape
            codes[i], params[i], dists[i] = code, p, dist
            warnings = [w for w in warnings if not w.startswith(f"{name}: ")]
            warnings += [f"{name}: {w}" for w in dist.warnings()]
        return dataclasses.replace(model, input_codes=codes, input_params=params,
                                   input_dists=tuple(dists), data=builder.array(),
                                   warnings=tuple(warnings))

    def owner(self, doc: Any, field_path: str, edits: list[Edit]) -> str | None:
        """The target of the edit a problem at ``field_path`` belongs to: the edit whose
        field contains it (most specific first), else None.
        """
        doc = doc if doc is not None else self.doc
        best, depth = None, -1
        for e in edits:
            # The edit's own field, then the input it belongs to (a PERT's mode can be
            # wrong because its min was set), counted as less specific.
            for rank, target in ((2, e.target), (1, self.row_of.get(e.target, e.target))):
                try:
                    where = _index_path(doc, target)
                except (StopIteration, paths.PathError, TypeError, KeyError, AttributeError):
                    where = target
                if field_path == where or field_path.startswith((where + ".", where + "[")):
                    if (rank, len(where)) > (depth // 10_000, depth % 10_000):
                        best, depth = e.target, rank * 10_000 + len(where)
        return best


def _distribution_at(scenario: Scenario, path: str) -> Any:
    """The distribution object at a compiled input's path in ``scenario`` (None if unset)."""
    node: Any = scenario
    for part in paths.parse(path):
        if isinstance(part, tuple):
            node = next((x for x in node if x.name == part[0]), None)
        else:
            node = getattr(node, part, None)
        if node is None:
            return None
    return node


def _default_value(value: Any, parent: Any) -> Any:
    """A default to insert into ``parent``: a constant as a bare number, a table inline in a
    tomlkit document (as a file would write it).
    """
    if isinstance(value, Mapping) and value.get("dist") == "constant":
        return value["value"]
    if isinstance(value, Mapping) and hasattr(parent, "as_string"):
        import tomlkit

        table = tomlkit.inline_table()
        table.update(copy.deepcopy(value))
        return table
    return copy.deepcopy(value)


def _unit(s: Scenario, path: str) -> str:
    """The unit of an input of the assumptions table (as the report formats it)."""
    if path.endswith(".frequency"):
        return "events"
    if path.endswith(".severity"):
        return "money"
    return content.input_label(s, path)[2]


def _drop_correlations(doc: Any, controls: list[str]) -> None:
    """Remove from ``doc``'s correlations every input of the named controls (an entry left
    with fewer than two inputs goes).
    """
    corr = doc.get("correlations")
    if not corr:
        return
    def of_control(path: str) -> bool:
        try:
            parts = paths.parse(path)
        except paths.PathError:
            return False
        return len(parts) > 1 and parts[0] == "controls" and parts[1] in [(n,) for n in
                                                                          controls]

    for k in range(len(corr) - 1, -1, -1):
        entry = corr[k]
        inputs = [str(x) for x in entry["inputs"]]
        drop = [i for i, x in enumerate(inputs) if of_control(x)]
        if not drop:
            continue
        keep = [i for i in range(len(inputs)) if i not in drop]
        if len(keep) < 2:
            del corr[k]
            continue
        rank = entry["rank"]
        entry["inputs"] = [inputs[i] for i in keep]
        if isinstance(rank, Sequence):
            entry["rank"] = [[float(rank[i][j]) for j in keep] for i in keep] if len(keep) > 2 \
                else float(rank[keep[0]][keep[1]])
    if not corr:
        del doc["correlations"]


def _comment_out_tables(text: str, section: str, positions: list[int]) -> str:
    """Comment out the ``[[section]]`` tables at ``positions`` (0-based among them): the
    header and every line up to the last key line before the next table (comments that
    introduce the next table stay as they are). No line is added or removed.
    """
    lines = text.splitlines(keepends=True)
    headers = [i for i, line in enumerate(lines) if line.strip().startswith(f"[[{section}]]")]
    for p in positions:
        start = headers[p]
        end = start
        for i in range(start + 1, len(lines)):
            s = lines[i].strip()
            if s.startswith("[") and not s.startswith((f"[{section}.", f"[[{section}.")) \
                    and _is_header(s):
                break
            if s and not s.startswith("#"):
                end = i
        for i in range(start, end + 1):
            if lines[i].strip():
                note = "  # switched off in kposim serve" if i == start else ""
                body = lines[i].rstrip("\r\n")
                lines[i] = "# " + body + note + lines[i][len(body):]
    return "".join(lines)


def _is_header(s: str) -> bool:
    """Whether a stripped line is a table header (not a line of a multi-line array)."""
    return re.match(r'^\[\[?\s*[A-Za-z0-9_"\'.\- ]+\]\]?\s*(#.*)?$', s) is not None
