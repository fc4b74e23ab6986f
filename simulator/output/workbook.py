"""The decision pack as an Excel workbook for finance teams (``report.xlsx``).

Written with openpyxl. Every figure is a number (the exact value of ``summary.json``), shown
through a number format: money in the scenario's currency to whole units, probabilities as
percentages; labels are the report's plain labels. ``summary.csv`` stays the audit table; the
workbook is what goes into a model or a board deck.

A run's workbook has the sheets Summary (laid out like the report's key-figures table),
Components, Assumptions, Tolerance, Controls, Cash flows (the mean cash flows year by year,
see :func:`yearly_means`), Charts (the PNG charts) and Audit. A comparison's has Overview (the
decision and the key figures side by side), one sheet per option, Differences, Charts and
Audit.

Cash flows by year: the engine keeps totals over the horizon, not years. The mean of each
year's cash flow is exact all the same: the scenario cut to horizons 1, 2, ..., H draws the
same random numbers for the years they share (every stream is keyed by input name, risk
counts and severities by year), so on the same trials and seed the mean present value up to
year t minus that up to year t - 1 is the mean present value of year t, to rounding. Items
that start after year t are left out of the cut scenario; where that cannot be done without
changing other inputs' draws (an item in a correlation, or a Latin hypercube or Sobol design
whose dimensions would change) the sheet says so instead of giving numbers.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.results.mcerror import Z95

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from simulator.scenario.model import Scenario

WORKBOOK = "report.xlsx"
CASH_FLOWS = "cash_flows.json"
PERCENT = "0.00%"
PERCENT_ERROR = "0.000%"
NUMBER = "#,##0.00"
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "INR": "₹", "JPY": "¥"}
_BOLD_SIZE = 14


class CashFlowsUnavailable(ValueError):
    """The scenario cannot be cut to a shorter horizon without changing other draws."""


def money_format(currency: str) -> str:
    """Excel number format of a whole amount in ``currency``: ``"$"#,##0`` (negative with a
    minus sign), or ``#,##0 "CHF"`` for a currency without a symbol here.
    """
    sign = _SYMBOLS.get(currency.upper())
    if sign:
        return f'"{sign}"#,##0;-"{sign}"#,##0'
    return f'#,##0 "{currency.upper()}";-#,##0 "{currency.upper()}"'


def unit_format(unit: str, currency: str) -> str:
    """Number format of a value in a :mod:`simulator.scenario.labels` unit."""
    return {"money": money_format(currency), "percent": "0.0%", "months": '0.0 "months"',
            "fte": '0.0 "FTE"', "events": '0.000 "a year"', "years": '0 "years"'}.get(unit,
                                                                                   "#,##0.###")


# --- cash flows by year ------------------------------------------------------------------------

def truncated(scenario: Scenario, years: int) -> tuple[Scenario, list[str]]:
    """``scenario`` cut to its first ``years`` years, and the names of the items left out
    (a one-off cost paid later, a yearly cost or a risk that starts later); later end years
    are brought in to ``years``. Raises :class:`CashFlowsUnavailable` when the cut scenario
    is not valid (an item left out is referred to elsewhere, as in a correlation).
    """
    from simulator.scenario.model import ScenarioError, scenario_from_dict
    from simulator.scenario.variants import document

    doc = document(scenario)
    doc["scenario"]["horizon_years"] = years
    dropped = []
    for section in ("costs", "risks"):
        kept = []
        for item in doc.get(section, []):
            first = item.get("year") if item.get("timing") == "once" else item.get("start_year")
            if first is not None and first > years:
                dropped.append(item["name"])
                continue
            if item.get("end_year") is not None and item["end_year"] > years:
                item["end_year"] = years
            kept.append(item)
        doc[section] = kept
    try:
        return scenario_from_dict(doc, source=f"{scenario.source} (first {years} years)"), dropped
    except ScenarioError as e:
        raise CashFlowsUnavailable(
            f"cutting the scenario to {years} years leaves out {', '.join(dropped)}, which "
            f"other parts of it refer to ({'; '.join(str(p) for p in e.problems)})") from None


def yearly_means(scenario: Scenario, trials: int, seed: int, sampling: str = "mc",
                 full: dict[str, Any] | None = None, threads: int | None = None
                 ) -> dict[str, Any]:
    """The mean cash flows of each year: gross wage savings, each cost category and net
    savings, as present values and undiscounted, on the same trials and seed as the run
    whose summary is ``full`` (computed here if not given). See the module docstring for
    why the differences of the cut scenarios' means are exact.

    Returns {"years": [1..H], "discount_factors": [...], "present_value": {row: [...]},
    "nominal": {row: [...]}, "rows": [...], "method": "..."}; rows are "gross wage
    savings", each category, and "net savings" (costs positive = money lost).
    """
    from simulator.engine.run import simulate

    info = scenario.scenario
    horizon = info.horizon_years
    delta = {"start": 0.0, "mid": 0.5, "end": 1.0}[info.cash_flow_timing]
    factors = [(1 + info.discount_rate) ** -(t - 1 + delta) for t in range(1, horizon + 1)]
    base_inputs = None
    cumulative = []
    for t in range(1, horizon + 1):
        if t == horizon and full is not None:
            summ = full
        else:
            cut, dropped = (scenario, []) if t == horizon else truncated(scenario, t)
            if dropped and sampling != "mc":
                raise CashFlowsUnavailable(
                    f"with --sampling {sampling}, leaving {', '.join(dropped)} out of the "
                    f"first {t} years would change the design of the other inputs")
            r = simulate(cut, trials=trials, seed=seed, threads=threads, store_trials=False,
                         sampling=sampling)
            if dropped:  # the inputs that remain must be the same streams
                names = set(r.model.input_names)
                if base_inputs is None:
                    from simulator.scenario.compiled import compile_scenario

                    base_inputs = set(compile_scenario(scenario).input_names)
                if not names <= base_inputs:
                    raise CashFlowsUnavailable(f"the first {t} years have inputs the full "
                                               "scenario does not")
            summ = dict(r.summary())
        row = {"gross wage savings": summ["gross_wage_savings"]["mean"],
               **{k: v for k, v in summ["categories"].items()},
               "net savings": summ["net_savings"]["mean"]}
        cumulative.append(row)
    rows = ["gross wage savings"]
    rows += [k for k in dict.fromkeys(k for c in cumulative for k in c)
             if k not in ("gross wage savings", "net savings")]
    rows.append("net savings")
    pv: dict[str, list[float]] = {k: [] for k in rows}
    for t, c in enumerate(cumulative):
        before = cumulative[t - 1] if t else {}
        for k in rows:
            pv[k].append(c.get(k, 0.0) - before.get(k, 0.0))
    nominal = {k: [v / f for v, f in zip(vals, factors, strict=False)] for k, vals in pv.items()}
    return {"years": list(range(1, horizon + 1)), "discount_factors": factors,
            "present_value": pv, "nominal": nominal, "rows": rows, "trials": trials,
            "seed": seed, "sampling": sampling,
            "method": "difference of the mean present values of the scenario cut to 1, 2, "
                      "..., H years, on the same trials and seed (exact for the mean)"}


def cash_flows_for(folder: Path, scenario: Scenario, summary: dict[str, Any]
                   ) -> dict[str, Any]:
    """The year-by-year means of the run in ``folder`` (``cash_flows.json`` there if already
    computed for the same scenario, trials and seed; else computed and kept); a dict with an
    ``unavailable`` reason when they cannot be computed exactly.
    """
    path = Path(folder) / CASH_FLOWS
    key = {"scenario_sha256": summary.get("provenance", {}).get("scenario_sha256"),
           "trials": summary["trials"], "seed": summary["seed"],
           "sampling": summary.get("provenance", {}).get("sampling", "mc")}
    if path.is_file():
        try:
            kept = json.loads(path.read_text(encoding="utf-8"))
            if kept.get("key") == key:
                return kept
        except ValueError:
            pass
    try:
        flows = yearly_means(scenario, summary["trials"], summary["seed"], key["sampling"],
                             full=summary)
    except CashFlowsUnavailable as e:
        flows = {"unavailable": str(e)}
    flows["key"] = key
    from simulator.output.folders import write_json

    write_json(path, flows)
    return flows


# --- sheets ------------------------------------------------------------------------------------

def _styles():
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    return {"title": Font(bold=True, size=_BOLD_SIZE), "bold": Font(bold=True),
            "muted": Font(color="666666", italic=True), "head": Font(bold=True, color="FFFFFF"),
            "fill": PatternFill("solid", fgColor="0072B2"),
            "wrap": Alignment(wrap_text=True, vertical="top"),
            "rule": Border(bottom=Side(style="thin", color="D9D9D9"))}


def _title(ws: Worksheet, title: str, subtitle: str = "") -> int:
    st = _styles()
    ws["A1"] = title
    ws["A1"].font = st["title"]
    row = 2
    if subtitle:
        ws.cell(row, 1, subtitle).font = st["muted"]
        row += 1
    return row + 1


def _header(ws: Worksheet, row: int, names: Sequence[str]) -> int:
    st = _styles()
    for col, name in enumerate(names, start=1):
        cell = ws.cell(row, col, name)
        cell.font, cell.fill = st["head"], st["fill"]
    return row + 1


def _components_table(ws: Worksheet, row: int, summary: dict[str, Any], money: str) -> int:
    """Each cost line and risk with its mean cost, 95% error, P5 and P95 from ``row``;
    returns the row after the table.
    """
    row = _header(ws, row, ["Cost line or risk", "Category", "Mean cost", "± 95% error",
                            "P5", "P95"])
    for name, comp in summary["components"].items():
        ws.cell(row, 1, name)
        ws.cell(row, 2, comp["category"])
        for col, value in ((3, comp["mean"]), (4, Z95 * comp["stderr"]), (5, comp["p5"]),
                           (6, comp["p95"])):
            _put(ws, row, col, value, money)
        row += 1
    return row


def _put(ws: Worksheet, row: int, col: int, value: Any, fmt: str | None = None):
    if isinstance(value, float) and not math.isfinite(value):
        value = None
    cell = ws.cell(row, col, value)
    if fmt and isinstance(value, int | float) and not isinstance(value, bool):
        cell.number_format = fmt
    return cell


def _widths(ws: Worksheet, widths: Sequence[float]) -> None:
    from openpyxl.utils import get_column_letter

    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w


def figure_rows(summary: dict[str, Any]) -> list[tuple[str, str, float, float, float, float,
                                                       str, str]]:
    """The key figures as numbers: (key, label, value, 95% half-width, low, high, kind,
    meaning), kind "money", "probability" or "number"; the figures and intervals of the
    report (:func:`simulator.present.report.content.headline_figures`) from ``summary.json``.
    """
    from simulator.present.report.content import headline_figures, mean_half_width

    ns, gross = summary["net_savings"], summary["gross_wage_savings"]
    ci = ns.get("percentile_ci95", {})
    eng = summary.get("engagement") or {}

    def sym(x: float, half: float) -> tuple[float, float, float, float]:
        return x, half, x - half, x + half

    def pct(p: str) -> tuple[float, float, float, float]:
        lo, hi = ci.get(p, (math.nan, math.nan))
        return ns[p], (hi - lo) / 2, lo, hi

    numbers = {
        "mean": (*sym(ns["mean"], mean_half_width(ns)), "money"),
        "prob_loss": (*sym(ns["prob_loss"], Z95 * ns["prob_loss_stderr"]), "probability"),
        "p5": (*pct("p5"), "money"), "p50": (*pct("p50"), "money"),
        "p95": (*pct("p95"), "money"),
        "cvar_5": (*sym(ns["cvar_5"], Z95 * ns.get("cvar_5_stderr", math.nan)), "money"),
        "gross": (*sym(gross["mean"], mean_half_width(gross)), "money"),
    }
    if eng:
        numbers["exit_share"] = (*sym(eng["exit_share"], Z95 * eng["exit_share_stderr"]),
                                 "probability")
        numbers["years_run"] = (eng["mean_years_run"], math.nan, math.nan, math.nan, "number")
    return [(f.key, f.label, *numbers[f.key], f.meaning) for f in headline_figures(summary)
            if f.key in numbers]


def _figures_table(ws: Worksheet, row: int, summary: dict[str, Any]) -> int:
    cur = summary["currency"]
    row = _header(ws, row, ["Figure", "Value", "± 95% Monte Carlo error", "95% low",
                            "95% high", "What it means"])
    for _key, label, value, half, lo, hi, kind, meaning in figure_rows(summary):
        fmt = {"money": money_format(cur), "probability": PERCENT}.get(kind, NUMBER)
        err_fmt = {"money": money_format(cur), "probability": PERCENT_ERROR}.get(kind, NUMBER)
        ws.cell(row, 1, label)
        _put(ws, row, 2, value, fmt)
        _put(ws, row, 3, half, err_fmt)
        _put(ws, row, 4, lo, fmt)
        _put(ws, row, 5, hi, fmt)
        ws.cell(row, 6, meaning)
        row += 1
    return row


def _summary_sheet(ws: Worksheet, summary: dict[str, Any]) -> None:
    from simulator.present.report.content import decision_sentence, error_note

    ws.title = "Summary"
    row = _title(ws, summary["scenario"],
                 f"Net savings over {summary['horizon_years']} years, present values in "
                 f"{summary['currency']} discounted at {summary['discount_rate']:.2%} a year; "
                 f"{summary['trials']:,} trials, seed {summary['seed']}")
    ws.cell(row, 1, decision_sentence(summary)).font = _styles()["bold"]
    row = _figures_table(ws, row + 2, summary)
    ws.cell(row + 1, 1, error_note(summary)).font = _styles()["muted"]
    _widths(ws, (34, 16, 22, 16, 16, 48))


def _components_sheet(ws: Worksheet, summary: dict[str, Any]) -> None:
    cur = summary["currency"]
    money = money_format(cur)
    row = _title(ws, "Where the money goes", "Present values over the horizon; costs "
                 "positive = money lost")
    row = _components_table(ws, row, summary, money)
    row = _header(ws, row + 1, ["Category", "", "Mean cost"])
    _put(ws, row, 1, "Gross wage savings (mean, a saving)")
    _put(ws, row, 3, summary["gross_wage_savings"]["mean"], money)
    row += 1
    for cat, cost in summary["categories"].items():
        ws.cell(row, 1, cat.replace("_", " ").capitalize())
        _put(ws, row, 3, cost, money)
        row += 1
    ws.cell(row, 1, "Net savings (mean)").font = _styles()["bold"]
    _put(ws, row, 3, summary["net_savings"]["mean"], money)
    _widths(ws, (44, 26, 16, 16, 16, 16))


def _assumptions_sheet(ws: Worksheet, scenario: Scenario) -> None:
    from simulator.present.report.content import assumptions

    cur = scenario.scenario.currency
    row = _title(ws, "Assumptions", "Every input with its distribution and its P5, P50, P95")
    row = _header(ws, row, ["Group", "Input", "Parameter path", "Distribution", "P5", "P50",
                            "P95"])
    for a in assumptions(scenario):
        ws.cell(row, 1, a.group)
        ws.cell(row, 2, a.label)
        ws.cell(row, 3, a.path).font = _styles()["muted"]
        ws.cell(row, 4, a.words)
        fmt = (money_format(scenario.fx.currency) if a.unit == "fxmoney" and scenario.fx
               else unit_format(a.unit, cur))
        for col, value in zip((5, 6, 7), a.values, strict=False):
            _put(ws, row, col, value, fmt)
        row += 1
    _widths(ws, (12, 52, 44, 52, 14, 14, 14))


def _tolerance_sheet(ws: Worksheet, summary: dict[str, Any]) -> None:
    tol = summary.get("tolerance")
    row = _title(ws, "Risk tolerance")
    if not tol:
        ws.cell(row, 1, "The scenario sets no [tolerance].").font = _styles()["muted"]
        return
    cur = summary["currency"]
    ws.cell(row, 1, f"Overall: {'PASS' if tol['pass'] else 'FAIL'}").font = _styles()["bold"]
    row = _header(ws, row + 2, ["Test", "Value", "Limit", "Margin", "Result"])
    tests = []
    if "prob_loss" in tol:
        t = tol["prob_loss"]
        tests.append(("Chance of a net loss", t["value"], t["limit"], t["margin"], t["pass"]))
    from simulator.present.formatting import format_money
    for t in tol.get("loss_exceedance", []):
        tests.append((f"Chance risk losses exceed {format_money(t['loss'], cur)}",
                      t["probability"], t["max_probability"], t["margin"], t["pass"]))
    for test, value, limit, margin, ok in tests:
        ws.cell(row, 1, test)
        for col, v in ((2, value), (3, limit), (4, margin)):
            _put(ws, row, col, v, PERCENT)
        ws.cell(row, 5, "Pass" if ok else "Fail")
        row += 1
    _widths(ws, (44, 14, 14, 14, 10))


def _controls_sheet(ws: Worksheet, summary: dict[str, Any]) -> None:
    controls = summary.get("controls")
    row = _title(ws, "Controls (mitigations)")
    if not controls:
        ws.cell(row, 1, "The scenario declares no [[controls]], or this run did not compute "
                        "their return.").font = _styles()["muted"]
        return
    money = money_format(summary["currency"])
    row = _header(ws, row, ["Control", "Expected cost", "Loss avoided", "Return on control",
                            "Net savings with it", "Net savings without it"])
    for name, k in controls.items():
        ws.cell(row, 1, name)
        _put(ws, row, 2, k["cost"], money)
        _put(ws, row, 3, k["loss_avoided"], money)
        _put(ws, row, 4, k["return_on_control"], "0.0%")
        _put(ws, row, 5, k["net_savings_with"], money)
        _put(ws, row, 6, k["net_savings_without"], money)
        row += 1
    _widths(ws, (44, 16, 16, 18, 20, 22))


def _cash_flows_sheet(ws: Worksheet, flows: dict[str, Any], currency: str) -> None:
    row = _title(ws, "Cash flows of the mean, year by year",
                 "Mean of each year's cash flows over all trials; costs positive = money lost")
    if "unavailable" in flows:
        ws.cell(row, 1, f"Not available for this scenario: {flows['unavailable']}.").font = \
            _styles()["muted"]
        return
    money = money_format(currency)
    years = flows["years"]
    for title, key in (("Undiscounted", "nominal"), ("Present value", "present_value")):
        ws.cell(row, 1, title).font = _styles()["bold"]
        row = _header(ws, row + 1, ["Mean cash flow", *(f"Year {t}" for t in years),
                                    "Total"])
        if key == "present_value":
            ws.cell(row, 1, "Discount factor")
            for j, f in enumerate(flows["discount_factors"], start=2):
                _put(ws, row, j, f, "0.0000")
            row += 1
        for name in flows["rows"]:
            ws.cell(row, 1, name.replace("_", " ").capitalize())
            values = flows[key][name]
            for j, v in enumerate(values, start=2):
                _put(ws, row, j, v, money)
            _put(ws, row, len(values) + 2, math.fsum(values), money)
            if name == "net savings":
                ws.cell(row, 1).font = _styles()["bold"]
            row += 1
        row += 1
    ws.cell(row, 1, f"Method: {flows['method']}.").font = _styles()["muted"]
    _widths(ws, (34, *([16] * (len(years) + 1))))


def _charts_sheet(ws: Worksheet, images: Sequence[Path]) -> None:
    from openpyxl.drawing.image import Image

    row = _title(ws, "Charts", "As in the report (PNG)")
    for path in images:
        img = Image(str(path))
        scale = 760 / img.width
        img.width, img.height = int(img.width * scale), int(img.height * scale)
        ws.add_image(img, f"A{row}")
        row += int(img.height / 20) + 2


def _audit_sheet(ws: Worksheet, items: Sequence[tuple[str, str]], command: str) -> None:
    row = _title(ws, "Audit trail", "summary.csv and summary.json hold every figure at full "
                                    "precision")
    ws.cell(row, 1, "Reproduce with").font = _styles()["bold"]
    ws.cell(row, 2, command)
    row += 2
    for label, value in items:
        ws.cell(row, 1, label)
        ws.cell(row, 2, value)
        row += 1
    _widths(ws, (28, 100))


# --- workbooks ---------------------------------------------------------------------------------

RUN_CHARTS = ("net_savings_distribution", "s_curve", "waterfall", "loss_exceedance",
              "convergence")


def write_run_workbook(folder: Path, scenario: Scenario | None = None,
                       summary: dict[str, Any] | None = None) -> Path:
    """Write ``report.xlsx`` into a run's results folder from what it holds (and the run's
    ``scenario`` and ``summary`` if at hand); returns its path.
    """
    from openpyxl import Workbook

    from simulator.output.folders import SENSITIVITY_DIR, load_saved_scenario, write_atomic
    from simulator.present.report.content import provenance_items, reproduce_command

    folder = Path(folder)
    if summary is None:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    scenario_file = "scenario.toml"
    if scenario is None:
        scenario, scenario_file = load_saved_scenario(folder)
    wb = Workbook()
    _summary_sheet(wb.active, summary)
    _components_sheet(wb.create_sheet("Components"), summary)
    _assumptions_sheet(wb.create_sheet("Assumptions"), scenario)
    _tolerance_sheet(wb.create_sheet("Tolerance"), summary)
    _controls_sheet(wb.create_sheet("Controls"), summary)
    _cash_flows_sheet(wb.create_sheet("Cash flows"), cash_flows_for(folder, scenario, summary),
                      summary["currency"])
    images = [folder / f"{stem}.png" for stem in RUN_CHARTS]
    images += [folder / SENSITIVITY_DIR / f"{s}.png" for s in ("tornado", "drivers",
                                                               "tail_drivers")]
    images += [folder / sub / f"{sub}.png" for sub in ("sweep", "breakeven")]
    _charts_sheet(wb.create_sheet("Charts"), [p for p in images if p.is_file()])
    _audit_sheet(wb.create_sheet("Audit"), provenance_items(summary),
                 reproduce_command(summary, scenario_file))
    path = folder / WORKBOOK
    write_atomic(path, lambda p: wb.save(p))
    return path


def sheet_name(name: str, taken: set[str]) -> str:
    r"""A valid, distinct worksheet name (at most 31 characters, none of []:*?/\)."""
    base = re.sub(r"[\[\]:*?/\\]", " ", name).strip()[:31] or "Option"
    out, n = base, 2
    while out.lower() in {t.lower() for t in taken}:
        suffix = f" ({n})"
        out, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(out)
    return out


def write_comparison_workbook(folder: Path) -> Path:
    """Write ``report.xlsx`` into a comparison's results folder: Overview (the decision and
    the key figures side by side), one sheet per option (key figures, where the money goes,
    tolerance, cash flows by year, assumptions), Differences, Charts and Audit.
    """
    from openpyxl import Workbook

    from simulator.output.folders import chart_images, load_comparison, option_folders, write_atomic
    from simulator.present.report.compare import compare_command, compare_sentence

    folder = Path(folder)
    cs, summaries, scenarios, files = load_comparison(folder)
    cur = cs["currency"]
    money = money_format(cur)
    wb = Workbook()
    ws = wb.active
    ws.title = "Overview"
    names = [o["name"] for o in cs["options"]]
    row = _title(ws, " vs ".join(names), f"{cs['trials']:,} trials each on common random "
                 f"numbers, seed {cs['seed']}; present values in {cur}")
    ws.cell(row, 1, compare_sentence(cs)).font = _styles()["bold"]
    row = _header(ws, row + 2, ["Figure", *(f"{n}" for n in names),
                                *(f"{n}: ± 95% error" for n in names)])
    per = [figure_rows(s) for s in summaries]
    for i, (_key, label, *_rest) in enumerate(per[0]):
        ws.cell(row, 1, label)
        for j, rows in enumerate(per):
            if i >= len(rows):
                continue
            _k, _l, value, half, _lo, _hi, kind, _m = rows[i]
            fmt = {"money": money, "probability": PERCENT}.get(kind, NUMBER)
            err = {"money": money, "probability": PERCENT_ERROR}.get(kind, NUMBER)
            _put(ws, row, 2 + j, value, fmt)
            _put(ws, row, 2 + len(names) + j, half, err)
        row += 1
    _widths(ws, (34, *([18] * (2 * len(names)))))
    taken = {"Overview", "Differences", "Charts", "Audit"}
    for o, summary, scenario, sub in zip(cs["options"], summaries, scenarios,
                                         option_folders(folder, cs), strict=False):
        sheet = wb.create_sheet(sheet_name(o["name"], taken))
        row = _title(sheet, f"{o['name']}: {summary['scenario']}",
                     f"{summary['trials']:,} trials, seed {summary['seed']}, horizon "
                     f"{summary['horizon_years']} years")
        row = _figures_table(sheet, row, summary)
        row = _components_table(sheet, row + 1, summary, money)
        row = _header(sheet, row + 1, ["Category", "", "Mean cost"])
        for cat, cost in summary["categories"].items():
            sheet.cell(row, 1, cat.replace("_", " ").capitalize())
            _put(sheet, row, 3, cost, money)
            row += 1
        tol = summary.get("tolerance")
        if tol:
            sheet.cell(row + 1, 1, f"Risk tolerance: {'PASS' if tol['pass'] else 'FAIL'}"
                       ).font = _styles()["bold"]
            row += 2
        flows = cash_flows_for(sub, scenario, summary)
        row += 1
        sheet.cell(row, 1, "Mean cash flows by year (undiscounted)").font = _styles()["bold"]
        row += 1
        if "unavailable" in flows:
            sheet.cell(row, 1, f"Not available: {flows['unavailable']}.")
            row += 1
        else:
            row = _header(sheet, row, ["Mean cash flow",
                                       *(f"Year {t}" for t in flows["years"])])
            for name in flows["rows"]:
                sheet.cell(row, 1, name.replace("_", " ").capitalize())
                for j, v in enumerate(flows["nominal"][name], start=2):
                    _put(sheet, row, j, v, money)
                row += 1
        row = _header(sheet, row + 1, ["Group", "Input", "Parameter path", "Distribution",
                                       "P5", "P50", "P95"])
        from simulator.present.report.content import assumptions

        for a in assumptions(scenario):
            sheet.cell(row, 1, a.group)
            sheet.cell(row, 2, a.label)
            sheet.cell(row, 3, a.path)
            sheet.cell(row, 4, a.words)
            fmt = (money_format(scenario.fx.currency) if a.unit == "fxmoney" and scenario.fx
                   else unit_format(a.unit, cur))
            for col, value in zip((5, 6, 7), a.values, strict=False):
                _put(sheet, row, col, value, fmt)
            row += 1
        _widths(sheet, (40, 40, 40, 44, 16, 16, 16))
    ws = wb.create_sheet("Differences")
    row = _title(ws, "Differences, trial by trial", "Each pair on common random numbers: first "
                 "option minus second")
    row = _header(ws, row, ["Pair", "Mean difference", "± 95% error", "Chance first ahead",
                            "± 95% error", "Chance of a tie", "P5", "P50", "P95",
                            "Std. error", "Std. error, separate runs", "Dominance"])
    verdicts = {"a": "first dominates", "b": "second dominates", "identical": "identical",
                "neither": "neither (curves cross)"}
    for p in cs["pairs"]:
        ws.cell(row, 1, f"{p['a']} minus {p['b']}")
        for col, value, fmt in ((2, p["mean_difference"], money), (3, Z95 * p["stderr"], money),
                                (4, p["prob_a_beats_b"], PERCENT),
                                (5, Z95 * p["prob_a_beats_b_stderr"], PERCENT_ERROR),
                                (6, p["prob_tie"], PERCENT), (7, p["p5"], money),
                                (8, p["p50"], money), (9, p["p95"], money),
                                (10, p["stderr"], money), (11, p["stderr_independent"], money)):
            _put(ws, row, col, value, fmt)
        ws.cell(row, 12, verdicts.get(p["dominance"]["verdict"], p["dominance"]["verdict"]))
        row += 1
    _widths(ws, (40, *([16] * 10), 24))
    stems = ["s_curves", "waterfalls", *(p["chart"] for p in cs["pairs"] if p.get("chart")),
             "loss_exceedance", "box_plot"]
    images = chart_images(folder, cs)
    _charts_sheet(wb.create_sheet("Charts"), [folder / f"{s}.png" for s in stems
                                              if s in images and (folder / f"{s}.png").is_file()])
    prov = cs.get("provenance", {})
    items = [("kposim version", str(prov.get("version", ""))), ("Seed", str(cs["seed"])),
             ("Trials per option", f"{cs['trials']:,}"), ("Created", str(prov.get("created")))]
    items += [(f"{o['name']}", f"{f}") for o, f in zip(cs["options"], files, strict=False)]
    _audit_sheet(wb.create_sheet("Audit"), items, compare_command(cs, files))
    path = folder / WORKBOOK
    write_atomic(path, lambda p: wb.save(p))
    return path


__all__ = ["CASH_FLOWS", "CashFlowsUnavailable", "WORKBOOK", "cash_flows_for", "figure_rows",
           "money_format", "truncated", "unit_format", "write_comparison_workbook",
           "write_run_workbook", "yearly_means"]
