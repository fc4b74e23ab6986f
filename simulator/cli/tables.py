"""What the commands print: the rich tables and progress bars (loaded only by the commands
that show them: see :mod:`simulator.cli.lazy`). Each takes the result a command computed and
prints it; none computes a figure the result does not hold.
"""
from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from simulator.present.formatting import format_money as money
from simulator.present.formatting import format_percent
from simulator.present.report.compare import compare_sentence, terminal_tables
from simulator.present.report.content import control_lines, terminal_rows, tolerance_rows
from simulator.results.mcerror import Z95

if TYPE_CHECKING:
    from simulator.analysis.elicit import Elicited, Pool
    from simulator.analysis.fit import FitReport

_DESIGN_WORDS = {"lhs": ", Latin hypercube", "sobol": ", scrambled Sobol"}


# --------------------------------------------------------------------------- progress


@contextlib.contextmanager
def run_progress(trials: int) -> Iterator[Callable[[int], None]]:
    """A transient bar of one run's trials with its rate; yields the progress callback."""
    columns = (TextColumn("simulating"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]}"), TimeRemainingColumn())
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task("run", total=trials, rate="")
        t0 = time.perf_counter()
        done = 0

        def step(k: int) -> None:
            nonlocal done
            done += k
            rate = done / max(time.perf_counter() - t0, 1e-9)
            bar.update(task, advance=k, rate=f"{rate / 1e6:.1f}M trials/s")

        yield step


@contextlib.contextmanager
def plain_progress(total: int) -> Iterator[Callable[[int], None]]:
    """A transient bar of ``total`` trials (several runs'); yields the progress callback."""
    with Progress(TextColumn("simulating"), BarColumn(), MofNCompleteColumn(),
                  transient=True) as bar:
        task = bar.add_task("compare", total=total)
        yield lambda k: bar.update(task, advance=k)


# --------------------------------------------------------------------------- run and compare


def print_summary(summary: dict[str, Any], target: Path, elapsed: float) -> None:
    """A run's figures as the report shows them, its controls, tolerance and precision."""
    cur = summary["currency"]
    title = (f"{summary['scenario']}: net savings over {summary['horizon_years']} years "
             f"(present value, {cur}, {summary['trials']:,} trials"
             f"{_DESIGN_WORDS.get(summary['provenance'].get('sampling', 'mc'), '')})")
    table = Table(title=title, title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("± 95% interval", justify="right")
    for row in terminal_rows(summary):  # the report's figures, intervals and rounding
        table.add_row(*row)
    console = Console()
    console.print(table)
    for line in control_lines(summary):
        console.print(line)
    tol = summary.get("tolerance")
    if tol:
        console.print(f"risk tolerance: {'PASS' if tol['pass'] else 'FAIL'}")
        for test, value, limit, margin, _ in tolerance_rows(summary):
            console.print(f"  {test}: {value} vs limit {limit} (margin {margin})")
    stop = summary.get("precision")
    if stop and "targets" in stop:
        verdict = "met" if stop["met"] else "NOT met (raise --trials)"
        widths = "; ".join(f"{k} ± {v['half_width']:.4g} (goal {v['goal']:g})"
                           for k, v in stop["targets"].items())
        console.print(f"precision targets {stop['target']}: {verdict}; 95% half-widths "
                      f"{widths} after {stop['trials_used']:,} trials")
    elif stop:
        verdict = "met" if stop["met"] else "NOT met (raise --trials)"
        console.print(f"precision target {stop['target']}: {verdict}; 95% half-width "
                      f"{money(stop['half_width'], cur, sig=2)} "
                      f"({format_percent(stop['relative_half_width'])} of the mean) after "
                      f"{stop['trials_used']:,} trials")
    _say_where(console, target, elapsed)


def _say_where(console: Console, target: Path, elapsed: float) -> None:
    extra = [n for n in ("report.pdf", "report.xlsx") if (target / n).is_file()]
    console.print(f"results in {target}/ ({elapsed:.1f} s); decision report: "
                  f"{target / 'report.html'}" + "".join(f" and {n}" for n in extra))


def print_comparison(summary: dict[str, Any], target: Path, elapsed: float) -> None:
    """One column per option, then one per pair; each figure with its 95% interval, as the
    comparison's report shows them.
    """
    options, pairs = terminal_tables(summary)
    table = Table(title=f"Net savings of each option (present value, {summary['currency']}, "
                        f"{summary['trials']:,} trials each; ± 95% interval)",
                  title_justify="left")
    table.add_column("figure")
    for o in summary["options"]:
        table.add_column(o["name"], justify="right", overflow="fold")
    for label, cells in options:
        table.add_row(label, *cells, end_section=True)
    ptable = Table(title="Each pair: A minus B, trial by trial, on common random numbers",
                   title_justify="left")
    ptable.add_column("figure")
    for p in summary["pairs"]:
        ptable.add_column(f"{p['a']}\nminus {p['b']}", justify="right", overflow="fold")
    for label, cells in pairs:
        ptable.add_row(label, *cells, end_section=True)
    console = Console()
    console.print(table)
    console.print(ptable)
    console.print(compare_sentence(summary), markup=False, highlight=False)
    _say_where(console, target, elapsed)


# --------------------------------------------------------------------------- analyses


def print_tornado(analysis: dict[str, Any], target: Path) -> None:
    """The sensitivity's tornado rows (the 15 widest swings)."""
    cur = analysis["currency"]
    table = Table(title=f"{analysis['scenario']}: what moves mean net savings "
                        f"(base {money(analysis['tornado']['base_mean'], cur)})",
                  title_justify="left")
    for col in ("input", "at P10", "at P90", "swing"):
        table.add_column(col, justify="left" if col == "input" else "right")
    for row in analysis["tornado"]["rows"][:15]:
        table.add_row(row.get("label", row["input"]), money(row["mean_at_p10"], cur),
                      money(row["mean_at_p90"], cur), money(row["swing"], cur))
    Console().print(table)
    Console().print(f"results in {target}/")


def print_optimize(o: dict[str, Any], target: Path, elapsed: float) -> None:
    """The efficient frontier, the chosen portfolio and its margin over the second best."""
    cur, obj = o["currency"], o["objective"]

    def fmt(v: float) -> str:
        return f"{v:.2%}" if obj == "prob_loss" else money(v, cur)

    def label(r: dict[str, Any]) -> str:
        return " + ".join([*r.get("choices", {}).values(), *r["controls"]]) or "no controls"

    table = Table(title=f"{o['scenario']}: efficient portfolios ({obj}; {o['method']})",
                  title_justify="left")
    for col in ("portfolio", "expected cost", "mean", "worst 5% mean", "P(loss)",
                "vs chosen ± 95%"):
        table.add_column(col, justify="left" if col == "portfolio" else "right")
    for r in o["frontier"]:
        table.add_row(label(r) + ("" if r["within_budget"] else " (over budget)"),
                      money(r["cost"], cur), money(r["mean"], cur), money(r["cvar5"], cur),
                      f"{r['prob_loss']:.2%}",
                      f"{fmt(r['difference_from_chosen'])} ± {fmt(Z95 * r['difference_stderr'])}")
    console = Console()
    console.print(table)
    c = o["chosen"]
    console.print(f"chosen: {label(c)}, expected cost {money(c['cost'], cur)}, {obj} "
                  f"{fmt(c[obj])}", highlight=False)
    s2 = o["second_best"]
    if s2 is not None:
        console.print(f"second best: {label(s2)}; the chosen one is better by "
                      f"{fmt(s2['margin'])} ± {fmt(Z95 * s2['difference_stderr'])} (paired, 95%)",
                      highlight=False)
    console.print(f"{o['runs']} runs of {o['trials']:,} trials; results in {target}/ "
                  f"({elapsed:.1f} s); add them to the report with kposim report "
                  f"{target.parent}", highlight=False)


def print_voi(v: dict[str, Any], target: Path, elapsed: float) -> None:
    """The decision now, EVPI, each input's EVPPI and the pilot's value."""
    cur = v["currency"]
    console = Console()
    console.print(f"decide now: {v['decision_now']} ("
                  + ", ".join(f"{o['name']} {money(o['mean'], cur)}" for o in v["options"])
                  + ")", highlight=False)
    e = v["evpi"]
    console.print(f"expected value of perfect information (EVPI): {money(e['value'], cur)} ± "
                  f"{money(Z95 * e['stderr'], cur)}", highlight=False)
    table = Table(title="What is worth finding out before deciding (EVPPI, present value, "
                        "± 95%)", title_justify="left")
    table.add_column("input")
    table.add_column("EVPPI", justify="right")
    table.add_column("± 95%", justify="right")
    for r in v["inputs"][:15]:
        table.add_row(r.get("label", r["input"]), money(r["value"], cur),
                      money(Z95 * r["stderr"], cur))
    console.print(table)
    p = v.get("pilot")
    if p:
        console.print(f"a {p['pilot_years']:g}-year pilot observing "
                      f"{', '.join(p['observed_risks'])}: worth {money(p['value']['value'], cur)}"
                      f" ± {money(Z95 * p['value']['stderr'], cur)} net of its cost "
                      f"{money(p['pilot_cost'], cur)}; it changes the decision in "
                      f"{p['prob_decision_changes']:.1%} of futures", highlight=False)
    console.print(f"results in {target}/ ({elapsed:.1f} s); add them to the report with "
                  f"kposim report {target.parent}", highlight=False)


# --------------------------------------------------------------------------- fit and elicit


def number(v: float) -> str:
    """A fitted or elicited number: thousands separators from 10,000, else 4 digits."""
    return f"{v:,.0f}" if abs(v) >= 1e4 else f"{v:.4g}"


def print_fit(report: FitReport, data: Path, column: str | None, named: bool,
              target: Path, quiet: bool = False) -> None:
    """The fits ranked by AIC (unless ``quiet``), their notes, and the snippet of the best
    (of every family, when ``named``).
    """
    console = Console()
    if not quiet:
        name = escape(data.name) + (f" ({escape(column)})" if column else "")
        table = Table(title=f"{name}: {report.n:,} {report.kind}, ranked by AIC (p: KS test, "
                            f"{report.bootstrap:,} bootstrap refits, seed {report.seed})",
                      title_justify="left")
        for col in ("family and parameters", "AIC", "ΔAIC", "BIC", "KS D", "p", "mean"):
            table.add_column(col, justify="left" if col.startswith("family") else "right",
                             no_wrap=not col.startswith("family"))
        for rank, f in enumerate(report.fits, 1):
            params = ", ".join(f"{k} {number(float(v))}" for k, v in f.table().items()
                               if k != "dist")  # every entry but dist is a number
            table.add_row(f"{rank}. {f.family}\n{params}", f"{f.aic:,.1f}",
                          f"{report.delta_aic(f):,.1f}", f"{f.bic:,.1f}", f"{f.ks:.3f}",
                          "" if f.p_value is None else f"{f.p_value:.3f}", number(f.mean),
                          end_section=True)
        console.print(table)
    for f in report.fits:
        if f.note:
            console.print(f"note: {f.family} {f.note}")
    for s in report.skipped:
        console.print(f"not fitted: {s.family}: {s.reason}")
    best = report.best
    if best.p_value is not None and best.p_value < 0.05:
        console.print(f"warning: even the best fit is rejected at 5% (p = {best.p_value:.3f}); "
                      "consider an empirical distribution of the data", style="bold")
    label = column or "value"
    for f in report.fits if named else [best]:
        console.print(f"{'best' if f is best else f.family}: {f.snippet(label)}",
                      markup=False, highlight=False, soft_wrap=True)
    console.print(f"chart and fit.json in {target}/")


def print_elicited(members: list[Elicited], pooled: Pool | None, key: str) -> None:
    """Each expert's distribution as a snippet, its mean and quantiles; the pool's too."""
    console = Console()
    err = Console(stderr=True)

    def levels(qs: dict[float, float]) -> str:
        return ", ".join(f"P{q * 100:g} {number(v)}" for q, v in qs.items())

    for i, m in enumerate(members):
        e = m.expert
        head = (e.name or f"expert {i + 1}") if len(members) > 1 else m.family
        weight = f", weight {pooled.weights[i]:.3g}" if pooled is not None else ""
        console.print(f"{head}: {m.snippet(key)}", markup=False, highlight=False,
                      soft_wrap=True)
        console.print(f"  mean {number(m.mean)}; {levels(m.quantiles())}{weight}",
                      highlight=False)
        for w in m.warnings:
            err.print(f"warning: {head}: {w}", markup=False, highlight=False, soft_wrap=True)
    if pooled is not None:
        console.print(f"pool of {len(members)} experts (linear opinion pool): mean "
                      f"{number(pooled.mean)}; {levels(pooled.quantiles())}", highlight=False)
        console.print("the pool as a scenario distribution (a mixture of the experts', "
                      "sampled exactly):", highlight=False)
        console.print(pooled.snippet(key), markup=False, highlight=False, soft_wrap=True)
        for w in pooled.warnings:
            err.print(f"warning: pool: {w}", markup=False, highlight=False, soft_wrap=True)
