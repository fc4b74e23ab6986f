"""Writing a run's results folder: all of it, or nothing.

Files are written into a hidden temporary folder beside the target and moved into place only
when complete, so an interrupted or failed run never leaves partial output, and an existing
results folder is replaced only when the caller asked for it (``force``).
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .result import SimulationResult


class OutputExistsError(FileExistsError):
    """The results folder exists and overwriting it was not requested."""


def results_dir(out: Path, scenario_path: Path) -> Path:
    """Where a scenario's results go: ``out/<scenario file stem>``."""
    return Path(out) / Path(scenario_path).stem


def check_writable(target: Path, force: bool) -> None:
    """Fail early, before a long run, if ``target`` cannot be written."""
    if target.exists() and not force:
        raise OutputExistsError(f"{target} already exists; pass --force to replace it, or "
                                "--out to write elsewhere")
    if target.exists() and not target.is_dir():
        raise OutputExistsError(f"{target} exists and is not a folder")
    parent = target.parent
    while not parent.exists():
        parent = parent.parent
    if not os.access(parent, os.W_OK):
        raise PermissionError(f"cannot write to {parent}")


def write_json(path: Path, obj: Any) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, allow_nan=False)
        f.write("\n")


def write_results(result: "SimulationResult", target: Path, force: bool = False,
                  charts: bool = True) -> dict[str, Any]:
    """Write ``summary.json`` and the chart set into ``target``; returns the summary."""
    from .plots import write_charts

    target = Path(target)
    check_writable(target, force)
    target.parent.mkdir(parents=True, exist_ok=True)
    summary = result.summary()
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        write_json(tmp / "summary.json", summary)
        if charts:
            write_charts(result.chart_data(), tmp)
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary


def replace_folder(target: Path, force: bool, fill: Callable[[Path], None]) -> None:
    """Build a folder with ``fill(tmp)`` in a hidden temporary folder beside ``target``, then
    move it into place (replacing ``target`` only when ``force``). Nothing is left behind on
    failure or interrupt."""
    target = Path(target)
    check_writable(target, force)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        fill(tmp)
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_sensitivity(analysis: dict[str, Any], target: Path, force: bool = False) -> None:
    """Write ``sensitivity.json`` and the tornado, drivers and tail-driver charts to ``target``."""
    from .plots.sensitivity import CHARTS
    from .plots.style import save

    def fill(tmp: Path) -> None:
        write_json(tmp / "sensitivity.json", analysis)
        for stem, plot in CHARTS.items():
            save(plot(analysis), tmp, stem)

    replace_folder(target, force, fill)


def write_sweep(result: dict[str, Any], target: Path, force: bool = False) -> None:
    """Write ``sweep.json``, ``sweep.csv`` (one row per grid point) and the sweep chart."""
    import csv

    from .plots.style import save
    from .plots.sweep import plot_sweep_heatmap, plot_sweep_line

    def fill(tmp: Path) -> None:
        write_json(tmp / "sweep.json", result)
        with open(tmp / "sweep.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(result["rows"][0]))
            writer.writeheader()
            writer.writerows(result["rows"])
        if len(result["parameters"]) == 1:
            save(plot_sweep_line(result), tmp, "sweep")
        else:
            save(plot_sweep_heatmap(result), tmp, "sweep")

    replace_folder(target, force, fill)
