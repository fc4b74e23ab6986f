"""A comparison's results folder (``kposim compare``): every option's figures, the
comparison charts and report, written all or nothing.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from simulator.analysis.compare import Comparison, comparison_rows, option_keys


def write_comparison(comparison: Comparison, target: Path, force: bool = False,
                     keys: Sequence[str] | None = None, charts: bool = True,
                     formats: Sequence[str] = ("png", "svg"), report: bool = True
                     ) -> dict[str, Any]:
    """Write a comparison's results folder into ``target``, all or nothing (a hidden
    temporary folder beside it, moved into place when complete; an existing ``target`` is
    replaced only with ``force``). Returns the summary (``comparison.json``).

    It holds ``comparison.json`` and ``comparison.csv`` (every figure, plain numbers),
    ``key_figures.csv`` (the report's side-by-side table, rounded as shown), each option's
    ``options/<key>/`` (its ``summary.json``, ``summary.csv``, ``chartdata.npz`` and
    scenario copy, so the report can be rebuilt), with ``charts`` the comparison charts in
    each chart format of ``formats`` (``png``, ``svg``), and with ``report`` too the
    comparison report ``report.html`` (``report.pdf`` if ``formats`` has ``pdf``; the
    workbook ``comparison.xlsx`` if it has ``xlsx``). ``keys``: short file-name keys of the
    options (default: their names).
    """
    from simulator.output.audit import write_summary_csv
    from simulator.output.folders import replace_folder, write_json

    summary = comparison.summary()
    okeys = option_keys(comparison.names, keys)
    for option, key in zip(summary["options"], okeys, strict=False):
        option["key"] = key
    chart_formats = tuple(f for f in formats if f in ("png", "svg")) or ("png",)
    if ("pdf" in formats or "xlsx" in formats) and "png" not in chart_formats:
        chart_formats += ("png",)  # the PDF and the workbook embed the PNG charts

    def fill(tmp: Path) -> None:
        from simulator.output.audit import write_csv_rows
        from simulator.output.folders import CHART_DATA, save_scenario
        from simulator.output.write import write_key_figures_csv

        option_data = []
        for key, r, full in zip(okeys, comparison.results, comparison.option_summaries(),
                                strict=False):
            sub = tmp / "options" / key
            sub.mkdir(parents=True)
            save_scenario(r.scenario, sub)
            write_json(sub / "summary.json", full)
            write_summary_csv(full, sub / "summary.csv")
            d = r.chart_data()
            d.save(sub / CHART_DATA)
            option_data.append(d)
        if charts:
            from simulator.present.plots.compare import difference_stems, write_compare_charts

            for pair, stem in zip(summary["pairs"],
                                  difference_stems(list(comparison.names), okeys), strict=False):
                pair["chart"] = stem
            write_compare_charts(comparison.chart_data(), tmp, keys=okeys,
                                 formats=chart_formats, option_data=option_data)
        write_json(tmp / "comparison.json", summary)
        rows = comparison_rows(summary)
        write_csv_rows(tmp / "comparison.csv", list(rows[0]), rows)
        write_key_figures_csv(tmp / "key_figures.csv", comparison.option_summaries(),
                              list(comparison.names))
        if report and charts:
            from simulator.output.report import write_compare_html, write_compare_pdf

            write_compare_html(tmp)
            if "pdf" in formats:
                write_compare_pdf(tmp)
        if "xlsx" in formats:
            from simulator.output.workbook import write_comparison_workbook

            write_comparison_workbook(tmp)

    replace_folder(Path(target), force, fill)
    return summary
