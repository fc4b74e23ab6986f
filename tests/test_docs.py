"""The documentation's code runs: every ```python block of docs/python-api.md (in order, in one
namespace, as a reader would paste them), and the >>> examples of docs/distributions.md with
their printed output."""
import doctest
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def python_blocks(path: Path) -> list[tuple[int, str]]:
    """(line number, code) of every ```python fenced block in a Markdown file."""
    text = path.read_text(encoding="utf-8")
    return [(text[:m.start()].count("\n") + 2, m.group(1))
            for m in re.finditer(r"^```python\n(.*?)^```", text, re.S | re.M)]


def test_python_api_guide_runs(monkeypatch, capsys):
    path = DOCS / "python-api.md"
    blocks = python_blocks(path)
    assert len(blocks) >= 8
    monkeypatch.chdir(ROOT)  # the guide's paths are relative to the repository root
    namespace: dict = {"__name__": "__docs__"}
    for line, code in blocks:
        try:
            exec(compile(code, f"{path.name}:{line}", "exec"), namespace)
        except Exception as e:  # name the block, so a failure points at the docs
            pytest.fail(f"the ```python block at {path.name} line {line} fails: "
                        f"{type(e).__name__}: {e}")
    assert "mean effect" in capsys.readouterr().out


def test_distributions_guide_examples():
    result = doctest.testfile(str(DOCS / "distributions.md"), module_relative=False,
                              optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.attempted >= 10
    assert result.failed == 0, "docs/distributions.md has failing >>> examples (see above)"
