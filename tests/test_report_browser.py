"""The decision report opened in a real browser (headless Chromium).

How: the test starts ``chromium --headless ... --remote-debugging-pipe`` and speaks the Chrome
DevTools Protocol to it over the two pipes Chromium reads and writes (file descriptors 3 and 4;
JSON messages ending in a NUL byte). That needs nothing beyond the standard library, keeps the
report free of scripts (the checks are evaluated by the test, from outside the page), and lets
the test observe what a command-line screenshot cannot: every console message, uncaught
exception and log entry (a broken image is logged as a failed load), every network request the
page makes, and each image's natural size once the page has loaded.

Skipped, with the reason, when no ``chromium`` or ``chromium-browser`` is on PATH
(``.ci/run`` installs it).
"""
from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from simulator import load_scenario, parse_scenario, simulate
from simulator.analysis.compare import compare
from simulator.output.comparison import write_comparison
from simulator.output.write import write_results
from simulator.present.formatting import format_money, format_percent
from simulator.present.report.compare import compare_sentence, dominance_sentence

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(BROWSER is None, reason="headless Chromium not installed (no "
                                "chromium or chromium-browser on PATH; .ci/run installs it)")

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--remote-debugging-pipe")
TIMEOUT = 60.0  #: seconds for any one reply from the browser


class DevTools:
    """A minimal Chrome DevTools Protocol client over ``--remote-debugging-pipe``."""

    def __init__(self, executable: str, profile: Path, log: Path) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # The browser's ends, above 10 so moving them to 3 and 4 in the child cannot clobber.
        ends = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_browser_r,
                                                                       from_browser_w)]
        os.close(to_browser_r)
        os.close(from_browser_w)

        def wire_pipes() -> None:  # in the child: fd 3 = commands in, fd 4 = replies out
            os.dup2(ends[0], 3)
            os.dup2(ends[1], 4)

        self._log = open(log, "wb")
        self.proc = subprocess.Popen([executable, *FLAGS, f"--user-data-dir={profile}",
                                      "about:blank"], stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=self._log, close_fds=False,
                                     preexec_fn=wire_pipes)
        for fd in ends:
            os.close(fd)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, session: str | None = None, **params) -> dict:
        """Send a command and wait for its reply (events that arrive meanwhile are kept)."""
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self._to_browser, json.dumps(msg).encode() + b"\0")
        while True:
            reply = self._receive()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, event: str) -> dict:
        """Wait until an event named ``event`` has arrived; return it."""
        seen = [e for e in self.events if e.get("method") == event]
        while not seen:
            message = self._receive()
            self.events.append(message)
            if message.get("method") == event:
                return message
        return seen[0]

    def _receive(self) -> dict:
        deadline = time.monotonic() + TIMEOUT
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_browser], [], [], max(left, 0))
            if not ready:
                raise TimeoutError("no reply from the browser")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise ConnectionError("the browser closed the pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (OSError, RuntimeError, TimeoutError, ConnectionError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        self._log.close()


def open_page(page: Path, tmp: Path) -> dict:
    """Open ``page`` in headless Chromium and record what happened: every event (console,
    exceptions, log, network), each image's natural size once decoded, the page's text and a
    screenshot."""
    browser = DevTools(BROWSER, tmp / "profile", tmp / "chromium.log")
    try:
        target = browser.send("Target.createTarget", url="about:blank")["targetId"]
        session = browser.send("Target.attachToTarget", targetId=target,
                               flatten=True)["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            browser.send(f"{domain}.enable", session)
        browser.send("Emulation.setDeviceMetricsOverride", session, width=1400, height=2000,
                     deviceScaleFactor=1, mobile=False)
        browser.send("Page.navigate", session, url=page.as_uri())
        browser.wait_for("Page.loadEventFired")

        def evaluate(expression: str):
            reply = browser.send("Runtime.evaluate", session, expression=expression,
                                 returnByValue=True, awaitPromise=True)
            return reply["result"]["value"]

        # Decoded, as shown: wait for every image to finish decoding before measuring.
        images = evaluate("Promise.all([...document.images].map(i => i.decode().then("
                          "() => null, () => null))).then(() => [...document.images].map("
                          "i => [i.naturalWidth, i.naturalHeight, i.alt]))")
        text = evaluate("document.body.innerText")
        shot = tmp / "report.png"
        shot.write_bytes(base64.b64decode(
            browser.send("Page.captureScreenshot", session, format="png")["data"]))
    finally:
        browser.close()
    return {"page": page, "images": images, "text": text, "screenshot": shot,
            "events": browser.events}


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    """Run a small scenario, open its report.html in Chromium, and record what happened."""
    tmp = tmp_path_factory.mktemp("browser")
    data = Path(__file__).parent / "data" / "minimal.toml"
    result = simulate(load_scenario(data), trials=20_000, seed=11)
    folder = tmp / "minimal"
    summary = write_results(result, folder)
    return {"summary": summary, **open_page(folder / "report.html", tmp)}


@pytest.fixture(scope="module")
def compare_report(tmp_path_factory) -> dict:
    """Compare two options (the second 5% dearer, so the first dominates), write the
    comparison, open its report.html in Chromium."""
    tmp = tmp_path_factory.mktemp("browser-compare")
    data = Path(__file__).parent / "data" / "minimal.toml"
    text = data.read_text()
    dearer = text.replace("min = 30_000, mode = 36_000, max = 50_000",
                          "min = 31_500, mode = 37_800, max = 52_500")
    assert dearer != text
    c = compare([load_scenario(data), parse_scenario(dearer, source="dearer.toml")],
                ["Kraków", "Bangalore"], trials=20_000, seed=11)
    summary = write_comparison(c, tmp / "compare")
    return {"summary": summary, **open_page(tmp / "compare" / "report.html", tmp)}


def _events(report: dict, method: str) -> list[dict]:
    return [e["params"] for e in report["events"] if e.get("method") == method]


def test_page_logs_no_console_errors_or_exceptions(report):
    errors = [e for e in _events(report, "Runtime.consoleAPICalled")
              if e["type"] in ("error", "assert")]
    errors += _events(report, "Runtime.exceptionThrown")
    errors += [e for e in _events(report, "Log.entryAdded") if e["entry"]["level"] == "error"]
    assert errors == []


def test_page_requests_nothing_but_itself_and_inline_images(report):
    urls = [e["request"]["url"] for e in _events(report, "Network.requestWillBeSent")]
    assert report["page"].as_uri() in urls
    assert [u for u in urls if u != report["page"].as_uri() and not u.startswith("data:")] == []


def test_every_image_has_a_natural_size(report):
    assert len(report["images"]) >= 5  # distribution, S-curve, waterfall, exceedance, convergence
    assert [alt for w, h, alt in report["images"] if not (w > 0 and h > 0)] == []


def test_key_numbers_from_summary_json_appear_in_the_page_text(report):
    ns, cur = report["summary"]["net_savings"], report["summary"]["currency"]
    # One rounding rule: the same three significant figures in sentence, tiles and table.
    expected = [format_money(ns[k], cur) for k in ("mean", "cvar_5", "p5", "p50", "p95")]
    expected += [format_percent(ns["prob_loss"]), f"{report['summary']['trials']:,}",
                 str(report["summary"]["seed"]),
                 report["summary"]["provenance"]["scenario_sha256"]]
    assert [x for x in expected if x not in report["text"]] == []


def test_screenshot_is_saved_as_a_png(report):
    data = report["screenshot"].read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


# --- the comparison report ----------------------------------------------------------------------

def test_compare_page_logs_no_console_errors_or_exceptions(compare_report):
    test_page_logs_no_console_errors_or_exceptions(compare_report)


def test_compare_page_requests_nothing_but_itself_and_inline_images(compare_report):
    test_page_requests_nothing_but_itself_and_inline_images(compare_report)


def test_compare_page_decodes_every_chart(compare_report):
    # S-curves, waterfalls, one difference chart, loss exceedance, box plot.
    assert len(compare_report["images"]) == 5
    assert [alt for w, h, alt in compare_report["images"] if not (w > 0 and h > 0)] == []


def test_compare_page_states_the_decision_and_the_dominance_verdict(compare_report):
    summary = compare_report["summary"]
    pair = summary["pairs"][0]
    assert pair["dominance"]["verdict"] == "a"
    sentence = dominance_sentence(pair, summary["currency"])
    assert sentence.startswith("Kraków first-order stochastically dominates Bangalore")
    assert sentence in compare_report["text"]
    assert compare_sentence(summary) in compare_report["text"]


# --- scenario-supplied text cannot inject markup or script (issue 14) -----------------------

PAYLOADS = {
    "scenario.name": "<script>window.__kposim_pwned = 'name'</script>",
    "scenario.description": "</p><script>window.__kposim_pwned = 'description'</script>",
    "costs[0].name": '"><img src=x onerror="window.__kposim_pwned = \'cost\'">',
    "risks[0].name": "<svg onload=\"window.__kposim_pwned = 'risk'\"><b>bold</b>",
    "risks[1].name": "' onmouseover='window.__kposim_pwned = 1' x='",
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict:
    """A report of a scenario whose every name carries markup, opened in Chromium."""
    import tomllib

    from simulator import scenario_from_dict

    tmp = tmp_path_factory.mktemp("hostile")
    doc = tomllib.loads((Path(__file__).parent / "data" / "minimal.toml").read_text())
    doc["scenario"]["name"] = PAYLOADS["scenario.name"]
    doc["scenario"]["description"] = PAYLOADS["scenario.description"]
    doc["costs"][0]["name"] = PAYLOADS["costs[0].name"]
    doc["risks"][0]["name"] = PAYLOADS["risks[0].name"]
    doc["risks"][1]["name"] = PAYLOADS["risks[1].name"]
    result = simulate(scenario_from_dict(doc, source="hostile.toml"), trials=5_000, seed=3)
    folder = tmp / "hostile"
    write_results(result, folder)
    page = folder / "report.html"

    browser = DevTools(BROWSER, tmp / "profile", tmp / "chromium.log")
    try:
        target = browser.send("Target.createTarget", url="about:blank")["targetId"]
        session = browser.send("Target.attachToTarget", targetId=target,
                               flatten=True)["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            browser.send(f"{domain}.enable", session)
        browser.send("Page.navigate", session, url=page.as_uri())
        browser.wait_for("Page.loadEventFired")

        def evaluate(expression: str):
            reply = browser.send("Runtime.evaluate", session, expression=expression,
                                 returnByValue=True, awaitPromise=True)
            return reply["result"]["value"]

        found = evaluate("""({
            pwned: typeof window.__kposim_pwned,
            scripts: document.scripts.length,
            handlers: [...document.querySelectorAll('*')].filter(e => [...e.attributes].some(
                a => a.name.startsWith('on'))).map(e => e.outerHTML.slice(0, 80)),
            injected: document.querySelectorAll('body img[src="x"], body svg[onload], b').length,
            text: document.body.innerText})""")
    finally:
        browser.close()
    return {**found, "page": page, "events": browser.events}


def test_hostile_names_run_no_script(hostile):
    assert hostile["pwned"] == "undefined"
    assert hostile["scripts"] == 0


def test_hostile_names_inject_no_element_or_event_handler(hostile):
    assert hostile["handlers"] == []
    assert hostile["injected"] == 0


def test_hostile_names_render_as_their_literal_text(hostile):
    names = [v for k, v in PAYLOADS.items() if k.endswith(".name")]  # descriptions: not shown
    assert [n for n in names if n not in hostile["text"]] == []


def test_hostile_names_make_no_request(hostile):
    urls = [e["params"]["request"]["url"] for e in hostile["events"]
            if e.get("method") == "Network.requestWillBeSent"]
    assert [u for u in urls if u != hostile["page"].as_uri() and not u.startswith("data:")] == []
