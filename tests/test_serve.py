"""``kposim serve`` without a browser: the edits, the paired statistics, the latest-wins runner
and the HTTP API (in process, through Starlette's TestClient: no socket is opened)."""
from __future__ import annotations

import json
import math
import threading
import tomllib
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("starlette")
pytest.importorskip("tomlkit")

from starlette.testclient import TestClient  # noqa: E402

from simulator import load_scenario, simulate  # noqa: E402
from simulator.cli import main  # noqa: E402
from simulator.engine.controls import without
from simulator.scenario.compiled import compile_scenario  # noqa: E402
from simulator.serve import app as serve_app  # noqa: E402
from simulator.serve.edits import Edit, EditError, Editor, Invalid  # noqa: E402
from simulator.serve.session import (  # noqa: E402
    SUPERSEDED,
    Runner,
    RunStats,
    Session,
    SessionError,
    Superseded,
    paired_differences,
    sorted_quantiles,
)

ROOT = Path(__file__).resolve().parents[1]
MANILA = ROOT / "scenarios" / "manila_financial_research.toml"
TEMPLATE = ROOT / "scenarios" / "template.toml"
ENGAGED = ROOT / "tests" / "data" / "engaged.toml"
OFFSHORE = "workforce.offshore_cost_per_fte"
BREACH = 'risks["Client data breach at the provider"]'
CONTROL = 'controls["Data loss prevention and provider audits"]'


def _risk_index(ed: Editor, path: str) -> int:
    """Position of the risk named in a parameter path, e.g. risks["X"]."""
    return next(i for i, r in enumerate(ed.scenario.risks) if path == f'risks["{r.name}"]')


def editor(path: Path) -> Editor:
    return Editor(str(path), path.read_text(encoding="utf-8"), load_scenario(path))


@pytest.fixture(scope="module")
def manila() -> Editor:
    return editor(MANILA)


@pytest.fixture(scope="module")
def template() -> Editor:
    return editor(TEMPLATE)


# --- edits --------------------------------------------------------------------------------------

def test_scale_multiplies_a_pert_and_keeps_its_shape(template):
    before = template.scenario.workforce.offshore_cost_per_fte
    doc = template.document([Edit(OFFSHORE, "scale", 10.0)])
    assert doc["workforce"][OFFSHORE.split(".")[1]] == {
        "dist": "pert", "min": pytest.approx(1.1 * before.min),
        "mode": pytest.approx(1.1 * before.mode), "max": pytest.approx(1.1 * before.max),
        "lambda": 4}


def test_shift_moves_a_growth_range_by_points(manila):
    doc = manila.document([Edit("workforce.offshore_cost_growth", "shift", 1.5)])
    assert doc["workforce"]["offshore_cost_growth"] == {"dist": "uniform", "min": 0.045,
                                                        "max": 0.095}


def test_scale_of_a_lognormal_given_by_mu_scales_its_median(template):
    s = template.scenario_for([Edit(f"{BREACH}.severity", "scale", 100.0)])
    i = _risk_index(template, BREACH)
    before = template.scenario.risks[i].severity
    after = s.risks[i].severity
    assert (after.sigma, math.exp(after.mu)) == pytest.approx((before.sigma,
                                                               2 * math.exp(before.mu)))


def test_scale_of_a_negative_binomial_scales_its_mean_not_its_dispersion(manila):
    doc = manila.document([Edit('risks["Provider staff turnover"].frequency', "scale", -50.0)])
    assert doc["risks"][0]["frequency"] == {"dist": "negative_binomial", "mean": 3.25,
                                            "dispersion": 5}


def test_scale_of_an_uncertain_rate_scales_its_distribution(template):
    i = _risk_index(template, BREACH)
    rate = template.scenario.risks[i].frequency.mean_
    doc = template.document([Edit(f"{BREACH}.frequency", "scale", 100.0)])
    assert doc["risks"][i]["frequency"]["mean"] == {
        "dist": "lognormal", "low": pytest.approx(2 * rate.low),
        "high": pytest.approx(2 * rate.high)}


def test_a_rate_learned_from_history_has_no_slider_and_says_why(template):
    t = template.targets['risks["Quality failure"].frequency']
    assert (t.slider, t.reason) == (None, "a rate learned from history: edit its prior or "
                                          "the observed counts instead")


def test_a_share_lines_growth_is_not_editable(manila):
    target = 'costs["Vendor governance"].growth'
    with pytest.raises(EditError, match="cannot shift"):
        manila.parse_edits([{"target": target, "op": "shift", "value": 1}])


def test_every_risk_has_rate_and_severity_controls(template):
    for r in template.scenario.risks:
        for part in ("frequency", "severity"):
            assert f'risks["{r.name}"].{part}' in template.targets


def test_expert_parameter_sets_one_value(manila):
    doc = manila.document([Edit(f"{OFFSHORE}.mode", "set", 40_000.0)])
    assert doc["workforce"]["offshore_cost_per_fte"]["mode"] == 40_000


def test_a_parameter_edit_rewords_its_input(manila):
    edits = [Edit(f"{OFFSHORE}.mode", "set", 40_000.0)]
    assert manila.words(manila.scenario_for(edits), [e.target for e in edits]) == {
        OFFSHORE: "PERT, $20K to $60K, most likely $40K"}


def test_horizon_is_set_as_a_whole_number(manila):
    s = manila.scenario_for([Edit("scenario.horizon_years", "set", 5.0)])
    assert s.scenario.horizon_years == 5 and isinstance(s.scenario.horizon_years, int)


@pytest.mark.parametrize("path", [MANILA, TEMPLATE, ENGAGED], ids=lambda p: p.stem)
def test_saved_toml_and_live_document_agree_for_every_slider(path):
    ed = editor(path)
    edits = [Edit(t.target, t.slider, 20.0 if t.slider == "scale" else 0.5)
             for t in ed.targets.values() if t.slider]
    edits += [Edit(c, "enabled", False) for c in ed.allowed if c.startswith("controls[")]
    assert tomllib.loads(ed.toml(edits)) == ed.document(edits)


def test_saved_toml_keeps_every_comment_line(template):
    edits = [Edit(OFFSHORE, "scale", 10.0), Edit(f"{BREACH}.frequency", "scale", 50.0)]
    original = template.text.splitlines()
    saved = template.toml(edits).splitlines()
    assert [x for x in original if x.lstrip().startswith("#") and x not in saved] == []


def test_saved_toml_keeps_underscores_and_trailing_comments(template):
    line = next(x for x in template.toml([Edit(f"{CONTROL}.cost", "scale", 10.0)]).splitlines()
                if x.startswith("cost = "))
    assert line == ('cost = { dist = "uniform", min = 44_000, max = 99_000 }   '
                    '# assumption: placeholder yearly cost')


def test_key_left_to_its_default_is_inserted(manila):
    text = manila.toml([Edit('costs["Vendor selection"].share', "shift", 1.0),
                        Edit("workforce.ramp_up_months", "scale", 0.0)])
    doc = tomllib.loads(text)
    assert doc["costs"][0]["share"] == {"dist": "uniform", "min": 0.012, "max": 0.03}


def test_switching_a_control_off_equals_the_scenario_without_it(template):
    s = template.scenario_for([Edit(CONTROL, "enabled", False)])
    expected = without(template.scenario, "Data loss prevention and provider audits")
    assert s.model_dump() == expected.model_dump()


def test_switched_off_control_is_commented_out_and_lines_keep_their_numbers(template):
    text = template.toml([Edit(CONTROL, "enabled", False)])
    lines = text.splitlines()
    header = next(i for i, x in enumerate(template.text.splitlines())
                  if x.startswith("[[controls]]"))
    assert (len(lines), lines[header]) == (len(template.text.splitlines()),
                                           "# [[controls]]  # switched off in kposim serve")


def test_switching_off_a_correlated_control_drops_its_correlation(tmp_path):
    text = TEMPLATE.read_text(encoding="utf-8") + (
        '\n[[correlations]]\ninputs = [\'controls["Data loss prevention and provider '
        'audits"].cost\', "workforce.offshore_cost_per_fte"]\nrank = 0.5\n')
    path = tmp_path / "correlated.toml"
    path.write_text(text, encoding="utf-8")
    ed = editor(path)
    before = len(ed.scenario.correlations)
    s = ed.scenario_for([Edit(CONTROL, "enabled", False)])
    assert (len(s.correlations), s.controls) == (before - 1, [])


def test_problem_is_placed_beside_the_parameter_that_caused_it(manila):
    with pytest.raises(Invalid) as info:
        manila.scenario_for([Edit(f"{OFFSHORE}.min", "set", 50_000.0)])
    (problem,) = info.value.problems
    line = 1 + next(i for i, x in enumerate(MANILA.read_text().splitlines())
                    if x.startswith("offshore_cost_per_fte"))
    d = manila.scenario.workforce.offshore_cost_per_fte
    assert (problem.target, problem.message) == (
        f"{OFFSHORE}.min", f"{MANILA}: line {line}: {OFFSHORE}.mode: must lie in [min, max] "
        f"(got mode={d.mode:g}, min=50000, max={d.max:g})")


def test_problem_message_is_what_kposim_validate_prints(manila, tmp_path):
    edits = [Edit('risks["Exit and back-sourcing"].frequency', "scale", 300.0),
             Edit(f"{OFFSHORE}.mode", "set", 70_000.0)]
    saved = tmp_path / MANILA.name
    saved.write_text(manila.toml(edits), encoding="utf-8")
    printed = CliRunner().invoke(main, ["validate", str(saved)]).stderr
    with pytest.raises(Invalid) as info:
        manila.scenario_for(edits)
    shown = [p.message.replace(str(MANILA), str(saved)) for p in info.value.problems]
    assert ["error: " + m for m in shown] == printed.strip().splitlines()


@pytest.mark.parametrize("raw, message", [
    ("not a list", "edits must be a list"),
    ([{"target": "scenario.name", "op": "set", "value": 1}], "cannot set this"),
    ([{"target": OFFSHORE, "op": "explode", "value": 1}], "unknown operation"),
    ([{"target": OFFSHORE, "op": "scale", "value": float("nan")}], "finite number"),
    ([{"target": OFFSHORE, "op": "scale", "value": True}], "finite number"),
    ([{"target": f"{OFFSHORE}.mode", "op": "set", "value": 10 ** 400}], "finite number"),
    ([{"target": OFFSHORE, "op": "scale", "value": 1e6}], "scale must be between"),
    ([{"target": OFFSHORE, "op": "scale", "value": 1, "extra": 2}], "target, op, value"),
    ([{"target": OFFSHORE, "op": "scale", "value": 1}] * 1001, "at most 1000"),
])
def test_requests_the_page_cannot_make_are_refused(manila, raw, message):
    with pytest.raises(EditError, match=message):
        manila.parse_edits(raw)


@pytest.mark.parametrize("path", [MANILA, TEMPLATE, ENGAGED], ids=lambda p: p.stem)
def test_recompiling_only_the_edited_inputs_gives_the_full_compile_bit_for_bit(path):
    ed = editor(path)
    for target, t in ed.targets.items():
        if not t.slider or target not in ed.input_of:
            continue
        edits = [Edit(target, t.slider, 25.0 if t.slider == "scale" else 1.5)]
        s = ed.scenario_for(edits)
        patched = simulate(s, trials=3_000, seed=5, model=ed.compile(s, edits),
                           store_trials=True)
        full = simulate(s, trials=3_000, seed=5, model=compile_scenario(s), store_trials=True)
        assert np.array_equal(patched.component_totals, full.component_totals), target
        assert np.array_equal(patched.net_savings, full.net_savings), target


# --- statistics ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pair(manila) -> tuple[RunStats, RunStats]:
    edited = manila.scenario_for([Edit(OFFSHORE, "scale", 10.0)])
    runs = [simulate(s, trials=200_000, seed=11, store_trials=True)
            for s in (manila.scenario, edited)]
    return RunStats.of(runs[0]), RunStats.of(runs[1])


def test_sorted_quantiles_equal_numpys():
    x = np.sort(np.random.default_rng(1).standard_normal(10_001))
    levels = np.array([0.0, 0.001, 0.05, 0.5, 0.95, 0.999, 1.0])
    assert sorted_quantiles(x, levels) == pytest.approx(np.quantile(x, levels), abs=1e-12)


def test_difference_of_a_run_from_itself_is_exactly_zero(pair):
    diffs = paired_differences(pair[0], pair[0])
    # The engagement figures have no per-trial flag to pair, hence no paired error.
    unpaired = {"exit_share", "years_run"}
    assert {k: (d["diff"], d["stderr"]) for k, d in diffs.items()} == {
        k: (0.0, None if k in unpaired else 0.0) for k in diffs}


def test_mean_difference_stderr_comes_from_the_paired_trials(pair):
    d = pair[1].net - pair[0].net
    got = paired_differences(*pair)["mean"]
    assert (got["diff"], got["stderr"]) == pytest.approx((d.mean(), d.std(ddof=1)
                                                           / math.sqrt(d.size)), rel=1e-9)


@pytest.mark.parametrize("key", ["p5", "p50", "p95", "cvar_5"])
def test_linearised_stderr_agrees_with_batch_means(pair, key):
    """The influence-function standard error of a percentile's (or the tail mean's)
    difference, against the spread of that difference over 40 batches of 5,000 trials."""
    from simulator.results.stats import expected_shortfall

    def figure(x: np.ndarray) -> float:
        return (expected_shortfall(x, 0.05) if key == "cvar_5"
                else float(np.percentile(x, int(key[1:]))))

    batches = np.array([figure(b) - figure(a) for a, b in
                        zip(np.split(pair[0].net, 40), np.split(pair[1].net, 40), strict=False)])
    batch_se = batches.std(ddof=1) / math.sqrt(40)
    se = paired_differences(*pair)[key]["stderr"]
    assert 0.6 < se / batch_se < 1.6


def test_paired_stderr_is_far_below_the_independent_one(pair):
    se = paired_differences(*pair)["mean"]["stderr"]
    independent = math.hypot(pair[0].summary["net_savings"]["stderr"],
                             pair[1].summary["net_savings"]["stderr"])
    assert se < independent / 3


def test_paired_differences_refuse_runs_with_other_seeds(manila, pair):
    other = RunStats.of(simulate(manila.scenario, trials=200_000, seed=12, store_trials=True))
    with pytest.raises(ValueError, match="same seed"):
        paired_differences(pair[0], other)


# --- the session --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def session(tmp_path_factory) -> Session:
    return Session(MANILA, 70_000, 3, tmp_path_factory.mktemp("serve") / "out")


def test_run_equals_simulate_of_the_edited_scenario(session):
    edits = [Edit(f"{BREACH}.frequency", "scale", 100.0)]
    view = session.run(edits)
    expected = simulate(session.editor.scenario_for(edits), trials=70_000, seed=3)
    assert view["raw"]["mean"] == expected.summary()["net_savings"]["mean"]


def test_run_without_edits_is_the_baseline_with_no_change(session):
    view = session.run([])
    assert [f["vs"] for f in view["figures"]] == ["vs baseline: no change"] * len(
        view["figures"])
    assert len(view["figures"]) >= 7


def test_superseded_run_stops_at_a_chunk_and_leaves_the_engine_sound(session):
    edits = [Edit(OFFSHORE, "scale", 5.0)]
    calls = []

    def stale() -> bool:  # fresh for the checks before the run, stale from its first chunk
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(Superseded):
        session.run(edits, stale=stale)
    again = session.run(edits)
    fresh = simulate(session.editor.scenario_for(edits), trials=70_000, seed=3)
    assert (len(calls), again["raw"]["mean"]) == (3, float(fresh.net_savings.mean()))


def test_views_carry_no_number_json_cannot_hold():
    from simulator.serve.session import _json_safe

    assert _json_safe({"a": [math.nan, 1.5, (math.inf, -2)], "b": "x"}) == {
        "a": [None, 1.5, [None, -2]], "b": "x"}


def test_save_refuses_a_name_that_leaves_the_out_folder(session):
    with pytest.raises(SessionError, match="a name is"):
        session.save([], "../escape")
    assert not (session.out.parent / "escape.toml").exists()


def test_save_refuses_to_overwrite_unless_asked(session):
    session.save([Edit(OFFSHORE, "scale", 1.0)], "twice")
    with pytest.raises(SessionError, match="exists"):
        session.save([Edit(OFFSHORE, "scale", 2.0)], "twice")
    session.save([Edit(OFFSHORE, "scale", 2.0)], "twice", replace=True)
    assert load_scenario(session.out / "twice.toml").workforce.offshore_cost_per_fte.min == \
        20_400


def test_write_report_gives_the_normal_results_folder_for_the_page_figures(session):
    edits = [Edit(OFFSHORE, "scale", 10.0)]
    folder = session.write_report(edits, "report-plus10")
    summary = json.loads((folder / "summary.json").read_text())
    assert (summary["net_savings"]["mean"], sorted(p.name for p in folder.iterdir()
                                                   if p.suffix in (".html", ".toml"))) == (
        session.run(edits)["raw"]["mean"], ["report.html", "scenario.toml"])


# --- the runner ---------------------------------------------------------------------------------

def test_waiting_request_is_superseded_without_running():
    runner = Runner()
    gate, ran = threading.Event(), []
    try:
        first = runner.queued(lambda: gate.wait(10))
        waiting = runner.latest(lambda stale: ran.append("waiting"))
        newest = runner.latest(lambda stale: "newest")
        gate.set()
        assert (waiting.result(10), newest.result(10), ran) == (SUPERSEDED, "newest", [])
        assert first.result(10) is True
    finally:
        runner.close()


def test_running_request_turns_stale_when_a_newer_one_arrives():
    runner = Runner()
    started, release = threading.Event(), threading.Event()
    seen = []

    def slow(stale):
        started.set()
        release.wait(10)
        seen.append(stale())
        return "old"

    try:
        old = runner.latest(slow)
        started.wait(10)
        new = runner.latest(lambda stale: "new")
        release.set()
        assert (old.result(10), new.result(10), seen) == (SUPERSEDED, "new", [True])
        assert runner.counts["discarded"] == 1
    finally:
        runner.close()


def test_queued_jobs_all_run_in_order():
    runner = Runner()
    try:
        futures = [runner.queued(lambda i=i: i) for i in range(5)]
        assert [f.result(10) for f in futures] == list(range(5))
    finally:
        runner.close()


def test_a_failing_job_hands_its_exception_to_its_request():
    runner = Runner()
    try:
        future = runner.latest(lambda stale: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            future.result(10)
    finally:
        runner.close()


# --- the HTTP API -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def client(session):
    app = serve_app.create_app(session)
    with TestClient(app, base_url="http://127.0.0.1:8765", raise_server_exceptions=False) as c:
        yield c


def test_page_sets_a_content_security_policy_that_keeps_it_local(client):
    r = client.get("/")
    assert "default-src 'none'" in r.headers["content-security-policy"] and \
        "connect-src 'self'" in r.headers["content-security-policy"]


def test_shipped_assets_name_no_other_host():
    import re

    static = Path(serve_app.STATIC)
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(static.iterdir()))
    urls = set(re.findall(r"(?:https?:)?//[\w.-]+", text))
    assert urls == {"http://www.w3.org"}  # the SVG namespace name, never fetched


def test_run_answers_with_the_figures_and_the_change(client):
    r = client.post("/api/run", json={"seq": 4, "edits": [
        {"target": OFFSHORE, "op": "scale", "value": 10}], "changed": OFFSHORE})
    body = r.json()
    assert (r.status_code, body["seq"], body["status"]) == (200, 4, "ok")
    assert [f["label"] for f in body["figures"]][:2] == ["Expected net savings",
                                                       "Chance of a net loss"]


def test_invalid_edit_answers_with_the_problem_beside_its_field(client):
    r = client.post("/api/run", json={"seq": 1, "edits": [
        {"target": "scenario.horizon_years", "op": "set", "value": 40}],
        "changed": "scenario.horizon_years"})
    line = 1 + next(i for i, x in enumerate(MANILA.read_text().splitlines())
                    if x.startswith("horizon_years"))
    assert r.json()["problems"] == [{"target": "scenario.horizon_years", "message": (
        f"{MANILA}: line {line}: scenario.horizon_years: input should be less than or equal "
        "to 30")}]


@pytest.mark.parametrize("kwargs, status", [
    ({"content": b'{"edits": []}', "headers": {"content-type": "text/plain"}}, 415),
    ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 400),
    ({"content": b'{"edits": [NaN]}', "headers": {"content-type": "application/json"}}, 400),
    ({"content": b"[1, 2]", "headers": {"content-type": "application/json"}}, 400),
    ({"content": b'{"seq": "x"}', "headers": {"content-type": "application/json"}}, 400),
    ({"content": b"[" * 100_000, "headers": {"content-type": "application/json"}}, 400),
    ({"content": b" " * (serve_app.MAX_BODY + 1),
      "headers": {"content-type": "application/json"}}, 413),
])
def test_bad_bodies_get_a_client_error(client, kwargs, status):
    assert client.post("/api/run", **kwargs).status_code == status


json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12)
edit_like = st.fixed_dictionaries({"target": st.sampled_from(
    [OFFSHORE, f"{OFFSHORE}.mode", "scenario.horizon_years", "nope", ""]),
    "op": st.sampled_from(["scale", "shift", "set", "enabled", 3]), "value": json_values})


@settings(max_examples=60, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.one_of(json_values, st.fixed_dictionaries(
    {"seq": json_values, "edits": st.lists(edit_like, max_size=3), "changed": json_values})))
def test_fuzzed_bodies_never_crash_the_server(client, body):
    for path in ("/api/run", "/api/save"):
        r = client.post(path, content=json.dumps(body),
                        headers={"content-type": "application/json"})
        assert r.status_code in (200, 400)
    assert client.get("/api/state").status_code == 200


def test_requests_naming_another_host_are_refused(client):
    assert client.get("/api/state", headers={"host": "attacker.example"}).status_code == 400


def test_listening_on_every_interface_answers_any_host_name(session):
    app = serve_app.create_app(session, "0.0.0.0")
    with TestClient(app, base_url="http://127.0.0.1:8765") as c:
        assert c.get("/api/status", headers={"host": "laptop.local"}).status_code == 200


def test_save_through_the_api_stays_in_the_out_folder(client, session):
    r = client.post("/api/save", json={"edits": [], "name": "../../etc/x"})
    assert (r.json()["status"], list(session.out.parent.glob("**/x.toml"))) == ("refused", [])


# --- the command --------------------------------------------------------------------------------

def test_serve_listens_on_loopback_unless_told_otherwise():
    option = next(p for p in main.commands["serve"].params if p.name == "host")
    sock = serve_app.bind(option.default, 0)
    try:
        assert (option.default, sock.getsockname()[0]) == ("127.0.0.1", "127.0.0.1")
    finally:
        sock.close()


def test_serve_reports_a_bad_scenario_like_validate(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[scenario]\nname = "x"\nhorizon_years = 0\n', encoding="utf-8")
    served = CliRunner().invoke(main, ["serve", str(bad), "--port", "0"])
    validated = CliRunner().invoke(main, ["validate", str(bad)])
    assert (served.exit_code, served.stderr) == (2, validated.stderr)


def test_serve_reports_a_port_in_use():
    sock = serve_app.bind("127.0.0.1", 0)
    try:
        port = sock.getsockname()[1]
        r = CliRunner().invoke(main, ["serve", str(MANILA), "--port", str(port)])
        assert (r.exit_code, r.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}")) \
            == (2, True)
    finally:
        sock.close()


# --- model 0.2: an engagement that can end early -------------------------------------------------

EXIT = 'risks["Exit and back-sourcing"].frequency'


@pytest.fixture(scope="module")
def engaged(tmp_path_factory) -> Session:
    return Session(ENGAGED, 20_000, 3, tmp_path_factory.mktemp("engaged") / "out")


def test_exit_figures_show_their_change_without_a_paired_error(engaged):
    view = engaged.run([Edit(EXIT, "scale", 100.0)])
    shown = {f["key"]: f["vs"] for f in view["figures"] if f["key"] in ("exit_share",
                                                                        "years_run")}
    assert list(shown) == ["exit_share", "years_run"]
    assert [("paired" in v, v.startswith("vs baseline: ")) for v in shown.values()] == [
        (False, True), (False, True)]


def test_report_through_the_api_writes_the_results_folder(engaged):
    app = serve_app.create_app(engaged)
    with TestClient(app, base_url="http://127.0.0.1:8765") as c:
        r = c.post("/api/report", json={"edits": [{"target": EXIT, "op": "scale",
                                                   "value": 100}], "name": "exit-twice"})
    folder = engaged.out / "exit-twice"
    summary = json.loads((folder / "summary.json").read_text())
    shown = engaged.run([Edit(EXIT, "scale", 100.0)])["raw"]["mean"]
    assert (r.json(), summary["net_savings"]["mean"], (folder / "report.html").is_file()) == (
        {"status": "ok", "path": str(folder)}, shown, True)
