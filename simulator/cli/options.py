"""Every option two or more commands share, declared once, so that a flag means the same and
is spelled the same in every command.

The policies, in one place:

- ``--trials/-n``: at least 1, at most what the command's runs can hold (:data:`TRIALS_CAP`).
- ``--out/-o``: a folder (default ``results``); a command's results go to one folder below it,
  named after the (first) scenario file: ``OUT/<stem>/`` for a run, ``OUT/<stem>/<analysis>/``
  for an analysis of it (:func:`results_folder`), so that ``kposim report OUT/<stem>`` finds
  them all.
- every command that writes a folder has ``--out`` and ``--force``; every command that shows a
  progress bar or a table has ``--quiet``; ``--formats`` where a report's charts are written.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from simulator.cli import lazy
from simulator.cli.errors import BadInput
from simulator.defaults import DEFAULT_SEED, SAMPLING

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

#: The one cap policy of ``--trials``, by what the command's runs keep: ``one run`` is a single
#: run, whose memory is checked against the trials asked for (and the engine's MAX_TRIALS);
#: ``streamed runs`` are many runs that stream their statistics (a sweep's points, break-even
#: evaluations); ``kept runs`` are many runs that keep every trial (sensitivity, optimize,
#: voi, serve's re-runs).
TRIALS_CAP = {"one run": None, "streamed runs": 100_000_000, "kept runs": 10_000_000}


def scenario_argument(name: str = "scenario") -> Decorator:
    """One scenario file (TOML)."""
    return click.argument(name, type=click.Path(dir_okay=True, path_type=Path))


def scenarios_argument(name: str = "scenarios") -> Decorator:
    """One or more scenario files."""
    return click.argument(name, nargs=-1, required=True, type=click.Path(path_type=Path))


def trials_option(default: int, runs: str, help: str, minimum: int = 1) -> Decorator:
    """``--trials/-n`` capped by :data:`TRIALS_CAP` for ``runs``."""
    return click.option("--trials", "-n", type=click.IntRange(min=minimum, max=TRIALS_CAP[runs]),
                        default=default, show_default=True, help=help)


def seed_option(help: str = "Random seed; same seed, same results.") -> Decorator:
    """``--seed/-s``: a whole number >= 0, the package's default seed."""
    return click.option("--seed", "-s", type=click.IntRange(min=0), default=DEFAULT_SEED,
                        show_default=True, help=help)


def out_option(where: str) -> Decorator:
    """``--out/-o``: the folder results go under; ``where`` is the pattern below it."""
    return click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path),
                        default=Path("results"), show_default=True,
                        help=f"Folder for results: they go to OUT/{where}.")


def results_folder(out: Path, scenario: Path, analysis: str | None = None) -> Path:
    """``OUT/<scenario file stem>/`` or, for an analysis, ``OUT/<stem>/<analysis>/``."""
    folder: Path = lazy.folders.results_dir(out, scenario)
    return folder / analysis if analysis is not None else folder


def force_option(what: str = "results folder") -> Decorator:
    """``--force/-f``: replace an existing results folder."""
    return click.option("--force", "-f", is_flag=True, help=f"Replace an existing {what}.")


def quiet_option(what: str = "No progress bar or table.") -> Decorator:
    """``--quiet/-q``: no progress bar or table (files and warnings as usual)."""
    return click.option("--quiet", "-q", is_flag=True, help=what)


def _parse_formats(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    try:
        formats: tuple[str, ...] = lazy.write.parse_formats(value)
    except ValueError as e:
        raise BadInput(f"--formats: {e}; choose from {', '.join(lazy.write.FORMATS)}") from None
    return formats


def formats_option(default: str, what: str) -> Decorator:
    """``--formats``: what to write besides ``what``; parsed to a tuple of formats."""
    return click.option("--formats", default=default, show_default=True, metavar="LIST",
                        callback=_parse_formats,
                        help=f"What to write besides {what}, comma-separated: png and svg "
                             "charts, pdf report, xlsx workbook (e.g. png,svg,pdf,xlsx).")


threads_option = click.option(
    "--threads", "-t", type=click.IntRange(min=1), default=None,
    help="Worker threads [default: all cores]. Results do not depend on it.")
sampling_option = click.option(
    "--sampling", type=click.Choice(list(SAMPLING)), default="mc", show_default=True,
    help="Design of the per-trial inputs: plain Monte Carlo, Latin hypercube or scrambled "
         "Sobol (each chunk of 65,536 trials one replicate).")
strict_option = click.option(
    "--strict", is_flag=True, help="Refuse correlations that are not a valid correlation "
                                   "matrix instead of repairing them to the nearest valid one.")
dask_option = click.option(
    "--dask", "dask", default=None, metavar="local[:N]|ADDRESS",
    help="Run on a Dask cluster: local[:N] starts N worker processes here [default N: all "
         "cores]; tcp://HOST:8786 uses a running scheduler. Results are bit-identical to a "
         "local run (see docs/cluster.md). Needs: pip install 'kposim[dask]'.")
