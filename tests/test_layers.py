"""The package's layers: every import runs down them, and no modules import each other in a
circle. Imports are read with ``ast`` (module level, inside functions and under
``TYPE_CHECKING`` alike: a lazy or type-only import is still a dependency), so the test fails
the moment an import runs back up. docs/architecture.md draws the layers."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "simulator"

#: Bottom to top. A module may import its own layer and the ones below it, never one above.
LAYERS = (
    ("foundation", ("simulator.codes", "simulator.defaults", "simulator.diagnostics")),
    ("distributions", ("simulator.distributions",)),
    ("scenario", ("simulator.scenario",)),
    ("results", ("simulator.results",)),
    ("engine", ("simulator.engine",)),
    ("analysis", ("simulator.analysis",)),
    ("present", ("simulator.present",)),
    ("output", ("simulator.output",)),
    ("commands", ("simulator.cli", "simulator.serve")),
    ("entry point", ("simulator.__main__",)),
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _layer(module: str) -> int:
    for i, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return i
    raise AssertionError(f"{module} is in no layer: add it to LAYERS and docs/architecture.md")


def _imports(module: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that ``module`` imports, anywhere in its text."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                       for a in node.names]
        else:
            continue
        out.update(t for t in targets if t in known and t != module)
    return out


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {m: _imports(m, p, known) for m, p in modules.items() if m != "simulator"}


def test_every_module_is_in_a_layer() -> None:
    for module in _modules():
        if module != "simulator":
            _layer(module)


def test_no_import_runs_up_the_layers() -> None:
    upward = [f"{m} ({LAYERS[_layer(m)][0]}) imports {t} ({LAYERS[_layer(t)][0]})"
              for m, targets in _graph().items() for t in sorted(targets)
              if t != "simulator" and _layer(t) > _layer(m)]
    assert not upward, "imports that run up the layers:\n" + "\n".join(upward)


def test_no_import_circle() -> None:
    graph = _graph()
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    circles: list[list[str]] = []

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for t in sorted(graph.get(m, ())):
            if state.get(t) == 1:
                circles.append(path[path.index(t):] + [t])
            elif t not in state:
                visit(t, path + [t])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert not circles, "import circles:\n" + "\n".join(" -> ".join(c) for c in circles)


def test_the_package_face_names_only_what_lies_below_the_commands() -> None:
    """``simulator/__init__.py`` loads its names lazily by module path; each must exist and
    sit below the command layer (the Python API never loads the CLI)."""
    import simulator

    for name, where in simulator._WHERE.items():
        module = f"simulator.{where}"
        assert module in _modules(), name
        assert _layer(module) < _layer("simulator.cli"), name


def test_the_layer_test_sees_imports_inside_functions(tmp_path: Path) -> None:
    """A guard on the guard: the graph includes imports written inside functions."""
    source = tmp_path / "lazy.py"
    source.write_text("def f():\n    from simulator.cli import main\n")
    assert _imports("simulator.results.lazy", source, set(_modules())) == {"simulator.cli"}
