"""``kposim report``: rebuild a results folder's decision report from what it holds."""
from __future__ import annotations

import time
from pathlib import Path

import click

from simulator.cli import lazy


@click.command("report")
@click.argument("results_dir", type=click.Path(path_type=Path))
@click.option("--pdf/--no-pdf", default=None,
              help="Also write report.pdf [default: if RESULTS_DIR already has one].")
@click.option("--xlsx/--no-xlsx", default=None,
              help="Also write the workbook report.xlsx [default: if RESULTS_DIR already has "
                   "one].")
def report_command(results_dir: Path, pdf: bool | None, xlsx: bool | None) -> None:
    """Rebuild report.html (and report.pdf, report.xlsx) in RESULTS_DIR (a folder kposim run
    or kposim compare wrote) from what it holds, without re-running the simulation. Adds the
    sensitivity, sweep and break-even charts written into RESULTS_DIR.
    """
    started = time.perf_counter()
    paths = lazy.report.regenerate(results_dir, pdf=pdf, xlsx=xlsx)  # ReportError: exit 2
    also = "".join(f" and {paths[k].name}" for k in ("pdf", "xlsx") if k in paths)
    click.echo(f"wrote {paths['html']}{also} ({time.perf_counter() - started:.1f} s)")
