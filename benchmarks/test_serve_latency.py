"""Latency of ``kposim serve``: from a slider's release to the page redrawn with the new run.

Starts ``kposim serve`` on the Manila example (200,000 trials, the issue's setting) on a free
loopback port, opens the page in headless Chromium, and times, per round, the page script
that sets a slider to a new value and fires its ``change`` event (the release) until the
page has drawn that run's figures and charts and reached its next animation frame (the
``kposim:drawn`` event). Each round uses a value not used before, so no run is a repeat.

Two sliders: the offshore cost per FTE (an input drawn once per trial: only it is compiled
again) and the breach rate (a risk: the whole scenario is compiled again). The server's own
breakdown (validate, compile, simulate, statistics) is kept in ``extra_info``.

Run: ``pytest benchmarks/test_serve_latency.py --benchmark-only`` (needs Chromium).
"""
from __future__ import annotations

import statistics
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from serving import BROWSER, DevTools, Page, server  # noqa: E402

pytestmark = pytest.mark.skipif(BROWSER is None, reason="headless Chromium not installed")

SCENARIO = ROOT / "scenarios" / "manila_financial_research.toml"
TRIALS = 200_000
ROUNDS = 15


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve-bench")
    with server(SCENARIO, tmp / "out", TRIALS, 20_260_101) as (_, url):
        browser = DevTools(BROWSER, tmp / "profile", tmp / "chromium.log")
        try:
            yield Page(browser, url)
        finally:
            browser.close()


@pytest.mark.parametrize("target", ["workforce.offshore_cost_per_fte",
                                    'risks["Client data breach at the provider"].frequency'],
                         ids=["offshore-cost", "breach-rate"])
def test_slider_release_to_redraw(benchmark, page, target):
    values = iter(range(1, 1000))
    timings: list[dict] = []

    def release() -> None:
        view = page.release_slider(target, next(values), events=("change",))
        assert view["status"] == "ok"
        timings.append(view["timings"])

    for _ in range(2):  # warm up: the first runs of a slider load what they need
        release()
    timings.clear()
    benchmark.pedantic(release, rounds=ROUNDS, iterations=1)
    benchmark.extra_info["trials"] = TRIALS
    benchmark.extra_info["server_median_ms"] = {
        k: statistics.median(t[k] for t in timings) for k in timings[0]}
