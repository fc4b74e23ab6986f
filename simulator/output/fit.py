"""A distribution fit's folder: ``fit.json`` (every family's parameters, AIC, BIC, tests and
snippet) and the chart of the data against the fitted distributions (``fit.png``,
``fit.svg``).
"""
from __future__ import annotations

from pathlib import Path

from simulator.analysis.fit import FitReport
from simulator.output.folders import replace_folder, write_json
from simulator.present.plots.fit import plot_fit
from simulator.present.plots.style import save


def write_fit(report: FitReport, data: Path, column: str | None, target: Path,
              force: bool = False) -> None:
    """Write the fit of ``column`` (None: the only column) of ``data`` to ``target``, as a
    whole (see :func:`simulator.output.folders.replace_folder`).
    """
    label = column or "value"

    def fill(tmp: Path) -> None:
        write_json(tmp / "fit.json", {"data": str(data), "column": column, **report.to_dict()})
        save(plot_fit(report, label), tmp, "fit")

    replace_folder(target, force, fill)
