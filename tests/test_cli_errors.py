"""Every command's one error path: a bad input, or a result that is not finite, exits 2 with
exactly one line on stderr naming the file (and the field), and writes nothing."""
from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parent.parent
BAD = ROOT / "tests" / "invalid" / "negative_fte_constant.toml"
EXPECTED_BAD = f"error: {BAD}: line 9: workforce.onshore_fte: must be >= 0 (got -10)"
DECIDE = ROOT / "docs" / "examples" / "decide.toml"


def one_error_line(res) -> str:
    """The only line on stderr, after checking exit code 2 and that nothing else was said."""
    assert res.exit_code == 2, (res.exit_code, res.output)
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, res.stderr
    assert "Traceback" not in res.output
    return lines[0]


#: command -> its arguments around a bad scenario file (``S``), with ``-o OUT`` where it writes.
SCENARIO_COMMANDS = {
    "run": ["run", "S", "-n", 1000, "-o", "OUT"],
    "sensitivity": ["sensitivity", "S", "-n", 1000, "-o", "OUT"],
    "sweep": ["sweep", "S", "--param", "workforce.offshore_fte=20:24:2", "-n", 1000, "-o", "OUT"],
    "breakeven": ["breakeven", "S", "--param", "workforce.offshore_fte", "--target", "mean=0",
                  "-n", 1000, "-o", "OUT"],
    "compare": ["compare", "S", DATA / "minimal.toml", "-n", 1000, "-o", "OUT"],
    "optimize": ["optimize", "S", "-n", 1000, "-o", "OUT"],
    "voi": ["voi", "S", "-n", 1000, "-o", "OUT"],  # with a [pilot], its value too
    "validate": ["validate", "S"],
    "serve": ["serve", "S", "--port", 0, "-o", "OUT"],
}


def _args(command: str, scenario: Path, out: Path) -> list:
    return [scenario if a == "S" else out if a == "OUT" else a
            for a in SCENARIO_COMMANDS[command]]


@pytest.mark.parametrize("command", list(SCENARIO_COMMANDS))
def test_a_bad_scenario_exits_2_with_one_line_naming_the_file_and_field(command, kposim,
                                                                       tmp_path):
    if command == "serve":
        pytest.importorskip("starlette")
    res = kposim(*_args(command, BAD, tmp_path / "out"))
    assert one_error_line(res) == EXPECTED_BAD
    assert not (tmp_path / "out").exists()


def test_report_of_a_folder_without_results_exits_2_naming_it(kposim, tmp_path):
    assert one_error_line(kposim("report", tmp_path)).startswith(f"error: {tmp_path}: ")


def test_fit_of_a_cell_that_is_not_a_number_exits_2_naming_file_line_and_column(kposim,
                                                                                tmp_path):
    data = tmp_path / "losses.csv"
    data.write_text("loss\n" + "\n".join(str(1000 + 37 * i) for i in range(20)) + "\nlots\n")
    res = kposim("fit", data, "-b", 0, "-o", tmp_path / "out")
    assert one_error_line(res) == (f"error: {data}:22: 'lots' in column 'loss' is not a finite "
                                   "number")
    assert not (tmp_path / "out").exists()


def test_fit_of_a_value_a_named_family_cannot_take_names_its_line(kposim, tmp_path):
    data = tmp_path / "losses.csv"
    data.write_text("loss\n" + "\n".join(str(1000 + 37 * i) for i in range(20)) + "\n-5\n")
    res = kposim("fit", data, "--dist", "lognormal", "-b", 0, "-o", tmp_path / "out")
    assert one_error_line(res).startswith(f"error: {data}:22: -5 cannot be fitted by lognormal")


def test_elicit_of_a_bad_experts_file_exits_2_naming_it(kposim, tmp_path):
    experts = tmp_path / "experts.toml"
    experts.write_text('[[experts]]\nname = "A"\nlow = 10\nhigh = 1\n')
    assert one_error_line(kposim("elicit", experts)).startswith(f"error: {experts}")


def test_schema_with_an_unknown_option_exits_2_naming_it(kposim):
    assert one_error_line(kposim("schema", "--bogus")) == (
        "error: kposim schema: No such option '--bogus'. (see kposim schema --help)")


# --- results that are not finite -------------------------------------------------------------

#: The simulating commands; optimize needs controls to choose from (the worked example's).
SIMULATING = ["run", "sensitivity", "sweep", "breakeven", "compare", "optimize", "voi"]


@pytest.mark.parametrize("command", SIMULATING)
def test_losses_that_overflow_exit_2_with_one_line(command, kposim, overflowing, tmp_path):
    scenario = overflowing(base=DECIDE if command == "optimize" else DATA / "minimal.toml")
    res = kposim(*_args(command, scenario, tmp_path / "out"), "-n", 2000)
    line = one_error_line(res)
    assert line.startswith("error: ") and ("overflowed" in line or "not finite" in line), line
    assert not (tmp_path / "out").exists() or not any(
        p.name != "overflow" for p in (tmp_path / "out").iterdir())


def test_a_breakeven_whose_answer_is_not_finite_exits_2_naming_it(kposim, scenario,
                                                                  monkeypatch):
    import simulator.analysis.sweep as sweep_module

    real = sweep_module.breakeven

    def not_finite(*args, **kwargs):
        return {**real(*args, **kwargs), "breakeven": float("inf")}

    monkeypatch.setattr(sweep_module, "breakeven", not_finite)
    res = kposim(*_args("breakeven", scenario, scenario.parent / "out")[:-2], "-n", 1000)
    assert one_error_line(res) == (f"error: {scenario}: the results are not finite "
                                   "(result.breakeven): an input's range is too wide for double "
                                   "precision; narrow it or cap the loss")
