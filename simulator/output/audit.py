"""The audit trail for finance: ``summary.csv`` and the per-trial results file.

``summary.csv`` holds the same figures as ``summary.json``, one row per statistic and
component, so it opens in Excel as is (UTF-8 with a byte-order mark, plain numbers, no
thousands separators). :func:`save_trials` writes every trial's net savings, gross wage
savings, component totals and drawn inputs to a compressed ``.npz`` file, from which an
auditor can recompute every figure (see :func:`load_trials`).
"""
from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from simulator.results.mcerror import Z95

if TYPE_CHECKING:
    from simulator.results.result import SimulationResult

CSV_COLUMNS = ("section", "name", "category", "statistic", "value", "ci95_low", "ci95_high",
               "unit")
TRIALS_FILE = "trials.npz"
_NET_STATS = ("mean", "std", "stderr", "p5", "p10", "p25", "p50", "p75", "p90", "p95", "min",
              "max", "prob_loss", "prob_loss_stderr", "cvar_5", "cvar_5_stderr")
_PROBABILITIES = {"prob_loss", "prob_loss_stderr"}


def _row(section: str, statistic: str, value: Any, unit: str = "", name: str = "",
         category: str = "", ci: tuple[float, float] | list[float] | None = None
         ) -> dict[str, Any]:
    lo, hi = ci if ci is not None else ("", "")
    return {"section": section, "name": name, "category": category, "statistic": statistic,
            "value": value, "ci95_low": lo, "ci95_high": hi, "unit": unit}


def summary_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of ``summary.csv``: run facts, then every net-savings statistic (with its 95%
    interval where there is one), gross wage savings, each component (mean, stderr, P5, P95),
    each category, and controls, tolerance and precision where present.
    """
    cur = summary["currency"]
    prov = summary.get("provenance", {})
    rows = [_row("run", k, v) for k, v in (
        ("scenario", summary["scenario"]), ("currency", cur), ("trials", summary["trials"]),
        ("seed", summary["seed"]), ("horizon_years", summary["horizon_years"]),
        ("discount_rate", summary["discount_rate"]),
        ("cash_flow_timing", summary["cash_flow_timing"]),
        ("statistics", prov.get("statistics", "")), ("version", prov.get("version", "")),
        ("scenario_sha256", prov.get("scenario_sha256", "")),
        ("created", prov.get("created", "")))]
    ns = summary["net_savings"]
    pct_ci = ns.get("percentile_ci95", {})
    for stat in _NET_STATS:
        if stat not in ns:
            continue
        ci = None
        if stat == "mean":
            ci = ns.get("ci95")
        elif stat in pct_ci:
            ci = pct_ci[stat]
        elif stat in ("prob_loss", "cvar_5") and f"{stat}_stderr" in ns:
            half = Z95 * ns[f"{stat}_stderr"]
            ci = (ns[stat] - half, ns[stat] + half)
        unit = "probability" if stat in _PROBABILITIES else cur
        rows.append(_row("net_savings", stat, ns[stat], unit, ci=ci))
    g = summary["gross_wage_savings"]
    for stat in ("mean", "stderr", "p5", "p95"):
        ci = (g["mean"] - Z95 * g["stderr"], g["mean"] + Z95 * g["stderr"]) \
            if stat == "mean" else None
        rows.append(_row("gross_wage_savings", stat, g[stat], cur, ci=ci))
    for name, comp in summary["components"].items():
        for stat in ("mean", "stderr", "p5", "p95"):
            ci = (comp["mean"] - Z95 * comp["stderr"], comp["mean"] + Z95 * comp["stderr"]) \
                if stat == "mean" else None
            rows.append(_row("component", f"{stat}_cost", comp[stat], cur, name=name,
                             category=comp["category"], ci=ci))
    for cat, cost in summary["categories"].items():
        rows.append(_row("category", "mean_cost", cost, cur, name=cat, category=cat))
    for name, ctl in (summary.get("controls") or {}).items():
        for stat, value in ctl.items():
            if isinstance(value, int | float) or value is None:
                rows.append(_row("control", stat, "" if value is None else value,
                                 "ratio" if stat == "return_on_control" else cur, name=name))
    tol = summary.get("tolerance")
    if tol:
        if "prob_loss" in tol:
            t = tol["prob_loss"]
            for stat in ("value", "limit", "margin", "pass"):
                rows.append(_row("tolerance", f"prob_loss_{stat}", t[stat], "probability"))
        for t in tol.get("loss_exceedance", []):
            name = f"loss > {t['loss']:g}"
            for stat in ("probability", "max_probability", "margin", "pass"):
                rows.append(_row("tolerance", stat, t[stat], "probability", name=name))
        rows.append(_row("tolerance", "pass", tol["pass"]))
    stop = summary.get("precision")
    if stop:
        for stat, value in stop.items():
            rows.append(_row("precision", stat, value, cur if stat == "half_width" else ""))
    return rows


#: What makes a spreadsheet read a cell as a formula (OWASP, CSV injection): a text cell that
#: starts with one of these is written with a leading apostrophe, which spreadsheets show as
#: text. (defusedcsv, the package for this, misses tab and carriage return, hence our own.)
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """A CSV cell that no spreadsheet runs as a formula: text starting with = + - @ tab or
    CR gets a leading apostrophe (OWASP's advice); numbers are left alone, so -1234.5 stays a
    number. The csv module then quotes what needs quoting.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def write_csv_rows(path: Path, columns: Iterable[str], rows: Iterable[dict[str, Any]],
                   encoding: str = "utf-8-sig") -> None:
    """Write dict rows as CSV, every header and cell through :func:`neutralise_cell`."""
    columns = list(columns)
    with open(path, "w", newline="", encoding=encoding) as f:
        writer = csv.writer(f)
        writer.writerow([neutralise_cell(c) for c in columns])
        writer.writerows([neutralise_cell(row.get(c, "")) for c in columns] for row in rows)


def write_summary_csv(summary: dict[str, Any], path: Path) -> None:
    """Write :func:`summary_rows` to ``path`` (UTF-8 with BOM, so Excel reads names right);
    scenario-supplied text is neutralised against CSV injection (:func:`neutralise_cell`).
    """
    write_csv_rows(path, CSV_COLUMNS, summary_rows(summary))


def save_trials(result: SimulationResult, path: Path) -> None:
    """Write every trial of a run that kept its trials to a compressed ``.npz``.

    The arrays: ``net_savings``, ``gross_wage_savings`` (trials,); ``component_totals``
    (C, trials) with ``component_names`` and ``component_categories`` (C,); ``inputs``
    (I, trials) with ``input_names`` (I,) when the run kept its inputs; and ``seed``, ``trials``,
    ``scenario_sha256``. Money is present value in the scenario's currency; components are
    costs (positive = money lost), so net = gross - sum of components, trial by trial.
    """
    result._require_trials()
    net, gross = result.net_savings, result.gross_wage_savings
    components = result.component_totals
    assert net is not None and gross is not None and components is not None  # kept, checked
    model = result.model
    arrays = {
        "net_savings": net,
        "gross_wage_savings": gross,
        "component_totals": components,
        "component_names": np.array(model.component_names, dtype=str),
        "component_categories": np.array(model.component_categories, dtype=str),
        "seed": np.array(result.seed), "trials": np.array(result.trials),
        "scenario_sha256": np.array(result.scenario.sha256),
    }
    if result.inputs is not None:
        arrays["inputs"] = result.inputs
        arrays["input_names"] = np.array(model.input_names, dtype=str)
    with open(path, "wb") as f:
        # numpy's stubs match **arrays against allow_pickle: bool as well as the arrays
        np.savez_compressed(f, **arrays)  # type: ignore[arg-type]


def load_trials(path: Path) -> dict[str, Any]:
    """Read a file written by :func:`save_trials` into a dict of arrays (names as lists)."""
    with np.load(path, allow_pickle=False) as z:
        out = {k: z[k] for k in z.files}
    for k in ("component_names", "component_categories", "input_names"):
        if k in out:
            out[k] = [str(x) for x in out[k]]
    for k in ("seed", "trials"):
        out[k] = int(out[k])
    out["scenario_sha256"] = str(out["scenario_sha256"])
    return out
