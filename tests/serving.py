"""Helpers for the tests and benchmark of ``kposim serve``: start the server as a user would
(``python -m simulator.cli serve ... --port 0``, on loopback), and drive its page in headless
Chromium with the DevTools client of ``test_report_browser``.

Everything is bounded in time: the server must print its address within
:data:`START_TIMEOUT` seconds, every browser reply comes within ``TIMEOUT``, and the server
is stopped (interrupt, then kill) however a test ends.
"""
from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from test_report_browser import BROWSER, DevTools  # noqa: F401 (re-exported)

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 180.0  #: seconds: imports, the kernels (compiled on a cold cache) and the baseline
ADDRESS = re.compile(r"http://127\.0\.0\.1:(\d+)/")


@contextmanager
def server(scenario: Path, out: Path, trials: int, seed: int, *extra: str):
    """A ``kposim serve`` process on a free loopback port; yields (process, base URL)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(
        os.pathsep)
    cmd = [sys.executable, "-m", "simulator.cli", "serve", str(Path(scenario).resolve()),
           "--port", "0",
           "--trials", str(trials), "--seed", str(seed), "--out", str(out), *extra]
    errors = tempfile.TemporaryFile()  # a file, not a pipe: a chatty server never blocks
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors, env=env,
                            cwd=out.parent)
    proc.errors = errors
    try:
        url = _address(proc)
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        errors.seek(0)
        proc.stderr_text = errors.read().decode(errors="replace")
        proc.stdout.close()
        errors.close()


def _address(proc: subprocess.Popen) -> str:
    deadline = time.monotonic() + START_TIMEOUT
    line = b""
    while b"\n" not in line:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([proc.stdout], [], [], max(left, 0))
        if not ready:
            raise TimeoutError("kposim serve printed no address in time")
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            proc.wait(timeout=10)
            proc.errors.seek(0)
            raise RuntimeError("kposim serve exited: "
                               + proc.errors.read().decode(errors="replace")[-2000:])
        line += chunk
    m = ADDRESS.search(line.decode())
    if m is None:
        raise RuntimeError(f"unexpected first line from kposim serve: {line!r}")
    return f"http://127.0.0.1:{m.group(1)}/"


class Page:
    """One browser tab on the served page."""

    def __init__(self, browser: DevTools, url: str) -> None:
        self.browser = browser
        target = browser.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = browser.send("Target.attachToTarget", targetId=target,
                                    flatten=True)["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            browser.send(f"{domain}.enable", self.session)
        browser.send("Emulation.setDeviceMetricsOverride", self.session, width=1400,
                     height=1000, deviceScaleFactor=1, mobile=False)
        browser.send("Page.navigate", self.session, url=url)
        self.evaluate("new Promise(r => document.body && document.body.dataset.ready ? r(1) : "
                      "document.addEventListener('kposim:ready', () => r(1)))")

    def evaluate(self, expression: str):
        reply = self.browser.send("Runtime.evaluate", self.session, expression=expression,
                                  returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in reply:
            raise RuntimeError(json.dumps(reply["exceptionDetails"])[:2000])
        return reply["result"].get("value")

    def key(self, key: str, code: str, key_code: int) -> None:
        """Press and release a key on the focused element."""
        for kind in ("keyDown", "keyUp"):
            self.browser.send("Input.dispatchKeyEvent", self.session, type=kind, key=key,
                              code=code, windowsVirtualKeyCode=key_code,
                              nativeVirtualKeyCode=key_code)

    def settled(self) -> dict:
        """Wait until the newest request's results are drawn; the page's last response."""
        return self.evaluate(
            "new Promise(resolve => { const k = window.kposim; const check = () => "
            "(k.inflight === 0 && !k.again && k.drawn === k.seq && "
            "document.body.dataset.drawn === String(k.seq)) ? resolve(k.last) : "
            "setTimeout(check, 10); check(); })")

    def slider(self, target: str) -> str:
        """A script expression for the slider of ``target``."""
        return ("document.querySelector('input[data-slider=\"' + "
                f"CSS.escape({json.dumps(target)}) + '\"]')")

    def release_slider(self, target: str, value: float,
                       events: tuple[str, ...] = ("input", "change")) -> dict:
        """Set a slider as a drag would leave it and fire ``events`` (a drag's last input,
        then the release's change); resolve once the page is redrawn for the last request;
        returns the page's response."""
        fire = "".join(f"s.dispatchEvent(new Event({json.dumps(e)})); " for e in events)
        return self.evaluate(
            f"new Promise(resolve => {{ const s = {self.slider(target)}; "
            f"s.value = {json.dumps(value)}; {fire}const seq = window.kposim.seq; "
            "const done = e => { if (e.detail.seq === seq) { "
            "document.removeEventListener('kposim:drawn', done); "
            "resolve(window.kposim.last); } }; "
            "document.addEventListener('kposim:drawn', done); })")

    def events(self, method: str) -> list[dict]:
        return [e["params"] for e in self.browser.events if e.get("method") == method
                and e.get("sessionId") == self.session]
