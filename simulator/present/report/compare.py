"""The decision report for options compared side by side (``kposim compare``).

One self-contained ``report.html`` (and, asked for, ``report.pdf``) for the meeting that
decides between options: the decision in one sentence, each option's key figures side by
side with their Monte Carlo errors, the paired differences (common random numbers) with a
first-order stochastic dominance verdict, overlaid S-curves, side-by-side waterfalls, the
per-category breakdown, each option's risk-tolerance result and assumptions, and the audit
trail.

It is built from what the comparison wrote, never from trials: ``comparison.json``, each
option's ``options/<key>/summary.json``, ``chartdata.npz`` and scenario copy, and the chart
files, so ``kposim report COMPARE_DIR`` rebuilds it without re-running anything
(:func:`simulator.output.report.regenerate_comparison`).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from simulator.present.formatting import (
    format_error,
    format_money,
    format_percent,
    format_points,
    years,
)
from simulator.present.report import content as c
from simulator.present.report.html import (
    CSS,
    PAGE,
    _e,
    _figure,
    _table,
    _verdict,
    assumptions_table,
)
from simulator.results.mcerror import Z95
from simulator.scenario.model import Scenario

OPTIONS_DIR = "options"
#: Comparison charts in reading order: stem -> (heading, how to read it). Difference charts
#: (one per pair) are added after the waterfalls.
COMPARE_CHART_TEXT = {
    "s_curves": ("Chance of saving at least a given amount, option by option",
                 "One curve per option: read up from an amount to the chance each option saves "
                 "at least that much. A curve that is right of another at every height "
                 "dominates it."),
    "waterfalls": ("Where the money goes, option by option",
                   "Mean present values on one axis: gross wage savings, less each category of "
                   "cost and risk loss, gives expected net savings."),
    "loss_exceedance": ("Loss exceedance of the risk events, option by option",
                        "The chance that all risk events together cost more than a given "
                        "amount over the horizon; both axes logarithmic."),
    "box_plot": ("Spread of net savings",
                 "Box from P25 to P75, line at the median, diamond at the mean, whiskers from "
                 "P5 to P95."),
}
DIFFERENCE_TEXT = ("Difference, trial by trial",
                   "Net savings of the first option minus the second in each trial, on common "
                   "random numbers: the share of trials left and right of zero is the chance "
                   "each option comes out ahead.")


# --- what the report says --------------------------------------------------------------------

def _pair_for(cs: dict[str, Any], a: str, b: str) -> tuple[dict[str, Any], bool] | None:
    """The pair of options a and b, and whether it is stored as (b, a)."""
    for p in cs["pairs"]:
        if (p["a"], p["b"]) == (a, b):
            return p, False
        if (p["a"], p["b"]) == (b, a):
            return p, True
    return None


def oriented(p: dict[str, Any], flip: bool) -> dict[str, Any]:
    """A pair's headline figures as "first minus second", swapped when ``flip``: mean
    difference and its error, chance the first is ahead and its error, dominance verdict.
    """
    d = p["dominance"]
    verdict = {"a": "b", "b": "a"}.get(d["verdict"], d["verdict"]) if flip else d["verdict"]
    win = p["prob_a_beats_b"]
    if flip:
        win = 1.0 - p["prob_a_beats_b"] - p["prob_tie"]
    sign = -1.0 if flip else 1.0
    return {"first": p["b"] if flip else p["a"], "second": p["a"] if flip else p["b"],
            "mean": sign * p["mean_difference"], "half": Z95 * p["stderr"],
            "win": win, "win_half": Z95 * p["prob_a_beats_b_stderr"], "tie": p["prob_tie"],
            "verdict": verdict,
            "gap": d["gap_b"] if flip else d["gap_a"],
            "gap_se": d["gap_b_stderr"] if flip else d["gap_a_stderr"],
            "at": d["at_b"] if flip else d["at_a"],
            "back": d["gap_a"] if flip else d["gap_b"],
            "back_se": d["gap_a_stderr"] if flip else d["gap_b_stderr"],
            "back_at": d["at_a"] if flip else d["at_b"]}


def dominance_sentence(p: dict[str, Any], currency: str, flip: bool = False) -> str:
    """The first-order stochastic dominance verdict of a pair in words, with the largest CDF
    gap and its Monte Carlo error (in percentage points).
    """
    o = oriented(p, flip)
    first, second = o["first"], o["second"]
    if o["verdict"] == "identical":
        return f"{first} and {second} have the same distribution of net savings in these trials."
    if o["verdict"] in ("a", "b"):
        lead, trail = (first, second) if o["verdict"] == "a" else (second, first)
        gap, se, at = ((o["gap"], o["gap_se"], o["at"]) if o["verdict"] == "a"
                       else (o["back"], o["back_se"], o["back_at"]))
        rev, rev_se = ((o["back"], o["back_se"]) if o["verdict"] == "a"
                       else (o["gap"], o["gap_se"]))
        back = (f"{trail} is ahead at no amount" if rev == 0 else
                f"{trail} is nowhere ahead by more than its Monte Carlo error (its largest "
                f"lead is {rev * 100:.2g} points, {format_points(Z95 * rev_se * 100)})")
        return (f"{lead} first-order stochastically dominates {trail}: at every amount, {lead} "
                f"is at least as likely to save it. The largest gap between the two "
                f"cumulative distributions is {gap * 100:.3g} points "
                f"({format_points(Z95 * se * 100)}) at {format_money(at, currency)} of net "
                f"savings; {back}.")
    return (f"Neither option dominates the other: the S-curves cross. {first} is ahead by up to "
            f"{o['gap'] * 100:.3g} points ({format_points(Z95 * o['gap_se'] * 100)}) of "
            f"probability, at {format_money(o['at'], currency)}; {second} by up to "
            f"{o['back'] * 100:.3g} points ({format_points(Z95 * o['back_se'] * 100)}), at "
            f"{format_money(o['back_at'], currency)}.")


def compare_sentence(cs: dict[str, Any]) -> str:
    """The decision in one sentence from the numbers: the option with the highest expected
    net savings against the runner-up, "Kraków saves $0.9M more than Bangalore on average
    (± $12K); it is ahead in 71.0% of futures; its chance of a net loss is 1.20% against
    3.40%, and its worst 5% of trials average -$300K against -$1.10M; it first-order
    stochastically dominates Bangalore."; with more options, the ranking follows.
    """
    cur = cs["currency"]
    ranked = sorted(cs["options"], key=lambda o: -o["net_savings"]["mean"])
    best, second = ranked[0], ranked[1]
    found = _pair_for(cs, best["name"], second["name"])
    b, s = best["net_savings"], second["net_savings"]
    if found is None:  # not reachable for a comparison written by kposim
        return f"{best['name']} has the highest expected net savings."
    o = oriented(*found)
    if o["tie"] >= 1.0:
        return (f"{best['name']} and {second['name']} give the same net savings in every trial "
                f"({format_money(b['mean'], cur)} on average).")
    text = (f"{best['name']} saves {format_money(o['mean'], cur)} more than {second['name']} on "
            f"average ({format_error(o['half'], cur)}); it is ahead in {format_percent(o['win'])} "
            f"of futures; its chance of a net loss is {format_percent(b['prob_loss'])} against "
            f"{format_percent(s['prob_loss'])}, and its worst 5% of trials average "
            f"{format_money(b['cvar_5'], cur)} against {format_money(s['cvar_5'], cur)}")
    if o["verdict"] == "a":
        text += f"; it first-order stochastically dominates {second['name']}"
    elif o["verdict"] == "neither":
        text += "; neither dominates the other: the S-curves cross"
    text += "."
    if len(ranked) > 2:
        text += (" Ranked by expected net savings: "
                 + ", ".join(f"{o['name']} {format_money(o['net_savings']['mean'], cur)}"
                             for o in ranked) + ".")
    return text


def side_by_side(summaries: Sequence[dict[str, Any]]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Rows of the key-figures table: (figure, [(value, ± error) per option]), the figures
    of :func:`~simulator.present.report.content.headline_figures`, each option's own intervals. A
    figure an option lacks (no early exit) is blank.
    """
    per = [{f.key: f for f in c.headline_figures(s)} for s in summaries]
    keys = list(dict.fromkeys(k for figures in per for k in figures))
    rows = []
    for k in keys:
        label = next(f[k].label for f in per if k in f)
        rows.append((label, [(f[k].value, f[k].error) if k in f else ("", "") for f in per]))
    return rows


def category_rows(cs: dict[str, Any]) -> tuple[list[str], list[list[float]]]:
    """Categories in the order of the first option that has them, and each option's mean
    cost in each (0 where it has none).
    """
    names = list(dict.fromkeys(k for o in cs["options"] for k in o.get("categories", {})))
    return names, [[o.get("categories", {}).get(k, 0.0) for o in cs["options"]] for k in names]


def option_summary(cs: dict[str, Any], option: dict[str, Any]) -> dict[str, Any]:
    """One option of ``comparison.json`` shaped as a run summary, enough for
    :func:`~simulator.present.report.content.headline_figures`.
    """
    return {**option, "currency": cs["currency"], "trials": cs["trials"]}


def terminal_tables(cs: dict[str, Any]) -> tuple[list[tuple[str, list[str]]],
                                                  list[tuple[str, list[str]]]]:
    """The terminal's two tables of a comparison: (figure, a cell per option) with each
    figure and its 95% error, and (figure, a cell per pair) of the paired differences; as
    the report shows them (one rounding rule).
    """
    cur = cs["currency"]
    options = [(label, [f"{v}\n{e}".strip() if v else "" for v, e in cells])
               for label, cells in side_by_side([option_summary(cs, o)
                                                 for o in cs["options"]])]
    verdict = {"a": "first dominates", "b": "second dominates", "identical": "identical",
               "neither": "neither (curves cross)"}

    def pct(p: dict[str, Any], k: str) -> str:
        lo, hi = p["percentile_ci95"][k]
        return f"{format_money(p[k], cur)}\n{format_error((hi - lo) / 2, cur)}"

    rows: list[tuple[str, Any]] = [
        ("Mean difference", lambda p: f"{format_money(p['mean_difference'], cur)}\n"
                                      f"{format_error(Z95 * p['stderr'], cur)}"),
        ("Chance A beats B", lambda p: f"{format_percent(p['prob_a_beats_b'])}\n"
                                       f"{format_points(Z95 * p['prob_a_beats_b_stderr'] * 100)}"),
        ("P5 of the difference", lambda p: pct(p, "p5")),
        ("P95 of the difference", lambda p: pct(p, "p95")),
        ("Std. error of the mean difference",
         lambda p: format_money(p["stderr"], cur, sig=2)),
        ("  if run independently", lambda p: format_money(p["stderr_independent"], cur, sig=2)),
        ("First-order dominance", lambda p: verdict.get(p["dominance"]["verdict"], "")),
    ]
    pairs = [(label, [cell(p) for p in cs["pairs"]]) for label, cell in rows]
    return options, pairs


def compare_command(cs: dict[str, Any], files: Sequence[str]) -> str:
    """The command that reruns the comparison from the scenario copies in its folder."""
    from shlex import quote

    parts = ["kposim", "compare", *(quote(f) for f in files), "--trials", str(cs["trials"]),
             "--seed", str(cs["seed"]), "--names",
             quote(",".join(o["name"] for o in cs["options"]))]
    if cs.get("sampling", "mc") != "mc":
        parts += ["--sampling", cs["sampling"]]
    return " ".join(parts)


# --- the page ---------------------------------------------------------------------------------

def _header(cs: dict[str, Any]) -> str:
    names = [o["name"] for o in cs["options"]]
    horizons = sorted({o["horizon_years"] for o in cs["options"]})
    horizon = years(horizons[0]) if len(horizons) == 1 else "each option's horizon"
    created = str(cs.get("provenance", {}).get("created", ""))[:10]
    meta = (f"{len(names)} options · net savings over {horizon}, present values in "
            f"{cs['currency']} · {cs['trials']:,} trials each on common random numbers · seed "
            f"{cs['seed']}" + (f" · run {created}" if created else ""))
    links = [("decision", "Decision"), ("figures", "Key figures"),
             ("differences", "Differences"), ("charts", "Charts"),
             ("costs", "Where the money goes"), ("tolerance", "Risk tolerance"),
             ("assumptions", "Assumptions"), ("provenance", "Audit trail")]
    nav = " ".join(f'<a href="#{k}">{_e(v)}</a>' for k, v in links)
    return (f'<header>\n<div class="kicker">Options compared: decision report</div>\n'
            f"<h1>{_e(' vs '.join(names))}</h1>\n<p class=\"meta\">{_e(meta)}</p>\n"
            f"<nav>{nav}</nav>\n</header>")


def _tiles(cs: dict[str, Any]) -> str:
    cur = cs["currency"]
    out = []
    for o in cs["options"]:
        ns = o["net_savings"]
        tol = o.get("tolerance")
        verdict = "" if not tol else (" · tolerance: pass" if tol["pass"]
                                      else " · tolerance: FAIL")
        out.append(f'<div class="tile {"good" if ns["mean"] >= 0 else "loss"}">'
                   f'<div class="label">{_e(o["name"])}</div>'
                   f'<div class="value">{_e(format_money(ns["mean"], cur))}</div>'
                   f'<div class="note">{_e(format_percent(ns["prob_loss"]))} chance of a net loss'
                   f' · worst 5% {_e(format_money(ns["cvar_5"], cur))}{_e(verdict)}</div></div>')
    return '<div class="tiles">\n' + "\n".join(out) + "\n</div>"


def _figures_section(cs: dict[str, Any], summaries: Sequence[dict[str, Any]]) -> str:
    names = [o["name"] for o in cs["options"]]
    head = [("Figure", "")] + [(_e(n), "num") for n in names]
    rows = [[(_e(label), "")] + [(f"{_e(v)}<br><span class=\"err\">{_e(err) or '—'}</span>"
                                  if v else "—", "num") for v, err in cells]
            for label, cells in side_by_side(summaries)]
    return ('<section id="figures">\n<h2>Key figures, side by side</h2>\n' + _table(head, rows)
            + f'\n<p class="note">{_e(c.error_note(summaries[0]))} Each option is simulated '
            "with the same seed, so figures compare on the same futures.</p>\n</section>")


def _differences_section(cs: dict[str, Any]) -> str:
    cur = cs["currency"]
    parts = ['<section id="differences">\n<h2>Differences, trial by trial</h2>',
             '<p class="note">Each pair on common random numbers: an input with the same name '
             "draws the same numbers in both options, so the difference reflects the decision, "
             "not sampling noise, and is known far more precisely than from two separate "
             "runs.</p>"]
    for p in cs["pairs"]:
        ci = p.get("percentile_ci95", {})

        def pct(k: str, ci: dict[str, Any] = ci, p: dict[str, Any] = p) -> str:
            lo, hi = ci.get(k, (float("nan"), float("nan")))
            return f"{format_money(p[k], cur)} {format_error((hi - lo) / 2, cur)}"

        vr = p.get("variance_reduction")
        rows = [
            ("Mean difference", f"{format_money(p['mean_difference'], cur)} "
                                f"{format_error(Z95 * p['stderr'], cur)}"),
            (f"Chance {p['a']} comes out ahead", f"{format_percent(p['prob_a_beats_b'])} "
             f"{format_points(Z95 * p['prob_a_beats_b_stderr'] * 100)}"),
            ("Chance of a tie", format_percent(p["prob_tie"])),
            ("P5 of the difference", pct("p5")), ("Median difference", pct("p50")),
            ("P95 of the difference", pct("p95")),
            ("Standard error of the mean difference",
             f"{format_money(p['stderr'], cur, sig=2)} (two separate runs: "
             f"{format_money(p['stderr_independent'], cur, sig=2)}"
             + (f"; {vr:.3g} times less variance)" if vr else ")")),
        ]
        table = _table([("Figure", ""), ("Value ± 95% error", "num")],
                       [[(_e(k), ""), (_e(v), "num")] for k, v in rows])
        parts.append(f'<h3>{_e(p["a"])} minus {_e(p["b"])}</h3>\n{table}\n'
                     f'<p class="dominance">{_e(dominance_sentence(p, cur))}</p>')
    parts.append("</section>")
    return "\n".join(parts)


def _charts_section(cs: dict[str, Any], images: Mapping[str, str | bytes]) -> str:
    parts = ['<section id="charts" class="charts">\n<h2>Charts</h2>']
    for stem in ("s_curves", "waterfalls"):
        if stem in images:
            parts.append(_figure(images[stem], *COMPARE_CHART_TEXT[stem], stem))
    for p in cs["pairs"]:
        stem = p.get("chart")
        if stem and stem in images:
            heading = f"{DIFFERENCE_TEXT[0]}: {p['a']} minus {p['b']}"
            parts.append(_figure(images[stem], heading, DIFFERENCE_TEXT[1], stem))
    for stem in ("loss_exceedance", "box_plot"):
        if stem in images:
            parts.append(_figure(images[stem], *COMPARE_CHART_TEXT[stem], stem))
    parts.append("</section>")
    return "\n".join(parts)


def _costs_section(cs: dict[str, Any]) -> str:
    cur = cs["currency"]
    names = [o["name"] for o in cs["options"]]
    cats, values = category_rows(cs)
    two = len(names) == 2
    head = [("Category", "")] + [(_e(n), "num") for n in names]
    if two:
        head.append((_e(f"{names[0]} minus {names[1]}"), "num"))
    rows = [[(_e("Gross wage savings"), "")]
            + [(_e(format_money(o["gross_wage_savings"]["mean"], cur)), "num")
               for o in cs["options"]]
            + ([(_e(format_money(cs["options"][0]["gross_wage_savings"]["mean"]
                                 - cs["options"][1]["gross_wage_savings"]["mean"], cur)),
                 "num")] if two else [])]
    for cat, vals in zip(cats, values, strict=False):
        row = [(_e(cat.replace("_", " ").capitalize()), "")]
        row += [(_e(format_money(-v, cur)), "num") for v in vals]
        if two:
            row.append((_e(format_money(vals[1] - vals[0], cur)), "num"))
        rows.append(row)
    rows.append([(_e("Net savings"), "")]
                + [(_e(format_money(o["net_savings"]["mean"], cur)), "num")
                   for o in cs["options"]]
                + ([(_e(format_money(cs["pairs"][0]["mean_difference"], cur)), "num")]
                   if two else []))
    return ('<section id="costs">\n<h2>Where the money goes</h2>\n'
            '<p class="note">Mean present values per category (costs negative); each option\'s '
            "cost lines and risks are in its own report's table and in the workbook.</p>\n"
            + _table(head, rows) + "\n</section>")


def _tolerance_section(cs: dict[str, Any], summaries: Sequence[dict[str, Any]]) -> str:
    rows = []
    for o, s in zip(cs["options"], summaries, strict=False):
        for test, value, limit, margin, ok in c.tolerance_rows(s):
            rows.append([(_e(o["name"]), ""), (_e(test), ""), (_e(value), "num"),
                         (_e(limit), "num"), (_e(margin), "num"), _verdict(ok)])
    if not rows:
        body = ('<p class="note">No option sets a risk tolerance (a <code>[tolerance]</code> '
                "table in its scenario).</p>")
    else:
        verdicts = "; ".join(f"{o['name']}: {'passes' if o['tolerance']['pass'] else 'fails'}"
                             for o in cs["options"] if o.get("tolerance"))
        body = (f"<p><strong>{_e(verdicts)}</strong></p>\n"
                + _table([("Option", ""), ("Test", ""), ("Value", "num"), ("Limit", "num"),
                          ("Margin", "num"), ("Result", "")], rows))
    return (f'<section id="tolerance">\n<h2>Risk tolerance, option by option</h2>\n{body}\n'
            "</section>")


def _assumptions_section(cs: dict[str, Any], scenarios: Sequence[Scenario]) -> str:
    parts = ['<section id="assumptions">\n<h2>Assumptions of each option</h2>',
             '<p class="note">Every input of each option\'s scenario with its distribution in '
             "words and its P5, P50 and P95. Inputs with the same parameter path draw the same "
             "random numbers in every option.</p>"]
    for o, s in zip(cs["options"], scenarios, strict=False):
        rows = c.assumptions(s)
        parts.append(f"<h3>{_e(o['name'])}: {_e(s.name)}</h3>\n" + assumptions_table(rows))
    parts.append("</section>")
    return "\n".join(parts)


def _provenance_section(cs: dict[str, Any], files: Sequence[str]) -> str:
    prov = cs.get("provenance", {})
    cmd = compare_command(cs, files)
    items = [("kposim version", str(prov.get("version", "unknown"))), ("Seed", str(cs["seed"])),
             ("Trials per option", f"{cs['trials']:,}"),
             ("Sampling design", c.SAMPLING_WORDS.get(cs.get("sampling", "mc"),
                                                      str(cs.get("sampling")))),
             ("Common random numbers", str(prov.get("common_random_numbers", ""))),
             ("Run date (UTC)", str(prov.get("created", ""))),
             ("Software", f"numpy {prov.get('numpy', '?')}, numba {prov.get('numba', '?')}")]
    for o, f, sc in zip(cs["options"], files, prov.get("scenarios", [{}] * len(files)),
                        strict=False):
        items.append((f"{o['name']}", f"{f} (from {o.get('source', '')}; SHA-256 "
                                      f"{sc.get('scenario_sha256', '')})"))
    dl = "\n".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items)
    parts = ['<section id="provenance">\n<h2>Audit trail</h2>',
             "<p>To reproduce every figure, run, in this folder, on the scenario copies it "
             "keeps:</p>", f"<pre>{_e(cmd)}</pre>",
             "<p><code>comparison.json</code> and <code>comparison.csv</code> hold every "
             "figure of this report; each option's <code>summary.json</code> and "
             "<code>summary.csv</code> are in <code>options/&lt;option&gt;/</code>.</p>"]
    warnings = cs.get("warnings") or []
    if warnings:
        parts.append("<h3>Warnings</h3>\n<ul>" + "".join(f"<li>{_e(w)}</li>" for w in warnings)
                     + "</ul>")
    parts.append(f'<dl class="prov">\n{dl}\n</dl>\n</section>')
    return "\n".join(parts)


COMPARE_CSS = CSS + """
td.num .err, .err { color: var(--muted); font-size: .82rem; }
p.dominance { font-size: .95rem; margin: .3rem 0 1.2rem; padding: .5rem .8rem;
              background: var(--soft); border-left: 4px solid var(--saving); }
"""


def render_compare_html(cs: dict[str, Any], summaries: Sequence[dict[str, Any]],
                        scenarios: Sequence[Scenario], images: Mapping[str, str | bytes],
                        files: Sequence[str]) -> str:
    """The comparison report page.

    Parameters
    ----------
    cs : the ``comparison.json`` dictionary.
    summaries : each option's run summary (its ``summary.json``), in option order.
    scenarios : each option's scenario, for its assumptions.
    images : chart stem -> SVG text or PNG bytes (``s_curves``, ``waterfalls``,
        ``loss_exceedance``, ``box_plot`` and each pair's ``chart``).
    files : each option's scenario copy, relative to the report (for the command).
    """
    body = "\n".join([
        _header(cs),
        f'<section id="decision">\n<p class="decision">{_e(compare_sentence(cs))}</p>\n'
        f"{_tiles(cs)}\n</section>",
        _figures_section(cs, summaries),
        _differences_section(cs),
        _charts_section(cs, images),
        _costs_section(cs),
        _tolerance_section(cs, summaries),
        _assumptions_section(cs, scenarios),
        _provenance_section(cs, files),
        f"<footer>{_e(' vs '.join(o['name'] for o in cs['options']))} · kposim "
        f"{_e(cs.get('provenance', {}).get('version', ''))} · seed {cs['seed']} · "
        f"{cs['trials']:,} trials each · {_e(cs.get('provenance', {}).get('created', ''))}"
        "</footer>",
    ])
    title = " vs ".join(o["name"] for o in cs["options"]) + ": options compared"
    return PAGE.substitute(title=_e(title), css=COMPARE_CSS, body=body,
                           version=_e(cs.get("provenance", {}).get("version", "")))


# --- files --------------------------------------------------------------------------------------


__all__ = ["COMPARE_CHART_TEXT", "OPTIONS_DIR", "category_rows", "option_summary",
           "terminal_tables", "compare_command", "compare_sentence", "dominance_sentence",
           "render_compare_html", "side_by_side"]
