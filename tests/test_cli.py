"""The kposim command: what a finance user sees, exit codes, and what lands on disk."""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from simulator.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run(runner, *args):
    return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_run_writes_summary_and_charts(runner, scenario, tmp_path):
    out = tmp_path / "results"
    res = run(runner, "run", scenario, "--trials", 20_000, "--seed", 5, "--out", out)
    assert res.exit_code == 0, res.output
    folder = out / "manila"
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["trials"] == 20_000 and summary["seed"] == 5
    assert set(summary["net_savings"]) >= {"mean", "std", "stderr", "p5", "p10", "p25", "p50",
                                           "p75", "p90", "p95", "min", "max", "prob_loss",
                                           "cvar_5"}
    assert summary["provenance"]["chunk_size"] > 0
    for stem in ("net_savings_distribution", "s_curve", "waterfall", "loss_exceedance"):
        assert (folder / f"{stem}.png").stat().st_size > 0
    assert (folder / "report.html").stat().st_size > 0
    assert "Expected net savings" in res.output


def test_run_writes_png_charts_and_the_html_report_by_default(runner, scenario, tmp_path):
    assert run(runner, "run", scenario, "-n", 2000, "-o", tmp_path, "-q").exit_code == 0
    folder = tmp_path / "manila"
    assert not list(folder.glob("*.svg")) and not (folder / "report.pdf").exists()
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert page.count('src="data:image/png;base64,') == 5  # every chart, inlined


def test_formats_add_svg_charts_and_the_pdf_report(runner, scenario, tmp_path):
    res = run(runner, "run", scenario, "-n", 2000, "-o", tmp_path, "-q",
              "--formats", "svg,pdf,png")
    assert res.exit_code == 0, res.output
    folder = tmp_path / "manila"
    assert len(list(folder.glob("*.svg"))) == len(list(folder.glob("*.png"))) == 5
    assert (folder / "report.pdf").stat().st_size > 0
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert page.count('src="data:image/svg+xml;base64,') == 5  # SVG preferred when written


def test_run_refuses_to_overwrite_without_force(runner, scenario, tmp_path):
    out = tmp_path / "results"
    assert run(runner, "run", scenario, "-n", 1000, "-o", out, "-q").exit_code == 0
    before = (out / "manila" / "summary.json").read_text()
    res = run(runner, "run", scenario, "-n", 2000, "-o", out, "-q")
    assert res.exit_code == 2
    assert "already exists" in res.output and "--force" in res.output
    assert (out / "manila" / "summary.json").read_text() == before
    assert run(runner, "run", scenario, "-n", 2000, "-o", out, "-q", "--force").exit_code == 0
    assert json.loads((out / "manila" / "summary.json").read_text())["trials"] == 2000


def test_same_seed_same_summary_whatever_the_threads(runner, scenario, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    run(runner, "run", scenario, "-n", 70_000, "-o", a, "-q", "--threads", 1)
    run(runner, "run", scenario, "-n", 70_000, "-o", b, "-q", "--threads", 2)
    sa = json.loads((a / "manila" / "summary.json").read_text())
    sb = json.loads((b / "manila" / "summary.json").read_text())
    assert sa["net_savings"] == sb["net_savings"] and sa["components"] == sb["components"]


def test_bad_scenario_exits_2_with_the_field_path_and_writes_nothing(runner, scenario, tmp_path):
    scenario.write_text(scenario.read_text().replace("sd = 8_000", "sd = -8_000"))
    out = tmp_path / "results"
    res = run(runner, "run", scenario, "-o", out)
    assert res.exit_code == 2
    assert "workforce.onshore_cost_per_fte.sd" in res.output
    assert not out.exists()


@pytest.mark.parametrize("args, expected", [
    (["--trials", "0"], "--trials"),
    (["--trials", "many"], "--trials"),
    (["--seed", "-1"], "--seed"),
    (["--threads", "0"], "--threads"),
    (["--formats", "png,jpeg"], "--formats: unknown format 'jpeg'; choose from png, svg, pdf"),
    (["--formats", ","], "--formats: no format given"),
])
def test_bad_options_exit_2(runner, scenario, tmp_path, args, expected):
    res = run(runner, "run", scenario, "-o", tmp_path / "r", *args)
    assert res.exit_code == 2 and expected in res.output


def test_validate_reports_each_file(runner, scenario, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[scenario]\nname = 'x'\n")
    res = run(runner, "validate", scenario, bad)
    assert res.exit_code == 2
    assert "ok: " in res.output and "bad.toml: line 1: scenario.horizon_years" in res.output


def test_validate_accepts_good_files(runner, scenario):
    res = run(runner, "validate", scenario)
    assert res.exit_code == 0 and "ok:" in res.output


def test_command_line_errors_have_no_traceback(tmp_path):
    env = dict(os.environ)
    res = subprocess.run([sys.executable, "-m", "simulator.cli", "run", str(tmp_path / "x.toml"),
                          "-o", str(tmp_path / "r")], capture_output=True, text=True, env=env)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert res.stderr.strip() == f"error: {tmp_path / 'x.toml'}: no such file"


def test_precision_target_stops_early_and_is_reported(runner, scenario, tmp_path):
    out = tmp_path / "r"
    res = run(runner, "run", scenario, "-n", 5_000_000, "-o", out, "--precision", "1%")
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "manila" / "summary.json").read_text())
    assert summary["precision"]["met"] and summary["trials"] < 5_000_000
    assert "precision target 1% of the mean: met" in res.output


def test_streaming_statistics_are_recorded_in_provenance(runner, scenario, tmp_path):
    out = tmp_path / "r"
    res = run(runner, "run", scenario, "-n", 100_000, "-o", out, "-q", "--statistics", "streaming")
    assert res.exit_code == 0
    summary = json.loads((out / "manila" / "summary.json").read_text())
    assert summary["provenance"]["statistics"] == "streaming"


@pytest.mark.parametrize("value", ["0%", "lots", "-1"])
def test_bad_precision_exits_2(runner, scenario, tmp_path, value):
    res = run(runner, "run", scenario, "-o", tmp_path / "r", "--precision", value)
    assert res.exit_code == 2 and "--precision" in res.output
    assert not (tmp_path / "r").exists()


#: ``kposim run`` in a child process, saying "running" on its first progress of the run: the
#: test waits for that line instead of guessing how long imports and kernel loading take.
SAY_WHEN_RUNNING = textwrap.dedent("""
    import sys
    import simulator.engine.run as engine
    real = engine.simulate
    def simulate(*args, progress=None, **kwargs):
        said = []
        def step(k):
            if not said:
                print("running", flush=True)
                said.append(True)
            if progress is not None:
                progress(k)
        return real(*args, progress=step, **kwargs)
    engine.simulate = simulate
    sys.argv = ["kposim", "run", *sys.argv[1:]]
    from simulator.__main__ import main
    main()
""")


def test_ctrl_c_during_a_run_exits_130_and_writes_nothing(tmp_path, data_dir):
    import signal
    import threading

    out = tmp_path / "r"
    proc = subprocess.Popen([sys.executable, "-c", SAY_WHEN_RUNNING,
                             str(data_dir / "minimal.toml"), "-n", "400000000", "-o", str(out),
                             "--statistics", "streaming"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()),
                                  daemon=True)
        reader.start()
        reader.join(timeout=600)  # imports, kernel loading (or compiling), then the first chunks
        assert line == ["running\n"], proc.poll()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)  # generous: the machine may be busy
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1].startswith("interrupted: no results written")
    assert not out.exists() or not any(out.iterdir())


def test_results_folder_gets_the_usual_permissions(runner, scenario, tmp_path):
    import stat

    out = tmp_path / "r"
    assert run(runner, "run", scenario, "-n", 1000, "-o", out, "-q").exit_code == 0
    mode = stat.S_IMODE((out / "manila").stat().st_mode)
    mask = os.umask(0)
    os.umask(mask)
    assert mode == 0o777 & ~mask


CORRELATED = '''
[[correlations]]
inputs = ["workforce.offshore_cost_growth", "workforce.ramp_up_months",
          'costs["Transition and knowledge transfer"].amount']
rank = [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]
'''


def test_run_with_latin_hypercube_records_the_design(runner, scenario, tmp_path):
    res = run(runner, "run", scenario, "--trials", 70_000, "--sampling", "lhs", "--out",
              tmp_path / "r", "--quiet")
    assert res.exit_code == 0, res.output
    summary = json.loads((tmp_path / "r" / "manila" / "summary.json").read_text())
    assert summary["provenance"]["sampling"] == "lhs"


def test_impossible_correlations_are_repaired_with_a_warning(runner, scenario, tmp_path):
    scenario.write_text(scenario.read_text() + CORRELATED)
    res = run(runner, "validate", scenario)
    assert res.exit_code == 0
    assert "nearest valid one" in res.output and "3 correlated inputs" in res.output


def test_strict_refuses_impossible_correlations_with_exit_2(runner, scenario, tmp_path):
    scenario.write_text(scenario.read_text() + CORRELATED)
    res = run(runner, "run", scenario, "--strict", "--out", tmp_path / "r", "--trials", 1000)
    assert res.exit_code == 2
    assert "correlations: the declared rank correlations are not a valid" in res.output
    assert "Traceback" not in res.output and not (tmp_path / "r").exists()
    assert run(runner, "validate", "--strict", scenario).exit_code == 2


@pytest.mark.parametrize("command", [["sensitivity"], ["sweep", "--param",
                                                       "workforce.offshore_fte=20:24:2"],
                                     ["breakeven", "--param", "workforce.offshore_fte",
                                      "--target", "mean=0"]])
def test_strict_refuses_impossible_correlations_in_every_analysis(runner, scenario, tmp_path,
                                                                  command):
    scenario.write_text(scenario.read_text() + CORRELATED)
    res = run(runner, command[0], scenario, *command[1:], "--strict", "--trials", 1000)
    assert res.exit_code == 2 and "not a valid correlation matrix" in res.output


def test_compare_strict_names_the_file_with_impossible_correlations(runner, scenario, tmp_path,
                                                                    data_dir):
    scenario.write_text(scenario.read_text() + CORRELATED)
    res = run(runner, "compare", data_dir / "minimal.toml", scenario, "--strict", "--out",
              tmp_path / "c", "--trials", 1000)
    assert res.exit_code == 2 and str(scenario) in res.output
    assert not (tmp_path / "c").exists()
