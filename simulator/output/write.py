"""Writing a run's results folder: all of it, or nothing.

Files are written into a hidden temporary folder beside the target and moved into place only
when complete, so an interrupted or failed run never leaves partial output, and an existing
results folder is replaced only when the caller asked for it (``force``).
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.output.folders import replace_folder, write_json

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    from simulator.results.result import SimulationResult


#: What ``kposim run`` writes besides the summary and ``report.html``: chart files (``png``,
#: ``svg``), the printable report (``pdf``) and the workbook for finance teams (``xlsx``).
FORMATS = ("png", "svg", "pdf", "xlsx")
KEY_FIGURES_CSV = "key_figures.csv"


def figure_cell(value: Any) -> Any:
    """A figure as shown ("-$456K") for a spreadsheet-bound CSV cell: its leading minus as the
    minus sign U+2212, so the cell reads "−$456K" and is not taken for a formula (other
    formula-like text is neutralised by :func:`simulator.output.audit.neutralise_cell`).
    """
    if isinstance(value, str) and len(value) > 1 and value[0] == "-" and \
            (value[1].isdigit() or not value[1].isalnum()):
        return "\u2212" + value[1:]
    return value


def write_key_figures_csv(path: Path, summaries: list[dict[str, Any]],
                          names: list[str] | None = None) -> None:
    """The report's key-figures table as CSV, to paste into a deck: one row per figure, the
    value and its 95% Monte Carlo error as the report shows them (three significant figures,
    errors two); one pair of columns per option when ``names`` are given (a comparison).
    """
    from simulator.present.report.content import headline_figures

    per = [{f.key: f for f in headline_figures(s)} for s in summaries]
    keys = list(dict.fromkeys(k for figures in per for k in figures))
    rows = []
    for k in keys:
        first = next(f[k] for f in per if k in f)
        row: dict[str, Any] = {"figure": first.label}
        for i, figures in enumerate(per):
            f = figures.get(k)
            prefix = f"{names[i]}: " if names else ""
            row[f"{prefix}value"] = f.value if f else ""
            row[f"{prefix}± 95% error"] = f.error if f else ""
        if not names:
            row["what it means"] = first.meaning
        rows.append({k: figure_cell(v) for k, v in row.items()})
    from simulator.output.audit import write_csv_rows

    write_csv_rows(path, list(rows[0]) if rows else ["figure"], rows)
#: The default: PNG charts. SVG charts and the PDF report are asked for (``--formats``): drawing
#: them would more than double a million-trial run's time.
DEFAULT_FORMATS = ("png",)


def parse_formats(text: str) -> tuple[str, ...]:
    """``"png,svg,pdf"`` -> ``("png", "svg", "pdf")`` (any order, repeats dropped); raises
    ValueError naming what is allowed.
    """
    names = [f.strip().lower() for f in text.split(",") if f.strip()]
    wrong = [f for f in names if f not in FORMATS]
    if wrong or not names:
        raise ValueError(f"unknown format {wrong[0]!r}" if wrong else "no format given")
    return tuple(f for f in FORMATS if f in names)


def write_results(result: SimulationResult, target: Path, force: bool = False,
                  charts: bool = True, report: bool = True,
                  save_trials: bool = False, formats: Iterable[str] = DEFAULT_FORMATS,
                  pool: ProcessPoolExecutor | None = None) -> dict[str, Any]:
    """Write a run's results folder into ``target``; returns the summary.

    ``summary.json`` and ``summary.csv`` (the same figures, one row per statistic and
    component), ``key_figures.csv`` (the report's key figures as shown), a copy of the
    scenario (``scenario.toml``) and, with ``charts``, the chart set in each chart format of
    ``formats`` (``png``, ``svg``) and ``chartdata.npz`` (what the charts are drawn from); with
    ``report`` too, ``report.html`` (charts inlined: SVG if written, else PNG) and, if
    ``formats`` has ``pdf``, ``report.pdf``; if it has ``xlsx``, the workbook ``report.xlsx``
    (:mod:`simulator.output.workbook`); with ``save_trials``,
    every trial in ``trials.npz`` (the run must have kept its trials, and its inputs for them
    to be included).

    Drawing runs in worker processes (``pool``, e.g. from :func:`simulator.present.plots.
    start_workers`, or forked here) while this process writes the summary files.
    """
    from functools import partial

    from simulator.output.audit import TRIALS_FILE, write_summary_csv
    from simulator.output.audit import save_trials as write_trials
    from simulator.output.charts import chart_jobs, start_jobs
    from simulator.output.folders import CHART_DATA, save_scenario
    from simulator.output.report import write_html, write_report_pdf
    from simulator.present.plots import CHART_FORMATS

    formats = tuple(formats)
    wrong = [f for f in formats if f not in FORMATS]
    if wrong:
        raise ValueError(f"unknown format {wrong[0]!r}; choose from {', '.join(FORMATS)}")
    chart_formats = tuple(f for f in formats if f in CHART_FORMATS) or ("png",)
    if "xlsx" in formats and "png" not in chart_formats:
        chart_formats += ("png",)  # the workbook embeds the PNG charts
    chart_data = result.chart_data() if charts else None
    pdf = report and "pdf" in formats
    # The PDF needs the summary before it can start; the charts only need the chart data.
    # A plain dict of the typed summary (simulator.results.summary.Summary) for the writers.
    summary: dict[str, Any] | None = dict(result.summary()) if pdf or chart_data is None else None

    def fill(tmp: Path) -> None:
        nonlocal summary
        wait: Callable[[], list[Any]] | None = None
        scenario_file = save_scenario(result.scenario, tmp)
        trials_file = TRIALS_FILE if save_trials else None
        if chart_data is not None:
            # Start the drawing first, so it overlaps the statistics and writing below.
            jobs = chart_jobs(chart_data, tmp, chart_formats)
            if pdf:  # the longest job first
                jobs.insert(0, (partial(write_report_pdf, trials_file=trials_file,
                                        scenario_file=scenario_file),
                                (tmp, summary, chart_data, result.scenario)))
            wait = start_jobs(jobs, pool)
        try:
            if summary is None:
                summary = dict(result.summary())
            write_json(tmp / "summary.json", summary)
            write_summary_csv(summary, tmp / "summary.csv")
            write_key_figures_csv(tmp / KEY_FIGURES_CSV, [summary])
            if save_trials:
                write_trials(result, tmp / TRIALS_FILE)
            if chart_data is not None:
                chart_data.save(tmp / CHART_DATA)
        except BaseException:
            if wait is not None:  # let the drawing finish before the folder is removed
                with contextlib.suppress(Exception):
                    wait()
            raise
        if chart_data is None:
            return
        assert wait is not None  # started above, with the chart data
        wait()
        if report:  # the page inlines the charts just drawn
            write_html(tmp, summary, chart_data, result.scenario, model=result.model,
                       trials_file=trials_file, scenario_file=scenario_file)
        if "xlsx" in formats:  # embeds the PNG charts just drawn
            from simulator.output.workbook import write_run_workbook

            write_run_workbook(tmp, result.scenario, summary)

    replace_folder(target, force, fill)
    assert summary is not None  # fill computed it
    return summary


def write_sensitivity(analysis: dict[str, Any], target: Path, force: bool = False
                      ) -> dict[str, Path] | None:
    """Write ``sensitivity.json`` and the tornado, drivers and tail-driver charts to ``target``
    (``RESULTS_DIR/sensitivity``). When ``target``'s parent holds a run's results, its report
    is rebuilt to show them; returns the report's paths then, else None.
    """
    from simulator.present.plots.sensitivity import CHARTS
    from simulator.present.plots.style import save

    def fill(tmp: Path) -> None:
        write_json(tmp / "sensitivity.json", analysis)
        for stem, plot in CHARTS.items():
            save(plot(analysis), tmp, stem)

    replace_folder(target, force, fill)
    return _refresh(target)


def _refresh(target: Path) -> dict[str, Path] | None:
    from simulator.output.report import refresh_run_report

    return refresh_run_report(Path(target).parent)


def write_sweep(result: dict[str, Any], target: Path, force: bool = False
                ) -> dict[str, Path] | None:
    """Write ``sweep.json``, ``sweep.csv`` (one row per grid point, formula-like text made
    inert) and the sweep chart to ``target`` (``RESULTS_DIR/sweep``); rebuilds the run's
    report there, as :func:`write_sensitivity` does.
    """
    from simulator.output.audit import write_csv_rows
    from simulator.present.plots.style import save
    from simulator.present.plots.sweep import chart_for

    def fill(tmp: Path) -> None:
        write_json(tmp / "sweep.json", result)
        write_csv_rows(tmp / "sweep.csv", result["rows"][0], result["rows"], encoding="utf-8")
        save(chart_for("sweep", result), tmp, "sweep")

    replace_folder(target, force, fill)
    return _refresh(target)


def write_breakeven(result: dict[str, Any], target: Path, force: bool = False
                    ) -> dict[str, Path] | None:
    """Write ``breakeven.json`` (the answer, its interval and every evaluation) and the
    chart of the statistic against the parameter to ``target`` (``RESULTS_DIR/breakeven``);
    rebuilds the run's report there, as :func:`write_sensitivity` does.
    """
    from simulator.present.plots.style import save
    from simulator.present.plots.sweep import plot_breakeven

    def fill(tmp: Path) -> None:
        write_json(tmp / "breakeven.json", result)
        save(plot_breakeven(result), tmp, "breakeven")

    replace_folder(target, force, fill)
    return _refresh(target)


def write_decision(analysis: dict[str, Any], target: Path, name: str, force: bool = False) -> None:
    """Write a decision analysis to ``target``: ``<name>.json`` and its chart (``optimize``:
    the frontier, also as ``frontier.csv``; ``voi``: the value-of-information bars).
    """
    import csv

    from simulator.present.plots.style import save
    from simulator.present.report.decision import chart

    stem = {"optimize": "frontier", "voi": "voi"}[name]

    def fill(tmp: Path) -> None:
        write_json(tmp / f"{name}.json", analysis)
        if name == "optimize":
            with open(tmp / "frontier.csv", "w", newline="", encoding="utf-8") as f:
                w = csv.writer(f)
                w.writerow(["choices", "controls", "cost", "mean", "cvar5", "prob_loss",
                            "within_budget", "difference_from_chosen", "difference_stderr"])
                for r in analysis["frontier"]:
                    w.writerow(["; ".join(f"{k} = {v}" for k, v in r.get("choices", {}).items()),
                                "; ".join(r["controls"]), r["cost"], r["mean"], r["cvar5"],
                                r["prob_loss"], r["within_budget"], r["difference_from_chosen"],
                                r["difference_stderr"]])
        save(chart(stem)(analysis), tmp, stem)

    replace_folder(target, force, fill)
