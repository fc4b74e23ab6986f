"""What the commands share between loading a scenario and printing its results: the checked
scenario, its strict compilation, the Dask backend, the first-run notice and the note after
an analysis. Nothing here computes results; it calls the layers below.
"""
from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from simulator.cli import lazy
from simulator.cli.errors import BadInput
from simulator.distributions.base import FieldError
from simulator.scenario.model import Scenario, load_scenario

if TYPE_CHECKING:
    from simulator.engine.run import Backend
    from simulator.scenario.compiled import Check, CompiledModel


def load(path: Path | str, warn: bool = True) -> Scenario:
    """The validated scenario (a ScenarioError goes to the one error path); prints its
    semantic warnings unless the command prints them with its results.
    """
    s = load_scenario(path)
    if warn:
        for w in s.semantic_warnings():
            click.echo(f"warning: {path}: {w}", err=True)
    return s


def compile_checked(s: Scenario, source: Path | str, strict: bool) -> CompiledModel:
    """The compiled scenario; with ``strict``, a correlation matrix needing repair is an error
    naming ``source``.
    """
    with _naming(source):
        model: CompiledModel = lazy.compiled.compile_scenario(s, strict=strict)
    return model


def check_compiles(s: Scenario, source: Path | str, strict: bool) -> Check:
    """What :func:`compile_checked` would warn about and refuse, without building the arrays
    (``kposim validate``).
    """
    with _naming(source):
        check: Check = lazy.compiled.check_scenario(s, strict=strict)
    return check


@contextlib.contextmanager
def _naming(source: Path | str) -> Iterator[None]:
    """A compiler's FieldError as bad input naming ``source`` and the field."""
    try:
        yield
    except FieldError as e:
        raise BadInput(f"{source}: {e.field}: {e}") from None


def refuse_repairs(scenarios: list[Scenario], sources: list[Path], strict: bool) -> None:
    """With ``--strict``, refuse now a correlation matrix the analysis would repair (with a
    warning) when it compiles the scenario itself.
    """
    if strict:
        for s, source in zip(scenarios, sources, strict=True):
            compile_checked(s, source, strict)


@contextlib.contextmanager
def backend(spec: str | None) -> Iterator[Backend | None]:
    """The Dask backend ``--dask`` asks for, or None (nothing of Dask is imported then); a
    cluster that cannot be used is bad input (the one error path says so).
    """
    if spec is None:
        yield None
        return
    b = lazy.cluster.connect(spec)
    try:
        yield b
    finally:
        b.close()


def start(quiet: bool) -> bool:
    """Say when the kernels compile (the first run only); whether to show a progress bar."""
    if not quiet and not _cache_is_warm():
        click.echo("compiling kernels (first run only)...", err=True)
    return not quiet and sys.stderr.isatty()


def _cache_is_warm() -> bool:
    """Whether numba has cached the kernels: beside their source, or under NUMBA_CACHE_DIR."""
    source = Path(lazy.kernels.__file__)
    cache_dir = getattr(lazy.numba_config, "CACHE_DIR", "")  # set at import: no stub has it
    cache = (Path(cache_dir).rglob("kernels.*.nbi") if cache_dir else
             (source.parent / "__pycache__").glob("kernels.*.nbi"))
    return any(cache)


def say_report(report: dict[str, Any] | None, scenario: Path, out: Path, what: str) -> None:
    """After an analysis: that the run's report now shows it, or the commands that would."""
    if report is not None:
        click.echo(f"added to the report: {report['html']}"
                   + (f" and {report['pdf'].name}" if "pdf" in report else ""))
        return
    folder = lazy.folders.results_dir(out, scenario)
    click.echo(f"no run in {folder}/ to add the {what} to; to see it in a report: "
               f"kposim run {scenario} --out {out}, then kposim report {folder}")
