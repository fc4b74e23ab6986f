"""Fixtures shared by the test files: the data folder, small scenario files written to a
temporary folder, and the ``kposim`` command run in process."""
from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parent.parent

#: A risk whose losses overflow double precision in every trial that has one (e^700 and up).
#: Validation refuses it (its totals could pass MAX_TRIAL_AMOUNT); the ``overflowing``
#: fixture lifts that bound so the run itself meets the overflow.
OVERFLOWING_RISK = '''
[[risks]]
name = "Overflowing loss"
category = "other"
frequency = { dist = "poisson", mean = 5 }
severity = { dist = "lognormal", mu = 700.0, sigma = 3.0 }
'''


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def kposim(runner: CliRunner) -> Callable[..., Result]:
    """``kposim(*args)``: the command run in process (arguments made strings)."""
    from simulator.cli import main

    def invoke(*args: object, **kwargs: object) -> Result:
        return runner.invoke(main, [str(a) for a in args], prog_name="kposim", **kwargs)

    return invoke


@pytest.fixture
def write_scenario(tmp_path: Path) -> Callable[..., Path]:
    """``write_scenario(name, base=minimal.toml, extra="", replace={})``: a copy of a scenario
    file in the test's folder, with text replaced and TOML appended.
    """
    def write(name: str = "manila.toml", base: Path = DATA / "minimal.toml", extra: str = "",
              replace: dict[str, str] | None = None) -> Path:
        text = base.read_text(encoding="utf-8")
        for old, new in (replace or {}).items():
            assert old in text, old
            text = text.replace(old, new)
        path = tmp_path / name
        path.write_text(text + extra, encoding="utf-8")
        return path

    return write


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    """tests/data/minimal.toml copied to the test's folder as manila.toml."""
    path = tmp_path / "manila.toml"
    shutil.copy(DATA / "minimal.toml", path)
    return path


@pytest.fixture
def overflowing(write_scenario: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
                ) -> Callable[..., Path]:
    """``overflowing(name, base=minimal.toml)``: a scenario whose losses overflow at run
    time (validation's bound on a trial's totals lifted for this test only).
    """
    monkeypatch.setattr("simulator.scenario.model.MAX_TRIAL_AMOUNT", float("inf"))

    def write(name: str = "overflow.toml", base: Path = DATA / "minimal.toml") -> Path:
        return write_scenario(name, base=base, extra=OVERFLOWING_RISK)

    return write
