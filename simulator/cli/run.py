"""``kposim run``: simulate one scenario and write its results folder and decision report."""
from __future__ import annotations

import contextlib
import gc
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from simulator.cli import lazy
from simulator.cli.common import backend, compile_checked, load, start
from simulator.cli.errors import BadInput
from simulator.cli.options import (
    dask_option,
    force_option,
    formats_option,
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

if TYPE_CHECKING:
    pass


@click.command()
@scenario_argument()
@trials_option(1_000_000, "one run", "Monte Carlo trials.")
@seed_option()
@out_option("<scenario file stem>/")
@threads_option
@click.option("--precision", "-p", default=None, metavar="TARGET",
              help="Stop once the mean's 95% half-width is below TARGET: a share of the mean "
                   "(0.5%) or an amount (10000); or once the 95% half-widths of statistics are "
                   "(p5=, p95=, cvar5= amounts, prob_loss= a probability, mean=; e.g. "
                   "p95=20000,prob_loss=0.002). --trials is then the most to run.")
@click.option("--statistics", type=click.Choice(["auto", "exact", "streaming"]), default="auto",
              show_default=True, help="exact keeps every trial in memory; streaming uses fixed "
                                      "memory (histograms); auto keeps trials up to 2 GiB.")
@force_option()
@click.option("--save-trials", is_flag=True,
              help="Also write every trial (net savings, costs, risks, drawn inputs) to "
                   "trials.npz, for audit. Keeps all trials in memory.")
@quiet_option()
@formats_option("png", "the summary and report.html")
@sampling_option
@strict_option
@dask_option
def run(scenario: Path, trials: int, seed: int, out: Path, threads: int | None,
        precision: str | None, statistics: str, force: bool, save_trials: bool,
        quiet: bool, formats: tuple[str, ...], sampling: str, strict: bool,
        dask: str | None) -> None:
    """Simulate SCENARIO and write summary.json, summary.csv, key_figures.csv, charts and the
    decision report (report.html; report.pdf and report.xlsx with --formats pdf,xlsx) to
    OUT/<stem>/.
    """
    # The chart-drawing process loads matplotlib on the other core while this one loads the
    # scenario (scipy) and runs; it goes when the command ends, however it ends.
    pool = lazy.charts.start_workers()
    if pool is not None:
        click.get_current_context().call_on_close(
            lambda: pool.shutdown(wait=False, cancel_futures=True))
    s = load(scenario, warn=False)  # its warnings come with the summary
    target = results_folder(out, scenario)
    store = {"auto": None, "exact": True, "streaming": False}[statistics]
    if save_trials:
        if statistics == "streaming":
            raise BadInput("--save-trials keeps every trial; it cannot be combined with "
                           "--statistics streaming")
        store = True
    try:
        stop = lazy.precision.parse(precision) if precision is not None else None
    except ValueError as e:
        raise BadInput(f"--precision: {e}") from None
    if getattr(stop, "needs_trials", False) and statistics == "streaming":
        raise BadInput(f"--precision {precision}: targets other than the mean need the trials; "
                       "drop --statistics streaming")
    engine = lazy.engine
    if trials > engine.MAX_TRIALS:
        raise BadInput(f"--trials must be at most {engine.MAX_TRIALS:,} (got {trials:,})")
    model = compile_checked(s, scenario, strict)
    need = trials * engine.bytes_per_trial(model, save_trials)
    if store and need > engine.MAX_MEMORY_BYTES:
        raise BadInput(f"--trials {trials:,} would need {need / 2**30:.1f} GiB to keep every "
                       f"trial (limit {engine.MAX_MEMORY_BYTES / 2**30:.0f} GiB); use "
                       + ("fewer trials with --save-trials" if save_trials else
                          "--statistics streaming"))

    with lazy.folders.claim(target, force):  # a second run writing it fails now, not later
        show = start(quiet)
        started = time.perf_counter()
        with backend(dask) as b:
            with (lazy.tables.run_progress(trials) if show
                  else contextlib.nullcontext(None)) as step:
                result = engine.simulate(s, trials=trials, seed=seed, threads=threads,
                                         store_trials=store, precision=stop,
                                         keep_inputs=save_trials, sampling=sampling,
                                         model=model, backend=b, progress=step)
        elapsed = time.perf_counter() - started
        summary = lazy.write.write_results(result, target, force=force, save_trials=save_trials,
                                           formats=formats, pool=pool)
    for warning in summary["warnings"]:
        click.echo(f"warning: {scenario}: {warning}", err=True)
    if not quiet:
        lazy.tables.print_summary(summary, target, elapsed)
    # The process is about to exit: spare its final garbage collections a walk over every
    # object scipy, numba and pydantic created (about 0.2 s). Nothing is lost: what the run
    # wrote is closed, and exit frees the memory anyway.
    gc.freeze()

