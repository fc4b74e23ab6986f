"""A corpus of invalid scenario files (tests/invalid/): every one gets exit code 2 and one short
message naming the file, the field path (or line) and what is allowed; nothing is written.

Each file's first line says what its message must contain: ``# expect: <text>``.
"""
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.cli import main

CORPUS = sorted((Path(__file__).parent / "invalid").glob("*.toml"))


def expectation(path: Path) -> str:
    raw = path.read_bytes()
    text = raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode()
    first = text.splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name} has no expectation line"
    return first.removeprefix("# expect: ")


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_invalid_file_is_refused_with_a_clear_message(path, tmp_path):
    out = tmp_path / "results"
    res = CliRunner().invoke(main, ["run", str(path), "--out", str(out), "-n", "1000"])
    assert res.exit_code == 2
    assert "Traceback" not in res.output
    lines = [l for l in res.output.splitlines() if l.strip()]
    assert lines[0].startswith(f"error: {path}: ")
    assert expectation(path) in res.output
    assert not out.exists()


def test_corpus_covers_every_class_of_bad_input():
    names = {p.stem for p in CORPUS}
    for needed in ("syntax_error", "wrong_type_string", "unknown_key", "missing_required_key",
                   "negative_sd", "empty_values", "duplicate_name", "absurd_horizon",
                   "non_finite_inf", "wrong_encoding"):
        assert needed in names


@pytest.mark.parametrize("make, expected", [
    (lambda tmp: tmp / "missing.toml", "no such file"),
    (lambda tmp: tmp, "is a directory"),
])
def test_missing_file_or_directory_is_refused(tmp_path, make, expected):
    res = CliRunner().invoke(main, ["validate", str(make(tmp_path))])
    assert res.exit_code == 2 and expected in res.output
