"""``kposim serve`` end to end: the real command on a free loopback port, its page driven in
headless Chromium over the DevTools protocol (see ``test_report_browser``).

The module's fixture starts the server on the Manila example, opens the page, moves the
offshore-cost slider to +10% with the keyboard (as a user would: focus, ten presses of the
right arrow, each one re-running), types an impossible parameter, and saves the scenario; the
tests then check what the page showed against the engine run directly. Skipped when no
Chromium is installed (``.ci/run`` installs it).
"""
from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pytest
from click.testing import CliRunner
from serving import BROWSER, DevTools, Page, server

from simulator import load_scenario, simulate
from simulator.cli import main
from simulator.present.report.content import Z95, money_to_error
from simulator.scenario.variants import with_value

pytestmark = pytest.mark.skipif(BROWSER is None, reason="headless Chromium not installed (no "
                                "chromium or chromium-browser on PATH; .ci/run installs it)")

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "manila_financial_research.toml"
TRIALS, SEED = 100_000, 7
OFFSHORE = "workforce.offshore_cost_per_fte"
BAD_PARAM = f"{OFFSHORE}.mode"  # set beyond the PERT's max: not a valid distribution
BAD_VALUE = 90_000
SAVED = "manila-plus10"


@pytest.fixture(scope="module")
def visit(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("serve-browser")
    out = tmp / "out"
    with server(SCENARIO, out, TRIALS, SEED) as (proc, url):
        browser = DevTools(BROWSER, tmp / "profile", tmp / "chromium.log")
        try:
            page = Page(browser, url)
            baseline = page.evaluate("window.kposim.last")
            page.evaluate(f"{page.slider(OFFSHORE)}.focus()")
            for _ in range(10):
                page.key("ArrowRight", "ArrowRight", 39)
            moved = page.settled()
            slider = page.evaluate(f"{page.slider(OFFSHORE)}.value")
            shown = page.evaluate(
                "[...document.querySelectorAll('#figures tr[data-key=mean] td')]"
                ".map(td => td.textContent)")
            charts = page.evaluate(
                "({paths: document.querySelectorAll('#scurve path').length, "
                "bars: [...document.querySelectorAll('#waterfall rect')].map(r => "
                "r.dataset.step)})")
            page.evaluate(
                f"(() => {{ const b = document.querySelector('input[data-param=\"' + "
                f"CSS.escape({json.dumps(BAD_PARAM)}) + '\"]'); b.value = '{BAD_VALUE}'; "
                "b.dispatchEvent(new Event('change')); })()")
            invalid = page.settled()
            problem = page.evaluate(
                f"document.querySelector('.problem[data-for=\"' + CSS.escape("
                f"{json.dumps(BAD_PARAM)}) + '\"]').textContent")
            stale_banner = page.evaluate("!document.getElementById('stale').hidden")
            # Put the parameter back, then save the +10% scenario under a new name.
            page.evaluate(
                f"(() => {{ const b = document.querySelector('input[data-param=\"' + "
                f"CSS.escape({json.dumps(BAD_PARAM)}) + '\"]'); b.value = '35000'; "
                "b.dispatchEvent(new Event('change')); })()")
            page.settled()
            written = page.evaluate(
                f"new Promise(r => {{ document.getElementById('name').value = '{SAVED}'; "
                "document.addEventListener('kposim:written', e => r(e.detail), {once: true}); "
                "document.getElementById('save').click(); })")
            # The what-if travels in the address: a new tab opened on it shows the same run.
            edits = [{"target": OFFSHORE, "op": "scale", "value": 10}]
            reopened = Page(browser, url + "#edits=" + quote(json.dumps(edits)))
            restored = {"view": reopened.settled(),
                        "slider": reopened.evaluate(f"{reopened.slider(OFFSHORE)}.value")}
            events = {m: page.events(m) for m in (
                "Runtime.consoleAPICalled", "Runtime.exceptionThrown", "Log.entryAdded",
                "Network.requestWillBeSent")}
        finally:
            browser.close()
    return {"url": url, "out": out, "baseline": baseline, "moved": moved, "slider": slider,
            "restored": restored, "exit": (proc.returncode, proc.stderr_text),
            "shown": shown, "charts": charts, "invalid": invalid, "problem": problem,
            "stale_banner": stale_banner, "written": written, "events": events}


@pytest.fixture(scope="module")
def engine_runs() -> dict:
    """The baseline and the +10% scenario, built without the server's code and run here."""
    base = load_scenario(SCENARIO)
    edited = base
    for key, value in (("min", 22_000), ("mode", 38_500), ("max", 66_000)):
        edited = with_value(edited, f"{OFFSHORE}.{key}", value)
    return {"base": simulate(base, trials=TRIALS, seed=SEED, store_trials=True),
            "edited": simulate(edited, trials=TRIALS, seed=SEED, store_trials=True),
            "scenario": edited}


def _figure(view: dict, key: str) -> dict:
    return next(f for f in view["figures"] if f["key"] == key)


def test_arrow_keys_move_the_slider_to_plus_ten_percent(visit):
    assert (visit["slider"], visit["moved"]["words"][OFFSHORE]) == (
        "10", "PERT, $22K to $66K, most likely $38.5K")


def test_displayed_mean_equals_simulate_of_the_edited_scenario(visit, engine_runs):
    ns = engine_runs["edited"].summary()["net_savings"]
    assert visit["moved"]["raw"]["mean"] == ns["mean"]
    assert visit["shown"][1] == money_to_error(ns["mean"], Z95 * ns["stderr"], "USD")


def test_difference_from_the_baseline_is_paired_trial_by_trial(visit, engine_runs):
    d = engine_runs["edited"].net_savings - engine_runs["base"].net_savings
    diff = _figure(visit["moved"], "mean")["diff"]
    assert diff["diff"] == pytest.approx(d.mean(), rel=1e-9)
    assert diff["stderr"] == pytest.approx(d.std(ddof=1) / math.sqrt(TRIALS), rel=1e-9)
    assert visit["shown"][3].startswith("vs baseline: -$") and "paired)" in visit["shown"][3]


def test_baseline_shown_first_is_the_unedited_run(visit, engine_runs):
    assert visit["baseline"]["raw"]["mean"] == float(engine_runs["base"].net_savings.mean())


def test_page_draws_both_s_curves_and_every_waterfall_step(visit):
    steps = [s["key"] for s in visit["moved"]["waterfall"]]
    assert visit["charts"] == {"paths": 2, "bars": steps}


def test_bad_field_gets_the_message_kposim_validate_gives(visit, tmp_path):
    # The file the page's edits describe: the mode typed in, then the slider's +10%.
    text = SCENARIO.read_text(encoding="utf-8").replace(
        'offshore_cost_per_fte = { dist = "pert", min = 20_000, mode = 35_000, max = 60_000 }',
        f'offshore_cost_per_fte = {{ dist = "pert", min = 22_000, mode = {BAD_VALUE * 1.1:.0f}, '
        'max = 66_000 }')
    edited = tmp_path / SCENARIO.name
    edited.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(edited)])
    message = result.stderr.strip().removeprefix("error: ").replace(str(edited),
                                                                    str(SCENARIO))
    assert result.exit_code == 2 and "\n" not in message
    assert (visit["invalid"]["status"], visit["problem"]) == ("invalid", message)


def test_invalid_edit_keeps_the_last_run_marked_as_stale(visit):
    assert visit["stale_banner"] is True


def test_save_writes_the_edited_scenario_inside_the_out_folder(visit, engine_runs):
    path = visit["out"] / f"{SAVED}.toml"
    assert visit["written"] == {"status": "ok", "path": str(path)}
    saved = load_scenario(path)
    assert saved.model_dump() == engine_runs["scenario"].model_dump()


def test_saved_scenario_keeps_the_original_comments(visit):
    comments = [line for line in SCENARIO.read_text(encoding="utf-8").splitlines()
                if line.lstrip().startswith("#")]
    saved = (visit["out"] / f"{SAVED}.toml").read_text(encoding="utf-8").splitlines()
    assert [c for c in comments if c not in saved] == []


def test_nothing_written_outside_the_out_folder(visit):
    written = sorted(p.name for p in visit["out"].parent.iterdir()
                     if p.name not in ("profile", "chromium.log"))
    assert (written, sorted(p.name for p in visit["out"].iterdir())) == (
        ["out"], [f"{SAVED}.toml"])


def test_page_logs_no_console_errors_or_exceptions(visit):
    ev = visit["events"]
    errors = [e for e in ev["Runtime.consoleAPICalled"] if e["type"] in ("error", "assert")]
    errors += ev["Runtime.exceptionThrown"]
    errors += [e for e in ev["Log.entryAdded"] if e["entry"]["level"] == "error"]
    assert errors == []


def test_page_requests_nothing_but_the_local_server(visit):
    urls = [e["request"]["url"] for e in visit["events"]["Network.requestWillBeSent"]]
    assert len(urls) >= 5  # the page, its script and style, the state, the runs
    assert [u for u in urls if not u.startswith(visit["url"])] == []


def test_saved_toml_parses_as_the_same_document_tomllib_reads(visit, engine_runs):
    doc = tomllib.loads((visit["out"] / f"{SAVED}.toml").read_text(encoding="utf-8"))
    pert = doc["workforce"]["offshore_cost_per_fte"]
    assert [pert[k] for k in ("min", "mode", "max")] == [22_000, 38_500, 66_000]
    assert np.isfinite(engine_runs["edited"].net_savings).all()


def test_a_what_if_in_the_address_is_restored_on_load(visit):
    restored = visit["restored"]
    assert (restored["slider"], restored["view"]["raw"]["mean"]) == (
        "10", visit["moved"]["raw"]["mean"])


def test_interrupting_the_server_stops_it_cleanly(visit):
    code, stderr = visit["exit"]
    assert (code, stderr.strip().splitlines()[-1]) == (0, "kposim serve: stopped")
