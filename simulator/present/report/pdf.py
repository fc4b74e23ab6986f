"""The decision report as a PDF for printing: the same content as the HTML page, on A4
landscape pages drawn with matplotlib (:class:`~matplotlib.backends.backend_pdf.PdfPages`).

Pages, in order: the decision and key figures; one page per chart (drawn from the
:class:`~simulator.results.chartdata.ChartData`, plus sensitivity charts where run); where the money
goes; the assumptions; the audit trail. Tables run over as many pages as they need
(:data:`ROWS_PER_PAGE` rows a page, :data:`ASSUMPTION_ROWS_PER_PAGE` for the assumptions).
"""
from __future__ import annotations

import json
import logging
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from simulator.present.plots import CHARTS
from simulator.present.plots import style as s
from simulator.present.report import content as c
from simulator.results.chartdata import ChartData
from simulator.results.mcerror import Z95
from simulator.scenario.model import Scenario

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

PAGE_SIZE = (11.69, 8.27)  #: A4 landscape, inches
MARGIN = 0.6  #: inches
ROWS_PER_PAGE = 18  #: rows per page of one-line tables (cost lines and risks)
ASSUMPTION_ROWS_PER_PAGE = 11  #: rows per page of the assumptions table (two lines a row)
_LINE = 0.22  #: inches per line of 9.5 pt table text


@dataclass
class _Page:
    """Draws text top-down on an A4 landscape figure, in inches from the top-left corner."""

    fig: Figure
    y: float = MARGIN

    def text(self, x: float, text: str, size: float = 10.0, color: str = s.TEXT,
             weight: str = "normal", ha: str = "left", family: str = "sans-serif") -> None:
        w, h = PAGE_SIZE
        self.fig.text(x / w, 1 - self.y / h, text, ha=ha, va="top", fontsize=size, color=color,
                      fontweight=weight, family=family, parse_math=False)

    def para(self, text: str, size: float = 10.0, width: int | None = None, gap: float = 0.12,
             **kw: Any) -> None:
        """Text wrapped at ``width`` characters (default: what fits between the margins)."""
        width = width or int((PAGE_SIZE[0] - 2 * MARGIN) * 72 / (0.58 * size))
        lines = textwrap.wrap(text, width) or [""]
        self.text(MARGIN, "\n".join(lines), size=size, **kw)
        self.y += len(lines) * size * 1.45 / 72 + gap

    def heading(self, text: str) -> None:
        self.text(MARGIN, text, size=15, weight="bold")
        self.y += 0.32
        w, h = PAGE_SIZE
        self.fig.add_artist(Line2D([MARGIN / w, 1 - MARGIN / w],
                                             [1 - self.y / h] * 2, color=s.TEXT, linewidth=1.2))
        self.y += 0.15

    def tiles(self, items: list[tuple[str, str, str, str]]) -> None:
        """Key numbers in boxes side by side: (label, value, note, colour) each."""
        w, h = PAGE_SIZE
        gap = 0.2
        width = (w - 2 * MARGIN - gap * (len(items) - 1)) / len(items)
        height = 1.0
        for i, (label, value, note, colour) in enumerate(items):
            x = MARGIN + i * (width + gap)
            self.fig.add_artist(Rectangle((x / w, 1 - (self.y + height) / h), width / w,
                                          height / h, transform=self.fig.transFigure,
                                          facecolor="white", edgecolor=s.GRID, linewidth=1.0))
            y0 = self.y
            self.y = y0 + 0.12
            self.text(x + 0.15, label, size=8.5, color=s.MUTED)
            self.y = y0 + 0.32
            self.text(x + 0.15, value, size=20, weight="bold", color=colour)
            self.y = y0 + 0.72
            self.text(x + 0.15, note, size=7.5, color=s.MUTED)
            self.y = y0
        self.y += height + 0.3

    def table(self, columns: list[tuple[str, float, str]], rows: list[list[str]],
              size: float = 9.5, lines: int = 1) -> None:
        """``columns``: (header, width in inches, "left"/"right"); each row a list of cells.
        Every row is ``lines`` lines high: a cell is wrapped to fit its column, or, if it
        holds line breaks, each of its lines is cut to fit; text beyond that ends in "…".
        """
        w, h = PAGE_SIZE
        x = MARGIN
        for head, width, align in columns:
            self.text(x + (width - 0.08 if align == "right" else 0.0), head.upper(), size=7.5,
                      color=s.MUTED, weight="bold", ha=align)
            x += width
        self.y += 0.22
        right = MARGIN + sum(width for _, width, _ in columns)
        self.fig.add_artist(Line2D([MARGIN / w, right / w], [1 - self.y / h] * 2,
                                   color=s.TEXT, linewidth=1.0))
        self.y += 0.07
        for row in rows:
            x = MARGIN
            for (_, width, align), cell in zip(columns, row, strict=False):
                chars = max(int((width - 0.12) * 72 / (0.56 * size)), 4)
                self.text(x + (width - 0.08 if align == "right" else 0.0),
                          _fit(cell, chars, lines), size=size, ha=align)
                x += width
            self.y += _LINE * lines * size / 9.5 + 0.06
            self.fig.add_artist(Line2D([MARGIN / w, right / w], [1 - (self.y - 0.05) / h] * 2,
                                       color=s.GRID, linewidth=0.8))
        self.y += 0.1


def _fit(text: str, chars: int, lines: int) -> str:
    """``text`` in at most ``lines`` lines of ``chars`` characters."""
    if "\n" in text:
        out = [_short(part, chars) for part in text.split("\n")]
    else:
        out = textwrap.wrap(text, chars) or [""]
    if len(out) > lines:
        out = out[:lines]
        out[-1] = _short(out[-1], chars - 1) + "…" if len(out[-1]) >= chars - 1 else \
            out[-1] + " …"
    return "\n".join(out)


def _new_page() -> _Page:
    return _Page(Figure(figsize=PAGE_SIZE, facecolor="white"))


def _footer(fig: Figure, summary: dict[str, Any], page: int, pages: int) -> None:
    prov = summary.get("provenance", {})
    sha = str(prov.get("scenario_sha256", ""))
    text = (f"{summary['scenario']} · kposim {prov.get('version', '')} · seed {summary['seed']} "
            f"· {summary['trials']:,} trials · "
            + (f"scenario SHA-256 {sha[:12]}… · " if sha else "") + f"{prov.get('created', '')}")
    w, h = PAGE_SIZE
    fig.text(MARGIN / w, 0.3 / h, text, fontsize=7.5, color=s.MUTED, parse_math=False)
    fig.text(1 - MARGIN / w, 0.3 / h, f"page {page} of {pages}", fontsize=7.5, color=s.MUTED,
             ha="right")


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _summary_page(summary: dict[str, Any]) -> Figure:
    p = _new_page()
    p.text(MARGIN, "OFFSHORING DECISION REPORT", size=8.5, color=s.MUTED, weight="bold")
    p.y += 0.22
    p.para(summary["scenario"], size=20, weight="bold", width=80, gap=0.05)
    p.para(f"Net savings over {s.years(summary['horizon_years'])}, present values in "
           f"{summary['currency']} discounted at {summary['discount_rate'] * 100:.3g}% a year · "
           f"{summary['trials']:,} Monte Carlo trials · seed {summary['seed']}", size=9.5,
           color=s.MUTED, gap=0.25)
    p.para(c.decision_sentence(summary), size=14.5, weight="bold", width=84, gap=0.25)
    ns, cur = summary["net_savings"], summary["currency"]
    p.tiles([("Expected net savings", s.format_money(ns["mean"], cur),
              f"over {s.years(summary['horizon_years'])}, present value",
              s.SAVING if ns["mean"] >= 0 else s.LOSS),
             ("Chance of a net loss", s.format_percent(ns["prob_loss"]),
              f"of {summary['trials']:,} trials", s.LOSS if ns["prob_loss"] > 0 else s.SAVING),
             ("Average of the worst 5%", s.format_money(ns["cvar_5"], cur),
              "mean net savings in the worst 1-in-20 trials",
              s.LOSS if ns["cvar_5"] < 0 else s.SAVING)])
    rows = [[f.label, f.value, f.error or "—", f.meaning] for f in c.headline_figures(summary)]
    p.table([("Figure", 3.1, "left"), ("Value", 1.4, "right"),
             ("± 95% Monte Carlo error", 2.2, "right"), ("What it means", 3.8, "left")], rows,
            size=10.5)
    p.para(c.error_note(summary), size=8.5, color=s.MUTED)
    stop = summary.get("precision")
    if stop:
        p.para(f"The run stopped at {stop['trials_used']:,} trials on the precision target "
               f"{stop['target']}, which was {'met' if stop['met'] else 'NOT met'}.", size=8.5,
               color=s.MUTED)
    tol = summary.get("tolerance")
    if tol:  # hook: the risk-tolerance verdict, only when the scenario sets a tolerance
        p.y += 0.1
        p.para(f"Risk tolerance: {'PASS' if tol['pass'] else 'FAIL'}", size=12, weight="bold",
               color=s.SAVING if tol["pass"] else s.LOSS, gap=0.05)
        lines = [f"{test} {value} against a limit of {limit} (margin {margin})"
                 for test, value, limit, margin, _ in c.tolerance_rows(summary)]
        for line in lines:
            p.para(line, size=9.5, gap=0.02)
    return p.fig


def _later(make: Callable[..., Figure], *args: Any) -> Callable[[], Figure]:
    """A chart page drawn only when the PDF reaches it: ``make(*args)`` on a page."""
    return lambda: _chart_page(make(*args))


def _chart_page(fig: Figure) -> Figure:
    """A chart figure enlarged to the page, with margins and room for the footer; a legend
    below the axes (a figure legend) moves up between the axes and the footer.
    """
    w, h = PAGE_SIZE
    fig.set_size_inches(w, h)
    bottom = 1.05 if fig.legends else 0.75  # inches
    s.constrained(fig).set(rect=(MARGIN / w, bottom / h, 1 - 2 * MARGIN / w,
                                 1 - (bottom + MARGIN) / h))
    for legend in fig.legends:
        legend.set_bbox_to_anchor((MARGIN / w, 0.5 / h, 1 - 2 * MARGIN / w, 0.5 / h),
                                  transform=fig.transFigure)
    s.plain_text(fig)
    fig.draw_without_rendering()  # lay it out, so a title pushed past the edge can be wrapped
    s.fit_titles(fig)
    return fig


def _table_pages(title: str, note: str, columns: list[tuple[str, float, str]],
                 rows: list[list[str]], lines: int = 1,
                 per_page: int = ROWS_PER_PAGE) -> list[Callable[[], Figure]]:
    chunks = [rows[i:i + per_page] for i in range(0, len(rows), per_page)] or [[]]

    def page(i: int, chunk: list[list[str]]) -> Figure:
        p = _new_page()
        p.heading(title + (f" (continued, {i + 1} of {len(chunks)})" if i else ""))
        if i == 0 and note:
            p.para(note, size=9.5, color=s.MUTED, gap=0.15)
        p.table(columns, chunk, lines=lines)
        return p.fig

    return [partial(page, i, chunk) for i, chunk in enumerate(chunks)]


def _cost_rows(summary: dict[str, Any]) -> list[list[str]]:
    rows = [[r.name, r.category, r.mean, r.error, r.p5, r.p95]
            for r in c.component_rows(summary)]
    cur = summary["currency"]
    for name, k in (summary.get("controls") or {}).items():  # hook: controls, where declared
        roc = ("n/a" if k["return_on_control"] is None
               else s.format_signed_percent(k["return_on_control"]))
        rows.append([f"Control: {name}", f"return {roc}",
                     s.format_money(k["cost"], cur), "",
                     f"avoids {s.format_money(k['loss_avoided'], cur)}", ""])
    return rows


def _assumption_rows(scenario: Scenario) -> list[list[str]]:
    return [[f"{a.label}\n{a.path}", a.words, a.p5, a.p50, a.p95]
            for a in c.assumptions(scenario)]


def _audit_page(summary: dict[str, Any], trials_file: str | None, scenario_file: str) -> Figure:
    p = _new_page()
    p.heading("Audit trail")
    version = summary.get("provenance", {}).get("version", "unknown")
    p.para(f"To reproduce every figure, run kposim {version} on the copy of the scenario kept "
           f"in the results folder ({scenario_file}):", size=10.5)
    p.para(c.reproduce_command(summary, scenario_file), size=10, family="monospace", gap=0.2)
    p.para("Same scenario, seed and trial count give bit-identical results, whatever the number "
           "of threads. summary.json and summary.csv (opens in Excel) in the results folder "
           "hold every figure in this report.", size=10.5)
    if trials_file:
        p.para(f"Per-trial results (net savings, each cost line and risk, every drawn input) "
               f"are in {trials_file} in the results folder (numpy.load).", size=10.5)
    p.y += 0.15
    for label, value in c.provenance_items(summary):
        p.text(MARGIN, label, size=9.5, color=s.MUTED)
        p.text(MARGIN + 2.2, value, size=9.5)
        p.y += 0.24
    warnings = summary.get("warnings") or []
    if warnings:
        p.y += 0.15
        p.para("Warnings", size=11, weight="bold", gap=0.05)
        for w in warnings[:8]:
            p.para("• " + w, size=8.5, gap=0.03)
    return p.fig


def plan(summary: dict[str, Any], chart_data: ChartData, scenario: Scenario,
         sensitivity: dict[str, Any] | None = None, trials_file: str | None = None,
         scenario_file: str = "scenario.toml",
         analyses: dict[str, dict[str, Any]] | None = None,
         decision: dict[str, Any] | None = None) -> list[Callable[[], Figure]]:
    """The report's pages, as functions that each draw one page (``analyses``: the sweep
    and break-even searches written into the run's folder; ``decision``: stem -> dict of the
    control frontier and value-of-information analyses, where run).
    """
    from simulator.present.plots.sensitivity import CHARTS as SENSITIVITY_CHARTS

    pages: list[Callable[[], Figure]] = [lambda: _summary_page(summary)]
    standard = [k for k in CHARTS if k != "convergence"]
    pages += [_later(CHARTS[k], chart_data) for k in standard]
    if sensitivity:  # hook: tornado and drivers, only when a sensitivity analysis was run
        pages += [_later(f, sensitivity) for f in SENSITIVITY_CHARTS.values()]
    if analyses:  # hook: sweep and break-even, only when written into the run's folder
        from simulator.present.plots.sweep import chart_for

        pages += [_later(chart_for, k, analyses[k]) for k in analyses]
    if decision:  # hook: frontier and value of information, only when they were run
        from simulator.present.report.decision import chart

        pages += [_later(lambda stem, data: chart(stem)(data), k, decision[k])
                  for k in decision]
    pages.append(lambda: _chart_page(CHARTS["convergence"](chart_data)))
    pages += _table_pages(
        "Where the money goes",
        f"Present value over {s.years(summary['horizon_years'])} of each cost line and risk "
        "(positive = money lost).",
        [("Cost line or risk", 4.4, "left"), ("Category", 1.4, "left"), ("Mean cost", 1.2, "right"),
         ("± 95% error", 1.2, "right"), ("P5", 1.1, "right"), ("P95", 1.1, "right")],
        _cost_rows(summary))
    terms = [[t.subject, t.term, t.words] for t in c.deal_terms(scenario)]
    if terms:
        pages += _table_pages(
            "How the deal unfolds",
            "Exits, recoveries, in-house risks, knock-on events and currency, as the model "
            "applies them (docs/model.md).",
            [("Cost line or risk", 2.6, "left"), ("Term", 1.6, "left"),
             ("What it does", 6.2, "left")], terms, lines=4,
            per_page=ASSUMPTION_ROWS_PER_PAGE)
    rows = _assumption_rows(scenario)
    pages += _table_pages(
        "Assumptions",
        f"Every input of the scenario, {len(rows)} in all, with its distribution and its P5, "
        "P50 and P95.",
        [("Input", 4.3, "left"), ("Distribution", 3.0, "left"), ("P5", 1.05, "right"),
         ("P50", 1.05, "right"), ("P95", 1.05, "right")], rows, lines=2,
        per_page=ASSUMPTION_ROWS_PER_PAGE)
    pages.append(lambda: _audit_page(summary, trials_file, scenario_file))
    return pages


def core_fonts_suffice(summary: dict[str, Any], sensitivity: dict[str, Any] | None = None,
                       scenario: Scenario | None = None) -> bool:
    """Whether every name the report prints (scenario, cost lines, risks, controls, inputs,
    currency) is in the Windows-1252 character set of the PDF standard fonts.
    """
    texts = [json.dumps(summary, ensure_ascii=False),
             json.dumps(sensitivity or {}, ensure_ascii=False),
             s.format_money(1.0, summary["currency"])]
    if scenario is not None:
        texts.append(scenario.model_dump_json(by_alias=True))
    try:
        "".join(texts).encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def write_pdf(path: Path, summary: dict[str, Any], chart_data: ChartData, scenario: Scenario,
              *, sensitivity: dict[str, Any] | None = None, trials_file: str | None = None,
              scenario_file: str = "scenario.toml",
              analyses: dict[str, dict[str, Any]] | None = None,
              decision: dict[str, Any] | None = None) -> int:
    """Write the report to ``path``; returns the number of pages.

    Text is set in the PDF standard fonts (Helvetica, Courier: nothing embedded, and about
    twice as fast to write as embedded DejaVu) unless a name needs characters they lack, such
    as the rupee sign or non-Latin scripts; then the fonts are embedded.
    """
    pages = plan(summary, chart_data, scenario, sensitivity, trials_file, scenario_file,
                 analyses, decision)
    metadata = {"Title": f"{summary['scenario']}: decision report", "Creator": "kposim",
                "CreationDate": None}
    core = core_fonts_suffice(summary, {**(sensitivity or {}), **(analyses or {}),
                                        **(decision or {})}, scenario)
    return _write_pages(path, pages, metadata, summary, core)


def _write_pages(path: Path, pages: list[Callable[[], Figure]], metadata: dict[str, Any],
                 footer: dict[str, Any], core_fonts: bool) -> int:
    """Draw each page, give it the footer (from a summary-like ``footer``) and write the
    PDF; ``core_fonts``: set text in the PDF standard fonts, embedding none. Returns the
    number of pages.
    """
    rc: dict[RcKeyType, Any] = {"pdf.compression": 6}
    if core_fonts:
        rc.update({"pdf.use14corefonts": True, "axes.unicode_minus": False})
    fonts = logging.getLogger("matplotlib.font_manager")
    level = fonts.level
    fonts.setLevel(logging.ERROR)  # "Failed to find font weight normal for Helvetica": harmless
    try:
        with mpl.rc_context(rc), PdfPages(path, metadata=metadata) as pdf:
            for i, draw in enumerate(pages, start=1):
                fig = draw()
                _footer(fig, footer, i, len(pages))
                pdf.savefig(fig, facecolor="white")
    finally:
        fonts.setLevel(level)
    return len(pages)


# --- the comparison report ----------------------------------------------------------------------

def _image_page(png: Path, heading: str, caption: str) -> Figure:
    """A chart already written as PNG, on a page of its own with its heading and caption."""
    import matplotlib.image as mpimg

    p = _new_page()
    p.heading(heading)
    w, h = PAGE_SIZE
    top, bottom = p.y + 0.05, 1.35
    ax = p.fig.add_axes((MARGIN / w, bottom / h, 1 - 2 * MARGIN / w, 1 - (top + bottom) / h))
    ax.imshow(mpimg.imread(png))
    ax.set_axis_off()
    p.y = h - bottom + 0.15
    p.para(caption, size=9, color=s.MUTED)
    return p.fig


def compare_plan(folder: Path, cs: dict[str, Any], summaries: list[dict[str, Any]],
                 scenarios: list[Scenario], files: list[str]) -> list[Callable[[], Figure]]:
    """The comparison report's pages: decision and key figures side by side, the paired
    differences with their dominance verdicts, each chart, where the money goes, risk
    tolerance, each option's assumptions, the audit trail.
    """
    from simulator.present.report.compare import (
        COMPARE_CHART_TEXT,
        DIFFERENCE_TEXT,
        category_rows,
        compare_command,
        compare_sentence,
        dominance_sentence,
        side_by_side,
    )

    cur = cs["currency"]
    names = [o["name"] for o in cs["options"]]
    width = (PAGE_SIZE[0] - 2 * MARGIN - 3.4) / len(names)

    def first() -> Figure:
        p = _new_page()
        p.text(MARGIN, "OPTIONS COMPARED: DECISION REPORT", size=8.5, color=s.MUTED,
               weight="bold")
        p.y += 0.22
        p.para(" vs ".join(names), size=20, weight="bold", width=80, gap=0.05)
        p.para(f"{cs['trials']:,} trials each on common random numbers · seed {cs['seed']} · "
               f"present values in {cur}", size=9.5, color=s.MUTED, gap=0.2)
        p.para(compare_sentence(cs), size=13, weight="bold", width=92, gap=0.2)
        rows = [[label] + [f"{v} {e}".strip() if v else "—" for v, e in cells]
                for label, cells in side_by_side(summaries)]
        p.table([("Figure", 3.4, "left")] + [(n, width, "right") for n in names], rows,
                size=9.5)
        p.para(c.error_note(summaries[0]), size=8, color=s.MUTED)
        return p.fig

    def differences() -> Figure:
        p = _new_page()
        p.heading("Differences, trial by trial (common random numbers)")
        for pair in cs["pairs"]:
            p.para(f"{pair['a']} minus {pair['b']}: mean difference "
                   f"{s.format_money(pair['mean_difference'], cur)} "
                   f"{s.format_error(Z95 * pair['stderr'], cur)}; {pair['a']} "
                   f"ahead in {s.format_percent(pair['prob_a_beats_b'])} of trials; P5 to P95 "
                   f"of the difference {s.format_money(pair['p5'], cur)} to "
                   f"{s.format_money(pair['p95'], cur)}.", size=10.5, weight="bold", gap=0.05)
            p.para(dominance_sentence(pair, cur), size=10, gap=0.2)
        return p.fig

    pages: list[Callable[[], Figure]] = [first, differences]
    charts = [(stem, *COMPARE_CHART_TEXT[stem]) for stem in ("s_curves", "waterfalls")]
    charts += [(pair["chart"], f"{DIFFERENCE_TEXT[0]}: {pair['a']} minus {pair['b']}",
                DIFFERENCE_TEXT[1]) for pair in cs["pairs"] if pair.get("chart")]
    charts += [(stem, *COMPARE_CHART_TEXT[stem]) for stem in ("loss_exceedance", "box_plot")]
    for stem, heading, caption in charts:
        png = Path(folder) / f"{stem}.png"
        if png.is_file():
            pages.append(partial(_image_page, png, heading, caption))
    cats, values = category_rows(cs)
    rows = [["Gross wage savings"] + [s.format_money(o["gross_wage_savings"]["mean"], cur)
                                      for o in cs["options"]]]
    rows += [[cat.replace("_", " ").capitalize()] + [s.format_money(-v, cur) for v in vals]
             for cat, vals in zip(cats, values, strict=False)]
    rows.append(["Net savings"] + [s.format_money(o["net_savings"]["mean"], cur)
                                   for o in cs["options"]])
    pages += _table_pages("Where the money goes", "Mean present values per category (costs "
                          "negative).", [("Category", 3.4, "left")]
                          + [(n, width, "right") for n in names], rows)
    tol = [[o["name"], *row[:4], "Pass" if row[4] else "Fail"]
           for o, summ in zip(cs["options"], summaries, strict=False)
           for row in c.tolerance_rows(summ)]
    if tol:
        pages += _table_pages("Risk tolerance, option by option", "", [
            ("Option", 2.0, "left"), ("Test", 3.6, "left"), ("Value", 1.1, "right"),
            ("Limit", 1.1, "right"), ("Margin", 1.1, "right"), ("Result", 1.0, "left")], tol)
    for o, scenario in zip(cs["options"], scenarios, strict=False):
        rows = _assumption_rows(scenario)
        pages += _table_pages(
            f"Assumptions: {o['name']}", f"{scenario.name}: every input with its distribution "
            "and its P5, P50 and P95.",
            [("Input", 4.3, "left"), ("Distribution", 3.0, "left"), ("P5", 1.05, "right"),
             ("P50", 1.05, "right"), ("P95", 1.05, "right")], rows, lines=2,
            per_page=ASSUMPTION_ROWS_PER_PAGE)

    def audit() -> Figure:
        p = _new_page()
        p.heading("Audit trail")
        p.para("To reproduce every figure, run in the results folder, on the scenario copies "
               "it keeps:", size=10.5)
        p.para(compare_command(cs, files), size=10, family="monospace", gap=0.2)
        p.para("comparison.json and comparison.csv hold every figure of this report; each "
               "option's summary.json and summary.csv are in options/<option>/.", size=10.5)
        prov = cs.get("provenance", {})
        for item in prov.get("scenarios", []):
            p.para(f"{item.get('name')}: {item.get('source')} (SHA-256 "
                   f"{item.get('scenario_sha256')})", size=9, gap=0.03)
        p.para(f"kposim {prov.get('version', '')} · seed {cs['seed']} · {cs['trials']:,} "
               f"trials per option · {prov.get('created', '')}", size=9, color=s.MUTED)
        for w in (cs.get("warnings") or [])[:8]:
            p.para("• " + w, size=8.5, gap=0.03)
        return p.fig

    pages.append(audit)
    return pages


def write_compare_pdf(path: Path, folder: Path, cs: dict[str, Any],
                      summaries: list[dict[str, Any]], scenarios: list[Scenario],
                      files: list[str]) -> int:
    """Write the comparison report to ``path``; returns the number of pages."""
    pages = compare_plan(folder, cs, summaries, scenarios, files)
    names = " vs ".join(o["name"] for o in cs["options"])
    metadata = {"Title": f"{names}: options compared", "Creator": "kposim",
                "CreationDate": None}
    footer = {"scenario": names, "seed": cs["seed"], "trials": cs["trials"],
              "provenance": {"version": cs.get("provenance", {}).get("version", ""),
                             "created": cs.get("provenance", {}).get("created", "")}}
    core = all(core_fonts_suffice(summ, None, sc)
               for summ, sc in zip(summaries, scenarios, strict=False))
    return _write_pages(path, pages, metadata, footer, core)


__all__ = ["ASSUMPTION_ROWS_PER_PAGE", "PAGE_SIZE", "ROWS_PER_PAGE", "compare_plan",
           "core_fonts_suffice", "plan", "write_compare_pdf", "write_pdf"]
