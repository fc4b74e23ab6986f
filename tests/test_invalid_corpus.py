"""A corpus of invalid scenario files (tests/invalid/): every one gets exit code 2 and one short
message naming the file, the field path (or line) and what is allowed; nothing is written.

Each file's first line says what its message must contain: ``# expect: <text>``.
"""
import re
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
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert lines[0].startswith(f"error: {path}: ")
    assert expectation(path) in res.output
    assert not out.exists()


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_validate_refuses_each_file_with_one_line_naming_its_line_and_field(path):
    res = CliRunner().invoke(main, ["validate", str(path)])
    assert res.exit_code == 2
    (line,) = res.output.splitlines()
    assert line.startswith(f"error: {path}: line ")
    if path.stem != "wrong_encoding":  # not UTF-8: the whole file is wrong, not one field
        # "line N[, column C]: <field path>: <what is wrong>"
        assert re.match(rf"error: {re.escape(str(path))}: line \d+(, column \d+)?: "
                        r"[a-z_]+(\[\d+\])*(\.[a-z_]+(\[\d+\])*)*: \S", line), line


def test_corpus_covers_every_class_of_bad_input():
    names = {p.stem for p in CORPUS}
    for needed in ("syntax_error", "wrong_type_string", "unknown_key", "missing_required_key",
                   "negative_sd", "empty_values", "duplicate_name", "absurd_horizon",
                   "non_finite_inf", "wrong_encoding",
                   # issue 14: what parsed but made no sense, or crashed a run
                   "negative_fte_constant", "both_fte_zero", "negative_cost_per_fte",
                   "growth_written_as_percent", "growth_of_minus_one", "growth_of_minus_two",
                   "negative_ramp_up", "ramp_up_beyond_horizon", "negative_constant_cost",
                   "negative_constant_severity", "negative_share", "share_above_one",
                   "negative_cap", "end_year_before_start_year",
                   "discrete_weights_sum_above_one", "probability_above_one",
                   "integer_beyond_int64", "name_with_newline", "name_with_nul",
                   "name_with_bidi_override", "look_alike_duplicate_names",
                   "lognormal_sigma_50_severity", "lognormal_sigma_50_cost",
                   "normal_overflowing_every_draw", "too_many_events_per_trial",
                   "unbounded_uncertain_rate", "deeply_nested_array",
                   "deeply_nested_inline_table", "risk_section_typo", "too_many_risks"):
        assert needed in names


@pytest.mark.parametrize("make, expected", [
    (lambda tmp: tmp / "missing.toml", "no such file"),
    (lambda tmp: tmp, "is a directory"),
])
def test_missing_file_or_directory_is_refused(tmp_path, make, expected):
    res = CliRunner().invoke(main, ["validate", str(make(tmp_path))])
    assert res.exit_code == 2 and expected in res.output
