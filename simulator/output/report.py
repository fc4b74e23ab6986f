"""The decision-meeting report: ``report.html`` (one self-contained file) and ``report.pdf``.

The report is built from what a run has already computed, never from trial arrays: the
summary dictionary (``summary.json``), the :class:`~simulator.results.chartdata.ChartData` the
charts are drawn from (kept as ``chartdata.npz``), the chart images already in the results folder
(SVG where written, else PNG), and
the scenario (kept as ``scenario.toml``) for the assumptions table. So a report takes the same
time for a thousand trials or a billion, and ``kposim report RESULTS_DIR`` can rebuild it
without re-running anything::

    from simulator.output.report import regenerate
    regenerate(Path("results/manila_financial_research"))

Sections that depend on optional analyses are hooks, drawn only when their data exists: the
risk-tolerance table (scenario ``[tolerance]``), controls (``[[controls]]``), the tornado and
driver charts (``RESULTS_DIR/sensitivity/sensitivity.json`` from ``kposim sensitivity``), the
sweep (``RESULTS_DIR/sweep/sweep.json`` from ``kposim sweep``) and the break-even search
(``RESULTS_DIR/breakeven/breakeven.json`` from ``kposim breakeven --out``), the control
frontier and the value-of-information chart (``RESULTS_DIR/optimize/`` and
``RESULTS_DIR/voi/`` from ``kposim optimize`` and ``kposim voi``, :mod:`.decision`). The
sensitivity, sweep and break-even commands rebuild the report themselves when they write into
a run's folder (:func:`refresh_run_report`).

A folder written by ``kposim compare`` (``comparison.json``) gets the comparison report
instead (its pages: :mod:`simulator.present.report.compare`); :func:`regenerate` rebuilds either.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from simulator.output.audit import TRIALS_FILE
from simulator.output.folders import (
    BREAKEVEN_DIR,
    CHART_DATA,
    REPORT_HTML,
    REPORT_PDF,
    SCENARIO_TOML,
    SENSITIVITY_DIR,
    SWEEP_DIR,
    ReportError,
    chart_images,
    is_run_folder,
    load_analyses,
    load_comparison,
    load_saved_scenario,
    write_atomic,
)
from simulator.present.plots.style import svg_text
from simulator.present.report.compare import render_compare_html
from simulator.present.report.decision import load_decision
from simulator.present.report.html import render_html
from simulator.results.chartdata import ChartData
from simulator.scenario.compiled import CompiledModel
from simulator.scenario.model import Scenario


def _chart_images(folder: Path, d: ChartData) -> dict[str, str | bytes]:
    """The standard charts as SVG text or PNG bytes: read from ``folder`` where written (SVG
    first: it stays sharp at any zoom), else drawn from ``d`` as SVG.
    """
    from simulator.present.plots import CHART_FUNCTIONS

    out: dict[str, str | bytes] = {}
    for stem in CHART_FUNCTIONS:
        svg, png = folder / f"{stem}.svg", folder / f"{stem}.png"
        if svg.is_file():
            out[stem] = svg.read_text(encoding="utf-8")
        elif png.is_file():
            out[stem] = png.read_bytes()
        else:
            from simulator.present.plots import CHARTS

            out[stem] = svg_text(CHARTS[stem](d))
    return out


def _sensitivity(folder: Path) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The sensitivity analysis of ``folder/sensitivity/`` (its dict and chart SVGs), if run."""
    path = folder / SENSITIVITY_DIR / "sensitivity.json"
    if not path.is_file():
        return None, {}
    from simulator.present.plots.sensitivity import (
        CHARTS,  # loads matplotlib: only when there is one
    )

    analysis = json.loads(path.read_text(encoding="utf-8"))
    svgs = {}
    for stem, plot in CHARTS.items():
        svg = path.parent / f"{stem}.svg"
        svgs[stem] = svg.read_text(encoding="utf-8") if svg.is_file() else svg_text(plot(analysis))
    return analysis, svgs


def _analysis_figures(folder: Path, analyses: dict[str, dict[str, Any]]
                      ) -> dict[str, tuple[str, str, str | bytes]]:
    """Stem -> (heading, caption, image) of the sweep and break-even charts: the SVG (or
    PNG) the command wrote, else drawn from the JSON.
    """
    from simulator.present.report.content import analysis_text

    out = {}
    for key, sub in (("sweep", SWEEP_DIR), ("breakeven", BREAKEVEN_DIR)):
        if key not in analyses:
            continue
        svg, png = folder / sub / f"{key}.svg", folder / sub / f"{key}.png"
        if svg.is_file():
            image: str | bytes = svg.read_text(encoding="utf-8")
        elif png.is_file():
            image = png.read_bytes()
        else:
            from simulator.present.plots.sweep import chart_for

            image = svg_text(chart_for(key, analyses[key]))
        out[key] = (*analysis_text(key, analyses[key]), image)
    return out


def write_html(folder: Path, summary: dict[str, Any], chart_data: ChartData,
               scenario: Scenario, *, comparison: dict[str, Any] | None = None,
               trials_file: str | None = None, scenario_file: str = SCENARIO_TOML,
               model: CompiledModel | None = None) -> Path:
    """Write ``report.html`` into ``folder`` (replaced atomically) and return its path
    (``model``: the scenario as the run compiled it, if at hand).

    The standard charts are read from ``folder`` (where
    :func:`~simulator.output.charts.write_charts` put them: SVG, else PNG), drawn from
    ``chart_data`` only if missing; a sensitivity analysis in ``folder/sensitivity/`` adds its
    charts.
    """
    folder = Path(folder)
    _, sens_svgs = _sensitivity(folder)
    extra = _analysis_figures(folder, load_analyses(folder))
    html = render_html(summary, chart_data, scenario, _chart_images(folder, chart_data),
                       sensitivity=sens_svgs, comparison=comparison, trials_file=trials_file,
                       scenario_file=scenario_file, model=model, analyses=extra,
                       decision=load_decision(folder))
    path = folder / REPORT_HTML
    write_atomic(path, lambda p: p.write_text(html, encoding="utf-8"))
    return path


def write_report_pdf(folder: Path, summary: dict[str, Any], chart_data: ChartData,
                     scenario: Scenario, *, trials_file: str | None = None,
                     scenario_file: str = SCENARIO_TOML) -> Path:
    """Write ``report.pdf`` into ``folder`` (replaced atomically) and return its path."""
    from simulator.present.report.pdf import write_pdf

    folder = Path(folder)
    analysis, _ = _sensitivity(folder)
    analyses = load_analyses(folder)
    decision, _ = load_decision(folder)
    path = folder / REPORT_PDF
    write_atomic(path, lambda p: write_pdf(p, summary, chart_data, scenario,
                                            sensitivity=analysis, trials_file=trials_file,
                                            scenario_file=scenario_file, analyses=analyses,
                                            decision=decision))
    return path


def write_report(folder: Path, summary: dict[str, Any], chart_data: ChartData,
                 scenario: Scenario, *, comparison: dict[str, Any] | None = None,
                 trials_file: str | None = None, scenario_file: str = SCENARIO_TOML,
                 pdf: bool = True) -> dict[str, Path]:
    """Write ``report.html`` and, with ``pdf``, ``report.pdf`` into ``folder``; returns their
    paths (``{"html": ..., "pdf": ...}``, no ``"pdf"`` without one).
    """
    paths = {"html": write_html(folder, summary, chart_data, scenario, comparison=comparison,
                                trials_file=trials_file, scenario_file=scenario_file)}
    if pdf:
        paths["pdf"] = write_report_pdf(folder, summary, chart_data, scenario,
                                        trials_file=trials_file, scenario_file=scenario_file)
    return paths


def refresh_run_report(folder: Path) -> dict[str, Path] | None:
    """After an analysis (sensitivity, sweep, break-even) was written into ``folder/<sub>/``:
    rebuild ``folder``'s report (and its PDF, if it has one) so it shows it, when ``folder``
    holds a run's results; None when it does not (no run there yet).
    """
    folder = Path(folder)
    if not is_run_folder(folder):
        return None
    return regenerate(folder)


def regenerate(folder: Path, pdf: bool | None = None, xlsx: bool | None = None
               ) -> dict[str, Path]:
    """Rebuild ``report.html`` (and ``report.pdf``: with ``pdf``, or when ``pdf`` is None and
    the folder already has one; and the workbook ``report.xlsx`` likewise with ``xlsx``) in
    an existing results folder, a run's or a comparison's, from what it holds, without
    re-running the simulation (a workbook's year-by-year cash flows, the first time, run the
    scenario cut to each shorter horizon: :mod:`simulator.output.workbook`). Returns the paths
    written (``{"html": ..., "pdf": ..., "xlsx": ...}``).
    """
    paths = _regenerate(folder, pdf)
    folder = Path(folder)
    if xlsx is None:
        xlsx = (folder / "report.xlsx").is_file()
    if xlsx:
        from simulator.output.workbook import write_comparison_workbook, write_run_workbook

        paths["xlsx"] = (write_run_workbook(folder) if is_run_folder(folder)
                         else write_comparison_workbook(folder))
    return paths


def _regenerate(folder: Path, pdf: bool | None = None) -> dict[str, Path]:
    folder = Path(folder)
    if not folder.is_dir():
        raise ReportError(f"{folder}: no such results folder")
    if (folder / "comparison.json").is_file() and not (folder / "summary.json").is_file():
        from simulator.output.report import regenerate_comparison

        return regenerate_comparison(folder, pdf=pdf)
    missing = [n for n in ("summary.json", CHART_DATA) if not (folder / n).is_file()]
    if missing:
        raise ReportError(f"{folder}: missing {' and '.join(missing)}; this folder was not "
                          "written by kposim run (or by an older version): rerun it")
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        chart_data = ChartData.load(folder / CHART_DATA)
    except (ValueError, KeyError, OSError) as e:
        raise ReportError(f"{folder}: cannot read the saved results ({e})") from None
    scenario, scenario_file = load_saved_scenario(folder)
    trials_file = TRIALS_FILE if (folder / TRIALS_FILE).is_file() else None
    if pdf is None:
        pdf = (folder / REPORT_PDF).is_file()
    return write_report(folder, summary, chart_data, scenario, trials_file=trials_file,
                        scenario_file=scenario_file, pdf=pdf)


def write_compare_html(folder: Path) -> Path:
    """Write ``report.html`` into a comparison's results folder from what it holds."""
    from simulator.output.folders import REPORT_HTML, write_atomic

    folder = Path(folder)
    cs, summaries, scenarios, files = load_comparison(folder)
    page = render_compare_html(cs, summaries, scenarios, chart_images(folder, cs), files)
    path = folder / REPORT_HTML
    write_atomic(path, lambda p: p.write_text(page, encoding="utf-8"))
    return path


def write_compare_pdf(folder: Path) -> Path:
    """Write ``report.pdf`` into a comparison's results folder (the same content as the
    page, on A4 landscape pages).
    """
    from simulator.output.folders import REPORT_PDF, write_atomic
    from simulator.present.report.pdf import write_compare_pdf as draw

    folder = Path(folder)
    cs, summaries, scenarios, files = load_comparison(folder)
    path = folder / REPORT_PDF
    write_atomic(path, lambda p: draw(p, folder, cs, summaries, scenarios, files))
    return path


def regenerate_comparison(folder: Path, pdf: bool | None = None) -> dict[str, Path]:
    """Rebuild a comparison's ``report.html`` (and ``report.pdf``: with ``pdf``, or when
    ``pdf`` is None and the folder has one) without re-running anything.
    """
    folder = Path(folder)
    paths = {"html": write_compare_html(folder)}
    if pdf is None:
        pdf = (folder / "report.pdf").is_file()
    if pdf:
        paths["pdf"] = write_compare_pdf(folder)
    return paths
