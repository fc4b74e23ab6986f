"""The decision report as one self-contained HTML file.

No scripts, no external requests: styles are inline and every chart is an ``<img>`` whose
source is the chart's SVG (or, when a run wrote no SVG, its PNG) as a base64 ``data:`` URI
(each image keeps its own element ids, so the charts cannot interfere with each other, and a
browser knows each one's natural size).
Built with the standard library only (:mod:`string.Template`, :func:`html.escape`).
"""
from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from html import escape
from string import Template
from typing import Any

from simulator.present.formatting import format_money, format_percent, format_signed_percent, years
from simulator.present.plots.style import LOSS, MUTED, SAVING, TEXT
from simulator.present.report import content as c
from simulator.results.chartdata import ChartData
from simulator.results.mcerror import Z95
from simulator.scenario.compiled import CompiledModel
from simulator.scenario.labels import label
from simulator.scenario.model import Scenario

#: Standard charts in reading order (the convergence chart closes the chart section, after any
#: sensitivity and comparison charts): stem -> (heading, how to read it).
CHART_TEXT = {
    "net_savings_distribution": (
        "Distribution of net savings",
        "Each bar is the share of trials ending with that net saving; the orange bars left of "
        "the zero line are the trials in which the move loses money. Mean, median (P50) and "
        "the P5–P95 range are marked."),
    "s_curve": (
        "Chance of saving at least a given amount",
        "Read across from any amount to the chance of saving at least that much; the dot on "
        "the zero line is the chance of saving money at all."),
    "waterfall": (
        "From gross wage savings to net savings",
        "Average present values: the wage bill saved, less each category of cost and risk "
        "loss, gives expected net savings."),
    "loss_exceedance": (
        "Loss exceedance of the risk events",
        "The chance that losses from risk events exceed a given amount over the horizon, for "
        "all risks together and for each one; both axes are logarithmic, so 1-in-100 and "
        "1-in-1,000 losses can be read as easily as common ones. Each risk keeps its colour "
        "in every report. Each risk's curve is its loss before any recovery (insurance, the "
        "provider's liability); the all-risks curve is net of recoveries and leaves out "
        "in-house risks."),
    "convergence": (
        "Convergence of the estimate",
        "The running mean as trials accumulate, with its 95% band: a flat, narrow band means "
        "more trials would not change the answer."),
}
SENSITIVITY_TEXT = {
    "tornado": ("What moves the result",
                "Mean net savings with one input at its P10 and then its P90, every other "
                "input left to vary; the longest bars matter most."),
    "drivers": ("Contribution to variance",
                "Share of the variation in net savings that goes with each input or cost "
                "(squared rank correlations, signed by direction)."),
    "tail_drivers": ("What the worst outcomes have in common",
                     "How far each input and cost sits from its average in the worst 5% of "
                     "trials, measured in its own standard deviations (so inputs in different "
                     "units compare); the title gives the first one in its own unit."),
}

_SVG_PROLOG = re.compile(r"^\s*(<\?xml[^>]*\?>\s*)?(<!DOCTYPE[^>]*>\s*)?", re.S)
_SVG_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)


def svg_data_uri(svg: str) -> str:
    """A chart's SVG as a ``data:`` URI, without the XML prolog, DOCTYPE (which names a DTD
    URL) and matplotlib's RDF metadata block (namespace URLs and a link to matplotlib.org).
    """
    svg = _SVG_METADATA.sub("", _SVG_PROLOG.sub("", svg, count=1), count=1)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


CSS = f"""
:root {{ --text: {TEXT}; --muted: {MUTED}; --saving: {SAVING}; --loss: {LOSS};
        --rule: #d9d9d9; --soft: #f5f7fa; }}
* {{ box-sizing: border-box; }}
html {{ font-size: 17px; }}
body {{ margin: 0; color: var(--text); background: #fff;
       font-family: "Segoe UI", system-ui, -apple-system, "Helvetica Neue", Arial,
                    "Liberation Sans", "DejaVu Sans", sans-serif;
       line-height: 1.5; font-variant-numeric: tabular-nums; }}
main {{ max-width: 1120px; margin: 0 auto; padding: 2.2rem 2rem 3rem; }}
header .kicker {{ text-transform: uppercase; letter-spacing: .08em; font-size: .78rem;
                  color: var(--muted); font-weight: 600; }}
h1 {{ font-size: 2rem; line-height: 1.2; margin: .2rem 0 .4rem; }}
h2 {{ font-size: 1.35rem; margin: 2.6rem 0 .8rem; padding-bottom: .3rem;
      border-bottom: 2px solid var(--text); }}
h3 {{ font-size: 1.08rem; margin: 1.8rem 0 .3rem; }}
.meta {{ color: var(--muted); font-size: .9rem; margin: 0; }}
nav {{ margin: 1rem 0 0; font-size: .88rem; }}
nav a {{ color: var(--saving); text-decoration: none; margin-right: 1.1rem; }}
.decision {{ font-size: 1.45rem; line-height: 1.4; font-weight: 600; margin: 1.6rem 0 1.2rem;
             padding: 1rem 1.3rem; border-left: 6px solid var(--saving);
             background: var(--soft); }}
.tiles {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(210px, 1fr));
          gap: .9rem; margin: 0 0 .6rem; }}
.tile {{ border: 1px solid var(--rule); border-radius: 6px; padding: .8rem 1rem; }}
.tile .label {{ font-size: .82rem; color: var(--muted); }}
.tile .value {{ font-size: 1.75rem; font-weight: 700; line-height: 1.25; }}
.tile .note {{ font-size: .8rem; color: var(--muted); }}
.tile.loss .value {{ color: var(--loss); }}
.tile.good .value {{ color: var(--saving); }}
table {{ border-collapse: collapse; width: 100%; font-size: .92rem; margin: .4rem 0 .6rem; }}
th, td {{ text-align: left; padding: .42rem .6rem; border-bottom: 1px solid var(--rule);
          vertical-align: top; }}
thead th {{ border-bottom: 2px solid var(--text); font-size: .8rem; text-transform: uppercase;
            letter-spacing: .04em; color: var(--muted); }}
td.num, th.num {{ text-align: right; white-space: nowrap; }}
td.err {{ color: var(--muted); }}
tr.group th {{ background: var(--soft); font-size: .85rem; border-bottom: 1px solid var(--rule); }}
.path {{ display: block; font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: .72rem;
         color: var(--muted); }}
figure {{ margin: 0 0 1.6rem; }}
figure img {{ display: block; width: 100%; height: auto; border: 1px solid #eee; }}
figcaption {{ font-size: .86rem; color: var(--muted); margin-top: .35rem; }}
.note {{ font-size: .88rem; color: var(--muted); }}
.pass {{ color: var(--saving); font-weight: 700; }}
.fail {{ color: var(--loss); font-weight: 700; }}
code, pre {{ font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: .85rem; }}
pre {{ background: var(--soft); padding: .7rem .9rem; border-radius: 4px; white-space: pre-wrap;
       word-break: break-all; }}
dl.prov {{ display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1.2rem;
           font-size: .86rem; margin: .4rem 0; }}
dl.prov dt {{ color: var(--muted); }}
dl.prov dd {{ margin: 0; word-break: break-all; }}
footer {{ margin-top: 2.6rem; padding-top: .8rem; border-top: 1px solid var(--rule);
          font-size: .8rem; color: var(--muted); }}
@media (max-width: 700px) {{ html {{ font-size: 15px; }} main {{ padding: 1rem; }} }}
@media print {{
  @page {{ size: A4; margin: 14mm 13mm; }}
  html {{ font-size: 10pt; }}
  main {{ max-width: none; padding: 0; }}
  nav {{ display: none; }}
  * {{ -webkit-print-color-adjust: exact; print-color-adjust: exact; }}
  h2, h3 {{ break-after: avoid; }}
  figure, .tile, tr, .decision {{ break-inside: avoid; }}
  figure img {{ border: none; }}
  #assumptions, #provenance {{ break-before: page; }}
  footer {{ break-before: avoid; }}
}}
"""

PAGE = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="kposim $version">
<title>$title</title>
<style>$css</style>
</head>
<body>
<main>
$body
</main>
</body>
</html>
""")


def _e(x: Any) -> str:
    return escape(str(x), quote=True)


def _table(head: list[tuple[str, str]], rows: list[list[tuple[str, str]]]) -> str:
    """A table; cells are (text already escaped, css class)."""
    th = "".join(f'<th class="{cls}" scope="col">{text}</th>' for text, cls in head)
    body = "\n".join("<tr>" + "".join(f'<td class="{cls}">{text}</td>' for text, cls in row)
                     + "</tr>" for row in rows)
    return f"<table>\n<thead><tr>{th}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def image_data_uri(image: str | bytes) -> str:
    """A chart as a ``data:`` URI: SVG text (see :func:`svg_data_uri`) or PNG bytes."""
    if isinstance(image, str):
        return svg_data_uri(image)
    if not image.startswith(b"\x89PNG"):
        raise ValueError("a chart image is SVG text or PNG bytes")
    return "data:image/png;base64," + base64.b64encode(image).decode("ascii")


def _figure(image: str | bytes, heading: str, caption: str, anchor: str) -> str:
    return (f'<figure id="{_e(anchor)}">\n<h3>{_e(heading)}</h3>\n'
            f'<img src="{image_data_uri(image)}" alt="{_e(heading)}">\n'
            f"<figcaption>{_e(caption)}</figcaption>\n</figure>")


def _header(summary: dict[str, Any]) -> str:
    prov = summary.get("provenance", {})
    date = str(prov.get("created", ""))[:10]
    meta = (f"Net savings over {years(summary['horizon_years'])}, present values in "
            f"{summary['currency']} discounted at {summary['discount_rate'] * 100:.3g}% a year · "
            f"{summary['trials']:,} Monte Carlo trials · seed {summary['seed']}"
            + (f" · run {date}" if date else ""))
    links = [("decision", "Decision"), ("figures", "Key figures"), ("charts", "Charts"),
             ("costs", "Where the money goes"), ("assumptions", "Assumptions"),
             ("provenance", "Audit trail")]
    nav = " ".join(f'<a href="#{k}">{_e(v)}</a>' for k, v in links)
    return (f'<header>\n<div class="kicker">Offshoring decision report</div>\n'
            f"<h1>{_e(summary['scenario'])}</h1>\n<p class=\"meta\">{_e(meta)}</p>\n"
            f"<nav>{nav}</nav>\n</header>")


def _tiles(summary: dict[str, Any]) -> str:
    ns, cur = summary["net_savings"], summary["currency"]
    tiles = [
        ("good" if ns["mean"] >= 0 else "loss", "Expected net savings",
         format_money(ns["mean"], cur), f"over {years(summary['horizon_years'])}, present value"),
        ("loss" if ns["prob_loss"] > 0 else "good", "Chance of a net loss",
         format_percent(ns["prob_loss"]), f"of {summary['trials']:,} trials"),
        ("loss" if ns["cvar_5"] < 0 else "good", "Average of the worst 5%",
         format_money(ns["cvar_5"], cur), "mean net savings in the worst 1-in-20 trials"),
    ]
    tol = summary.get("tolerance")
    if tol:
        tiles.append(("good" if tol["pass"] else "loss", "Risk tolerance",
                      "Pass" if tol["pass"] else "Fail", "against the scenario's risk appetite"))
    return '<div class="tiles">\n' + "\n".join(
        f'<div class="tile {cls}"><div class="label">{_e(label)}</div>'
        f'<div class="value">{_e(value)}</div><div class="note">{_e(note)}</div></div>'
        for cls, label, value, note in tiles) + "\n</div>"


def _figures_section(summary: dict[str, Any]) -> str:
    rows = [[(_e(f.label), ""), (_e(f.value), "num"), (_e(f.error) or "—", "num err"),
             (_e(f.meaning), "")] for f in c.headline_figures(summary)]
    table = _table([("Figure", ""), ("Value", "num"), ("± 95% Monte Carlo error", "num"),
                    ("What it means", "")], rows)
    notes = [c.error_note(summary)]
    stop = summary.get("precision")
    if stop:
        notes.append(f"The run stopped at {stop['trials_used']:,} trials (at most "
                     f"{stop['max_trials']:,}) on the precision target {stop['target']}, which "
                     f"was {'met' if stop['met'] else 'NOT met'}.")
    return ('<section id="figures">\n<h2>Key figures</h2>\n' + table + "\n"
            + "\n".join(f'<p class="note">{_e(n)}</p>' for n in notes) + "\n</section>")


def _tolerance_block(summary: dict[str, Any]) -> str:
    """Hook: the risk-tolerance tests, only when the scenario sets a tolerance."""
    tol = summary.get("tolerance")
    if not tol:
        return ""
    rows = []
    for test, value, limit, margin, ok in c.tolerance_rows(summary):
        rows.append([(_e(test), ""), (_e(value), "num"), (_e(limit), "num"),
                     (_e(margin), "num"), _verdict(ok)])
    overall = "passes" if tol["pass"] else "fails"
    return (f'<h3>Risk tolerance: the move {overall}</h3>\n'
            + _table([("Test", ""), ("Value", "num"), ("Limit", "num"), ("Margin", "num"),
                      ("Result", "")], rows))


def _verdict(ok: bool) -> tuple[str, str]:
    return ("Pass", "pass") if ok else ("Fail", "fail")


def _sensitivity_figures(svgs: Mapping[str, str | bytes]) -> str:
    """Hook: tornado, drivers and tail drivers, only when a sensitivity analysis was run."""
    return "\n".join(_figure(svgs[stem], *SENSITIVITY_TEXT[stem], stem)
                     for stem in SENSITIVITY_TEXT if stem in svgs)


def _decision_figures(svgs: Mapping[str, str | bytes],
                      analyses: Mapping[str, Any]) -> str:
    """Hook: the control frontier and the value-of-information chart, only when run."""
    from simulator.present.report.decision import DECISION_TEXT

    parts = []
    for stem, (_, _, heading, caption) in DECISION_TEXT.items():
        if stem not in svgs:
            continue
        parts.append(_figure(svgs[stem], heading, caption, stem))
        a = analyses.get(stem, {})
        if stem == "frontier" and a.get("frontier"):
            cur, obj = a["currency"], a["objective"]

            def fmt(v: float, obj: str = obj, cur: str = cur) -> str:
                return format_percent(v) if obj == "prob_loss" else format_money(v, cur)

            rows = [[(_e(" + ".join([*r.get("choices", {}).values(), *r["controls"]])
                         or "no controls"), ""), (_e(format_money(r["cost"], cur)), "num"),
                     (_e(fmt(r[obj])), "num"),
                     (_e(f"{fmt(r['difference_from_chosen'])} ± "
                         f"{fmt(Z95 * r['difference_stderr'])}"), "num")]
                    for r in a["frontier"]]
            parts.append(_table([("Portfolio", ""), ("Expected cost", "num"),
                                 (_e(obj.replace("_", " ")), "num"),
                                 ("Versus the chosen one (95%)", "num")], rows))
    return "\n".join(parts)


def _comparison_block(comparison: dict[str, Any] | None) -> str:
    """Hook: options side by side, only when a comparison (``comparison.json``) is given."""
    if not comparison:
        return ""
    cur = comparison["currency"]
    rows = [[(_e(o["name"]), ""), (_e(format_money(o["net_savings"]["mean"], cur)), "num"),
             (_e(format_money(o["net_savings"]["p5"], cur)), "num"),
             (_e(format_money(o["net_savings"]["p95"], cur)), "num"),
             (_e(format_percent(o["net_savings"]["prob_loss"])), "num"),
             (_e(format_money(o["net_savings"]["cvar_5"], cur)), "num")]
            for o in comparison["options"]]
    pairs = [[(_e(f"{p['a']} minus {p['b']}"), ""),
              (_e(format_money(p["mean_difference"], cur)), "num"),
              (_e(format_percent(p["prob_a_beats_b"])), "num")]
             for p in comparison.get("pairs", [])]
    return ('<h3 id="comparison">Options compared (common random numbers)</h3>\n'
            + _table([("Option", ""), ("Mean", "num"), ("P5", "num"), ("P95", "num"),
                      ("Chance of a loss", "num"), ("Worst 5% mean", "num")], rows)
            + ("\n" + _table([("Pair", ""), ("Mean difference", "num"),
                              ("Chance A beats B", "num")], pairs) if pairs else ""))


def _analyses_figures(analyses: Mapping[str, tuple[str, str, str | bytes]]) -> str:
    """Hook: the sweep and break-even charts, only when those analyses were written into the
    run's folder.
    """
    return "\n".join(_figure(image, heading, caption, stem)
                     for stem, (heading, caption, image) in analyses.items())


def _charts_section(summary: dict[str, Any], charts: Mapping[str, str | bytes],
                    sensitivity: Mapping[str, str | bytes], comparison: dict[str, Any] | None,
                    analyses: Mapping[str, tuple[str, str, str | bytes]] | None = None,
                    decision: tuple[Mapping[str, Any], Mapping[str, str | bytes]] = ({}, {})
                    ) -> str:
    parts = ['<section id="charts" class="charts">\n<h2>Charts</h2>']
    for stem in ("net_savings_distribution", "s_curve", "waterfall", "loss_exceedance"):
        if stem in charts:
            parts.append(_figure(charts[stem], *CHART_TEXT[stem], stem))
        if stem == "loss_exceedance":
            parts.append(_tolerance_block(summary))
    parts.append(_sensitivity_figures(sensitivity))
    parts.append(_analyses_figures(analyses or {}))
    parts.append(_decision_figures(decision[1], decision[0]))
    parts.append(_comparison_block(comparison))
    if "convergence" in charts:
        parts.append(_figure(charts["convergence"], *CHART_TEXT["convergence"], "convergence"))
    parts.append("</section>")
    return "\n".join(p for p in parts if p)


def _costs_section(summary: dict[str, Any]) -> str:
    rows = [[(_e(r.name), ""), (_e(r.category), ""), (_e(r.mean), "num"), (_e(r.error), "num err"),
             (_e(r.p5), "num"), (_e(r.p95), "num")] for r in c.component_rows(summary)]
    table = _table([("Cost line or risk", ""), ("Category", ""), ("Mean cost", "num"),
                    ("± 95% error", "num"), ("P5", "num"), ("P95", "num")], rows)
    out = ('<section id="costs">\n<h2>Where the money goes</h2>\n'
           f'<p class="note">Present value over {years(summary["horizon_years"])} of each cost '
           "line and risk (positive = money lost).</p>\n" + table)
    controls = summary.get("controls")
    if controls:  # hook: mitigations, only when the scenario declares controls
        cur = summary["currency"]
        crow = [[(_e(name), ""), (_e(format_money(k["cost"], cur)), "num"),
                 (_e(format_money(k["loss_avoided"], cur)), "num"),
                 (_e("n/a" if k["return_on_control"] is None
                     else format_signed_percent(k["return_on_control"])), "num"),
                 (_e(format_money(k["net_savings_with"], cur)), "num"),
                 (_e(format_money(k["net_savings_without"], cur)), "num")]
                for name, k in controls.items()]
        out += ("\n<h3>Controls</h3>\n"
                + _table([("Control", ""), ("Cost", "num"), ("Losses avoided", "num"),
                          ("Return", "num"), ("Net savings with", "num"),
                          ("without", "num")], crow))
    return out + "\n</section>"


def _correlations_table(summary: dict[str, Any], scenario: Scenario | None = None) -> str:
    rows = c.correlation_rows(summary)
    if not rows:
        return ""

    def name(path: str) -> str:  # the plain label, the path in small print
        words = label(scenario, path).text if scenario is not None else path
        return (f'{_e(words)}<span class="path">{_e(path)}</span>' if words != path
                else f'<span class="path">{_e(path)}</span>')

    body = "\n".join(f'<tr><td>{name(a)}</td><td>{name(b)}</td>'
                     f'<td class="num">{rho:+.2f}</td></tr>' for a, b, rho in rows)
    return ("<h3>Correlated inputs</h3>\n<p class=\"note\">Rank (Spearman) correlations the run "
            "used, through a Gaussian copula that keeps each input's distribution; pairs not "
            "listed are independent.</p>\n<table>\n<thead><tr><th scope=\"col\">Input</th>"
            "<th scope=\"col\">with</th><th class=\"num\" scope=\"col\">Rank correlation</th>"
            f"</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>\n")


def _deal_terms_section(terms: list[c.DealTerm]) -> str:
    """The model-0.2 terms of the scenario in words; nothing for a scenario without them."""
    if not terms:
        return ""
    body = "\n".join(f"<tr><td>{_e(t.subject)}</td><td>{_e(t.term)}</td><td>{_e(t.words)}</td>"
                     "</tr>" for t in terms)
    return ('<section id="deal-terms">\n<h2>How the deal unfolds</h2>\n'
            '<p class="note">Exits, recoveries, in-house risks, knock-on events and currency, '
            "as the model applies them (docs/model.md).</p>\n<table>\n<thead><tr>"
            '<th scope="col">Cost line or risk</th><th scope="col">Term</th>'
            f'<th scope="col">What it does</th></tr></thead>\n<tbody>\n{body}\n</tbody>\n'
            "</table>\n</section>")


def assumptions_table(rows: list[c.Assumption]) -> str:
    """Every input: its plain label (the parameter path in small print), its distribution in
    words and its P5 / P50 / P95, grouped by section.
    """
    body, group = [], None
    for a in rows:
        if a.group != group:
            group = a.group
            body.append(f'<tr class="group"><th colspan="5" scope="rowgroup">{_e(group)}</th></tr>')
        body.append(f'<tr><td>{_e(a.label)}<span class="path">{_e(a.path)}</span></td>'
                    f"<td>{_e(a.words)}</td><td class=\"num\">{_e(a.p5)}</td>"
                    f"<td class=\"num\">{_e(a.p50)}</td><td class=\"num\">{_e(a.p95)}</td></tr>")
    head = ('<thead><tr><th scope="col">Input</th><th scope="col">Distribution</th>'
            '<th class="num" scope="col">P5</th><th class="num" scope="col">P50</th>'
            '<th class="num" scope="col">P95</th></tr></thead>')
    return f"<table>\n{head}\n<tbody>\n" + "\n".join(body) + "\n</tbody>\n</table>\n"


def _assumptions_section(rows: list[c.Assumption], correlations: str = "") -> str:
    return ('<section id="assumptions">\n<h2>Assumptions</h2>\n'
            f'<p class="note">Every input of the scenario, {len(rows)} in all, as drawn in each '
            "trial (levels once per trial; risk events each year).</p>\n"
            + assumptions_table(rows) + correlations + "</section>")


def _provenance_section(summary: dict[str, Any], trials_file: str | None,
                        scenario_file: str) -> str:
    cmd = c.reproduce_command(summary, scenario_file)
    items = "\n".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in c.provenance_items(summary))
    version = summary.get("provenance", {}).get("version", "unknown")
    parts = ['<section id="provenance">\n<h2>Audit trail</h2>',
             f"<p>To reproduce every figure, run kposim {_e(version)} on the copy of the "
             f"scenario kept in this folder (<code>{_e(scenario_file)}</code>):</p>",
             f"<pre>{_e(cmd)}</pre>",
             "<p>Same scenario, seed and trial count give bit-identical results, whatever the "
             "number of threads. <code>summary.json</code> and <code>summary.csv</code> (opens in "
             "Excel) beside this report hold every figure above.</p>"]
    if trials_file:
        parts.append(f"<p>Per-trial results (net savings, each cost line and risk, and every "
                     f"drawn input) are in <code>{_e(trials_file)}</code> in this folder "
                     "(<code>numpy.load</code>), so each figure can be recomputed "
                     "independently.</p>")
    warnings = summary.get("warnings") or []
    if warnings:
        parts.append("<h3>Warnings</h3>\n<ul>" + "".join(f"<li>{_e(w)}</li>" for w in warnings)
                     + "</ul>")
    parts.append(f'<dl class="prov">\n{items}\n</dl>\n</section>')
    return "\n".join(parts)


def render_html(summary: dict[str, Any], chart_data: ChartData, scenario: Scenario,
                charts: Mapping[str, str | bytes], *,
                sensitivity: Mapping[str, str | bytes] | None = None,
                comparison: dict[str, Any] | None = None, trials_file: str | None = None,
                scenario_file: str = "scenario.toml", model: CompiledModel | None = None,
                analyses: Mapping[str, tuple[str, str, str | bytes]] | None = None,
                decision: tuple[Mapping[str, Any], Mapping[str, str | bytes]] | None = None
                ) -> str:
    """The report page.

    Parameters
    ----------
    summary : the run's ``summary.json`` dictionary.
    chart_data : the run's :class:`ChartData` (the charts were drawn from it).
    scenario : the scenario, for the assumptions table.
    charts : chart stem -> SVG text or PNG bytes of the standard charts (:data:`CHART_TEXT`
        stems).
    sensitivity : stem -> SVG of the tornado / drivers / tail-driver charts, if run.
    comparison : a ``comparison.json`` dictionary, if options were compared.
    trials_file : file name of the saved per-trial results, if saved.
    scenario_file : file name of the scenario copy in the results folder.
    model : the scenario as the run compiled it (saves compiling it again), if at hand.
    analyses : stem ("sweep", "breakeven") -> (heading, caption, image) of the sweep and
        break-even charts, if those analyses were run into the folder.
    decision : (analyses, charts) of ``kposim optimize`` and ``kposim voi``, stem -> dict and
        stem -> SVG (:func:`simulator.present.report.decision.load_decision`), if run.
    """
    body = "\n".join([
        _header(summary),
        f'<section id="decision">\n<p class="decision">{_e(c.decision_sentence(summary))}</p>\n'
        f"{_tiles(summary)}\n</section>",
        _figures_section(summary),
        _charts_section(summary, charts, sensitivity or {}, comparison, analyses,
                        decision or ({}, {})),
        _costs_section(summary),
        _deal_terms_section(c.deal_terms(scenario)),
        _assumptions_section(c.assumptions(scenario, model),
                             _correlations_table(summary, scenario)),
        _provenance_section(summary, trials_file, scenario_file),
        f"<footer>{_e(chart_data.scenario_name)} · kposim "
        f"{_e(summary.get('provenance', {}).get('version', ''))} · seed {summary['seed']} · "
        f"{summary['trials']:,} trials · scenario SHA-256 "
        f"{_e(summary.get('provenance', {}).get('scenario_sha256', '')[:12])}… · "
        f"{_e(summary.get('provenance', {}).get('created', ''))}</footer>",
    ])
    version = summary.get("provenance", {}).get("version", "")
    return PAGE.substitute(title=_e(f"{summary['scenario']}: decision report"), css=CSS,
                           body=body, version=_e(version))
