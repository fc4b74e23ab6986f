"""``kposim sensitivity``, ``sweep`` and ``breakeven``: what drives a scenario's results, and
where they cross a target. Each writes OUT/<stem>/<analysis>/ and adds its charts to the run's
report there, if there is one.
"""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import click

from simulator.cli import lazy
from simulator.cli.common import backend, load, refuse_repairs, say_report
from simulator.cli.errors import BadInput, values_are_input
from simulator.cli.options import (
    dask_option,
    force_option,
    out_option,
    quiet_option,
    results_folder,
    sampling_option,
    scenario_argument,
    seed_option,
    strict_option,
    threads_option,
    trials_option,
)


@click.command()
@scenario_argument()
@trials_option(100_000, "kept runs", "Trials of each run (two runs per uncertain input).")
@seed_option()
@out_option("<scenario file stem>/sensitivity/")
@threads_option
@force_option("sensitivity folder")
@quiet_option("No table.")
@dask_option
@sampling_option
@strict_option
def sensitivity(scenario: Path, trials: int, seed: int, out: Path, threads: int | None,
                force: bool, quiet: bool, dask: str | None, sampling: str,
                strict: bool) -> None:
    """What drives net savings: tornado (P10/P90 swings), contribution to variance and tail
    drivers, on common random numbers. Writes OUT/<stem>/sensitivity/ (and adds the charts to
    the run's report there, if there is one).
    """
    s = load(scenario)
    refuse_repairs([s], [scenario], strict)  # else the analysis repairs, with a warning
    target = results_folder(out, scenario, "sensitivity")
    with lazy.folders.claim(target, force):
        with backend(dask) as b:
            analysis = lazy.sensitivity.analyze(s, trials=trials, seed=seed, threads=threads,
                                                backend=b, sampling=sampling)
        lazy.engine.check_finite(analysis, scenario)
        report = lazy.write.write_sensitivity(analysis, target, force=force)
    if not quiet:
        lazy.tables.print_tornado(analysis, target)
        say_report(report, scenario, out, "sensitivity")


@click.command()
@scenario_argument()
@click.option("--param", "params", multiple=True, required=True, metavar="PATH=START:STOP:STEPS",
              help='Parameter to sweep, e.g. risks["Data breach"].frequency.mean=0.01:0.1:10; '
                   "give it twice for a 2-D grid.")
@trials_option(100_000, "streamed runs", "Trials at each grid point.")
@seed_option("Random seed, shared by every point.")
@out_option("<scenario file stem>/sweep/")
@threads_option
@force_option("sweep folder")
@dask_option
@sampling_option
@strict_option
def sweep(scenario: Path, params: tuple[str, ...], trials: int, seed: int, out: Path,
          threads: int | None, force: bool, dask: str | None, sampling: str,
          strict: bool) -> None:
    """Run SCENARIO over a 1-D or 2-D grid of parameter values on common random numbers;
    writes sweep.csv, sweep.json and a chart to OUT/<stem>/sweep/ (and adds the chart to the
    run's report there, if there is one).
    """
    s = load(scenario)
    refuse_repairs([s], [scenario], strict)
    if len(params) > 2:
        raise BadInput("--param: give one or two parameters")
    target = results_folder(out, scenario, "sweep")
    axes = [lazy.sweep.Axis.parse(p) for p in params]
    with lazy.folders.claim(target, force):
        with backend(dask) as b:
            result = lazy.sweep.sweep(s, axes, trials=trials, seed=seed, threads=threads,
                                      backend=b, sampling=sampling)
        lazy.engine.check_finite(result, scenario)
        report = lazy.write.write_sweep(result, target, force=force)
    click.echo(f"{len(result['rows'])} grid points; results in {target}/")
    say_report(report, scenario, out, "sweep")


def _target(text: str) -> tuple[str, float]:
    """``--target STAT=VALUE`` as (statistic, value)."""
    stat, _, value = text.partition("=")
    try:
        goal = float(value)
    except ValueError:
        goal = None
    if stat not in lazy.sweep.TARGETS or goal is None:
        raise BadInput(f"--target {text!r}: expected mean=VALUE or prob_loss=VALUE")
    return stat, goal


def _bracket(text: str | None) -> tuple[float, float] | None:
    """``--bracket LO:HI`` as (lo, hi)."""
    if text is None:
        return None
    try:
        lo, hi = (float(x) for x in text.split(":"))
    except ValueError:
        raise BadInput(f"--bracket {text!r}: expected LO:HI") from None
    return lo, hi


@click.command()
@scenario_argument()
@click.option("--param", "path", required=True, metavar="PATH",
              help='The parameter to solve for, e.g. risks["Data breach"].frequency.mean.')
@click.option("--target", "target", required=True, metavar="STAT=VALUE",
              help="mean=0 (mean net savings, currency) or prob_loss=0.2.")
@click.option("--bracket", default=None, metavar="LO:HI",
              help="Values of the parameter that enclose the answer [default: searched].")
@trials_option(100_000, "streamed runs", "Trials of each evaluation.")
@seed_option("Random seed, shared by every evaluation.")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write breakeven.json and the chart of the statistic against the "
                   "parameter to OUT/<scenario file stem>/breakeven/ (and add them to the run's "
                   "report there).")
@force_option("breakeven folder")
@threads_option
@dask_option
@sampling_option
@strict_option
def breakeven(scenario: Path, path: str, target: str, bracket: str | None, trials: int,
              seed: int, out: Path | None, force: bool, threads: int | None, dask: str | None,
              sampling: str, strict: bool) -> None:
    """Find the value of a parameter at which mean net savings or P(net loss) hits a target,
    with its 95% Monte Carlo interval (Brent's method on common random numbers); with --out,
    also the chart of the statistic against the parameter.
    """
    s = load(scenario)
    refuse_repairs([s], [scenario], strict)
    stat, goal = _target(target)
    limits = _bracket(bracket)
    folder = results_folder(out, scenario, "breakeven") if out is not None else None
    report = None
    claimed: Any = (lazy.folders.claim(folder, force) if folder is not None
                    else contextlib.nullcontext())
    with claimed:
        with values_are_input(), backend(dask) as b:
            points = lazy.sweep.CURVE_POINTS if folder is not None else 0
            r = lazy.sweep.breakeven(s, path, stat, goal, bracket=limits, trials=trials,
                                     seed=seed, threads=threads, backend=b, sampling=sampling,
                                     curve_points=points)
        lazy.engine.check_finite({"breakeven": r["breakeven"],
                                  "at": r["statistic_at_breakeven"]}, scenario)
        if folder is not None:
            report = lazy.write.write_breakeven(r, folder, force=force)
    click.echo(f"{lazy.content.breakeven_sentence(r)}; {r['evaluations']} runs of {trials:,} "
               f"trials, seed {seed} ({path} = {r['breakeven']:.6g})")
    if folder is not None and out is not None:
        click.echo(f"chart and breakeven.json in {folder}/")
        say_report(report, scenario, out, "breakeven")
