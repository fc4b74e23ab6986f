"""``kposim optimize`` and ``kposim voi``: which controls to buy, and what is worth finding
out (EVPI, EVPPI, the value of a pilot) before deciding. Each writes OUT/<stem>/<analysis>/.
"""
from __future__ import annotations

import time
from pathlib import Path

import click

from simulator.cli import lazy
from simulator.cli.common import backend, load
from simulator.cli.errors import values_are_input
from simulator.cli.options import (
    dask_option,
    force_option,
    out_option,
    quiet_option,
    results_folder,
    scenario_argument,
    scenarios_argument,
    seed_option,
    threads_option,
    trials_option,
)


@click.command("optimize")
@scenario_argument()
@click.option("--budget", type=float, default=None, metavar="AMOUNT",
              help="Most the controls may cost, expected present value [default: no limit].")
@click.option("--objective", type=click.Choice(["mean", "cvar5", "prob_loss"]), default="mean",
              show_default=True, help="Maximise mean net savings or the mean of the worst 5%, "
                                      "or minimise the chance of a net loss.")
@click.option("--respect-tolerance", is_flag=True,
              help="Only portfolios that pass the scenario's [tolerance].")
@click.option("--method", type=click.Choice(["auto", "exhaustive", "greedy"]), default="auto",
              show_default=True, help="auto: every subset up to 12 controls, greedy with swaps "
                                      "beyond.")
@trials_option(100_000, "kept runs", "Trials of each run (every portfolio shares them).")
@seed_option("Random seed, shared by every portfolio.")
@out_option("<scenario file stem>/optimize/")
@threads_option
@force_option("optimize folder")
@quiet_option("No table.")
@dask_option
def optimize_command(scenario: Path, budget: float | None, objective: str,
                     respect_tolerance: bool, method: str, trials: int, seed: int, out: Path,
                     threads: int | None, force: bool, quiet: bool, dask: str | None) -> None:
    """Choose the [[controls]] (and [[choices]] options) that do best on OBJECTIVE within
    the budget, on common random numbers: the efficient frontier with paired Monte Carlo
    errors, the chosen set and its margin over the second best. Writes
    OUT/<stem>/optimize/ (optimize.json, frontier.csv, frontier chart).
    """
    s = load(scenario)
    target = results_folder(out, scenario, "optimize")
    started = time.perf_counter()
    lazy.folders.check_writable(target, force)
    with values_are_input(f"{scenario}: "), backend(dask) as b:
        result = lazy.optimize.optimize(s, budget=budget, objective=objective,
                                        respect_tolerance=respect_tolerance, trials=trials,
                                        seed=seed, threads=threads, backend=b, method=method)
    lazy.write.write_decision(result, target, "optimize", force=force)
    if not quiet:
        lazy.tables.print_optimize(result, target, time.perf_counter() - started)


@click.command("voi")
@scenarios_argument()
@trials_option(100_000, "kept runs", "Trials of each option's run (they keep their inputs).",
               minimum=100)
@seed_option("Random seed, shared by every option.")
@out_option("<first scenario file stem>/voi/")
@threads_option
@force_option("voi folder")
@quiet_option("No table.")
@dask_option
def voi_command(scenarios: tuple[Path, ...], trials: int, seed: int, out: Path,
                threads: int | None, force: bool, quiet: bool, dask: str | None) -> None:
    """What is worth finding out before deciding between keeping the work in-house and
    outsourcing as in SCENARIOS: EVPI, each input's EVPPI with standard errors and, with a
    [pilot] in the first scenario, the value of the pilot. Writes OUT/<stem>/voi/.
    """
    loaded = [load(p) for p in scenarios]
    target = results_folder(out, scenarios[0], "voi")
    started = time.perf_counter()
    lazy.folders.check_writable(target, force)
    with values_are_input(f"{scenarios[0]}: "), backend(dask) as b:
        names = ["Outsource"] if len(loaded) == 1 else [p.stem for p in scenarios]
        result = lazy.voi.analyze(loaded, names, trials=trials, seed=seed, threads=threads,
                                  backend=b)
        if loaded[0].pilot is not None:
            result["pilot"] = lazy.pilot.analyze(loaded[0], trials=trials, seed=seed,
                                                 threads=threads, backend=b)
    lazy.write.write_decision(result, target, "voi", force=force)
    if not quiet:
        lazy.tables.print_voi(result, target, time.perf_counter() - started)
