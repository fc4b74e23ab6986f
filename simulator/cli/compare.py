"""``kposim compare``: two or more options (scenario files) on common random numbers."""
from __future__ import annotations

import contextlib
import time
from pathlib import Path

import click

from simulator.cli import lazy
from simulator.cli.common import backend, load, refuse_repairs, start
from simulator.cli.errors import BadInput, values_are_input
from simulator.cli.options import (
    dask_option,
    force_option,
    formats_option,
    out_option,
    quiet_option,
    sampling_option,
    scenarios_argument,
    seed_option,
    strict_option,
    threads_option,
    trials_option,
)


def _labels(scenarios: tuple[Path, ...], names: str | None) -> list[str]:
    """``--names``, or the file stems; a file given twice gets "(2)"."""
    if names is not None:
        labels = [n.strip() for n in names.split(",")]
        if len(labels) != len(scenarios) or not all(labels):
            raise BadInput(f"--names: give {len(scenarios)} non-empty labels separated by "
                           f"commas (got {names!r})")
        return labels
    stems = [p.stem for p in scenarios]
    return [st if stems[:i].count(st) == 0 else f"{st} ({stems[:i].count(st) + 1})"
            for i, st in enumerate(stems)]


@click.command("compare")
@scenarios_argument()
@trials_option(1_000_000, "one run", "Monte Carlo trials of each option.")
@seed_option("Random seed, shared by every option.")
@out_option("compare-<stem>-<stem>[...]/")
@threads_option
@click.option("--names", default=None, metavar="A,B,...",
              help="Labels of the options in tables and charts [default: file stems].")
@force_option()
@quiet_option("No progress bar or tables.")
@formats_option("png,svg", "report.html, the JSON and CSV files")
@dask_option
@sampling_option
@strict_option
def compare_options(scenarios: tuple[Path, ...], trials: int, seed: int, out: Path,
                    threads: int | None, names: str | None, force: bool, quiet: bool,
                    formats: tuple[str, ...], dask: str | None, sampling: str,
                    strict: bool) -> None:
    """Compare two or more options (scenario files) on common random numbers: per-option
    figures, and for each pair the per-trial difference, P(A beats B) and first-order
    dominance. Writes the decision report (report.html), comparison.json, comparison.csv,
    key_figures.csv and charts to OUT/compare-<stem>-<stem>[...]/.
    """
    if len(scenarios) < 2:
        raise BadInput(f"compare needs at least two scenario files (got {len(scenarios)})")
    loaded = [load(p) for p in scenarios]
    refuse_repairs(loaded, list(scenarios), strict)
    labels = _labels(scenarios, names)
    stems = [p.stem for p in scenarios]
    target = out / lazy.folders.safe_name("compare-" + "-".join(stems))
    with values_are_input():
        lazy.compare.check_options(loaded, labels, trials)

    show = start(quiet)
    started = time.perf_counter()
    with lazy.folders.claim(target, force):
        with backend(dask) as b, lazy.tables.plain_progress(
                trials * len(loaded)) if show else contextlib.nullcontext(None) as step:
            result = lazy.compare.compare(loaded, labels, trials=trials, seed=seed,
                                          threads=threads, backend=b, sampling=sampling,
                                          progress=step)
        summary = lazy.comparison.write_comparison(result, target, force=force, keys=stems,
                                                   formats=formats)
    for warning in summary["warnings"]:
        click.echo(f"warning: {warning}", err=True)
    if not quiet:
        lazy.tables.print_comparison(summary, target, time.perf_counter() - started)
