"""Runs on a Dask cluster against the same runs computed locally: equal bit for bit.

One LocalCluster of two single-threaded worker processes serves the whole module. Its tasks
are made small (two chunks) so that even these short runs are split over several tasks that
finish out of order.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("distributed", reason="Dask is not installed: pip install 'kposim[dask]'")

from click.testing import CliRunner  # noqa: E402

from simulator import load_scenario, simulate  # noqa: E402
from simulator.analysis.compare import compare  # noqa: E402
from simulator.analysis.sensitivity import tornado  # noqa: E402
from simulator.analysis.sweep import Axis, sweep  # noqa: E402
from simulator.cli import main  # noqa: E402
from simulator.engine.cluster import ClusterError, ClusterSpec, connect  # noqa: E402
from simulator.engine.run import CHUNK_SIZE, Precision  # noqa: E402
from simulator.results.stats import summarize  # noqa: E402
from simulator.scenario.variants import with_value  # noqa: E402

TRIALS = 6 * CHUNK_SIZE - 1000  # six chunks, the last one short


@pytest.fixture(scope="module")
def backend():
    with connect("local:2") as b:
        b.chunks_per_task = 2
        yield b


@pytest.fixture(scope="module")
def scenario(request):
    from pathlib import Path

    return load_scenario(Path(__file__).parent / "data" / "minimal.toml")


def summary(result) -> dict:
    s = summarize(result)
    s["provenance"].pop("created")
    return s


def assert_same_stream(a, b) -> None:
    assert a.trials == b.trials
    assert np.array_equal(a.chunk_moments, b.chunk_moments)
    assert all(np.array_equal(x, y) for x, y in zip(a.stream.counts, b.stream.counts, strict=False))
    assert np.array_equal(a.stream.log_counts, b.stream.log_counts)
    assert np.array_equal(a.stream.totals, b.stream.totals)
    assert summary(a) == summary(b)


@pytest.mark.parametrize("sampling", ["mc", "lhs"])
def test_streamed_run_is_bit_identical_to_a_local_run(backend, scenario, sampling):
    local = simulate(scenario, trials=TRIALS, seed=11, store_trials=False, sampling=sampling)
    remote = simulate(scenario, trials=TRIALS, seed=11, store_trials=False, sampling=sampling,
                      backend=backend)
    assert_same_stream(remote, local)


def test_stored_run_returns_the_very_same_trials(backend, scenario):
    local = simulate(scenario, trials=TRIALS, seed=12, keep_inputs=True)
    remote = simulate(scenario, trials=TRIALS, seed=12, keep_inputs=True, backend=backend)
    assert remote.stored
    assert np.array_equal(remote.net_savings, local.net_savings)
    assert np.array_equal(remote.component_totals, local.component_totals)
    assert np.array_equal(remote.inputs, local.inputs)
    assert summary(remote) == summary(local)


def test_precision_target_stops_at_the_same_chunk(backend, scenario):
    # A target first met after the second batch of chunks: just above the half-width there.
    probe = simulate(scenario, trials=16 * CHUNK_SIZE, seed=13, store_trials=False)
    m = probe.chunk_moments
    n, s, ss = m[:, 0].sum(), m[:, 1].sum(), m[:, 2].sum()
    half = 1.96 * np.sqrt((ss - s * s / n) / (n - 1) / n)
    target = Precision(relative=1.001 * half / abs(probe.moment_shift + s / n))
    local = simulate(scenario, trials=40 * CHUNK_SIZE, seed=13, store_trials=False,
                     precision=target)
    remote = simulate(scenario, trials=40 * CHUNK_SIZE, seed=13, store_trials=False,
                      precision=target, backend=backend)
    assert local.trials == 16 * CHUNK_SIZE and local.precision["met"]
    assert_same_stream(remote, local)
    assert remote.precision == local.precision


def test_progress_counts_every_trial(backend, scenario):
    seen = []
    simulate(scenario, trials=TRIALS, seed=14, store_trials=False, backend=backend,
             progress=seen.append)
    assert sum(seen) == TRIALS and len(seen) == 1 + 3  # the pilot chunk, then each task


def test_sweep_over_the_cluster_matches_the_local_sweep(backend, scenario):
    axes = [Axis.parse("workforce.offshore_fte=20:28:3")]
    local = sweep(scenario, axes, trials=3 * CHUNK_SIZE, seed=15)
    remote = sweep(scenario, axes, trials=3 * CHUNK_SIZE, seed=15, backend=backend)
    assert remote == local


def test_tornado_over_the_cluster_matches_the_local_tornado(backend, scenario):
    local = tornado(scenario, trials=2 * CHUNK_SIZE, seed=16)
    remote = tornado(scenario, trials=2 * CHUNK_SIZE, seed=16, backend=backend)
    assert remote == local


def test_compare_over_the_cluster_keeps_the_same_trials(backend, scenario):
    other = with_value(scenario, "workforce.offshore_fte", 30.0)
    local = compare([scenario, other], ["a", "b"], trials=3 * CHUNK_SIZE - 5, seed=17)
    remote = compare([scenario, other], ["a", "b"], trials=3 * CHUNK_SIZE - 5, seed=17,
                     backend=backend)
    for x, y in zip(remote.results, local.results, strict=False):
        assert np.array_equal(x.net_savings, y.net_savings)
        assert np.array_equal(x.component_totals, y.component_totals)


def _fault(marker: str, how: str):
    """Functions that make the workers' next task fail once, cluster-wide (``how``: "raise"
    an error, or "exit" the worker process), and that undo it. Defined here, in a function,
    so that they are shipped to the workers by value."""
    def install() -> None:
        import simulator.engine.cluster as c

        original = c.chunk_partials

        def faulty(job, chunks, *args, **kwargs):
            try:
                os.close(os.open(marker, os.O_CREAT | os.O_EXCL))  # only the first task
            except FileExistsError:
                return original(job, chunks, *args, **kwargs)
            if how == "exit":
                os._exit(1)
            raise RuntimeError("injected fault")

        c._original_chunk_partials, c.chunk_partials = original, faulty

    def remove() -> None:
        import simulator.engine.cluster as c

        c.chunk_partials = getattr(c, "_original_chunk_partials", c.chunk_partials)

    return install, remove


@pytest.mark.parametrize("how", ["raise", "exit"])
def test_a_failed_task_or_lost_worker_is_retried_and_the_result_is_identical(
        backend, scenario, tmp_path, how):
    local = simulate(scenario, trials=TRIALS, seed=18, store_trials=False)
    marker = tmp_path / "fault-fired"
    install, remove = _fault(str(marker), how)
    before = set(backend.client.scheduler_info()["workers"])
    backend.client.run(install)
    try:
        remote = simulate(scenario, trials=TRIALS, seed=18, store_trials=False,
                          backend=backend)
    finally:
        backend.client.run(remove)
        backend.client.wait_for_workers(2, timeout=60)  # the nanny restarts a dead worker
    assert marker.exists()  # the fault did fire...
    if how == "exit":  # ...and took a worker with it
        assert set(backend.client.scheduler_info()["workers"]) != before
    assert_same_stream(remote, local)


def test_the_cli_runs_on_a_cluster_with_the_same_results(backend, tmp_path, data_dir):
    address = backend.client.scheduler.address
    args = ["run", str(data_dir / "minimal.toml"), "-n", str(TRIALS), "-q", "--statistics",
            "streaming"]
    runner = CliRunner()
    remote = runner.invoke(main, [*args, "-o", str(tmp_path / "a"), "--dask", address])
    local = runner.invoke(main, [*args, "-o", str(tmp_path / "b")])
    assert remote.exit_code == 0 and local.exit_code == 0, remote.output + local.output
    a, b = (json.loads((tmp_path / d / "minimal" / "summary.json").read_text())
            for d in ("a", "b"))
    a["provenance"].pop("created"), b["provenance"].pop("created")
    assert a == b


def test_an_unreachable_scheduler_exits_2_with_no_traceback_and_no_output(
        tmp_path, data_dir, monkeypatch):
    monkeypatch.setenv("KPOSIM_DASK_TIMEOUT", "1")
    r = CliRunner().invoke(main, ["run", str(data_dir / "minimal.toml"), "-n", "1000", "-q",
                                  "-o", str(tmp_path / "out"), "--dask", "tcp://127.0.0.1:9"])
    assert r.exit_code == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in r.output
    assert "Traceback" not in r.output and not (tmp_path / "out").exists()


def _cli_in_subprocess(code: str, tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)


def test_without_dask_option_nothing_of_dask_is_imported(tmp_path, data_dir):
    code = f"""
import sys
from click.testing import CliRunner
from simulator.cli import main
r = CliRunner().invoke(main, ["run", {str(data_dir / "minimal.toml")!r}, "-n", "1000", "-q"])
assert r.exit_code == 0, r.output
print(sorted(m for m in sys.modules if m.split(".")[0] in ("dask", "distributed")))
"""
    p = _cli_in_subprocess(code, tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]"


def test_missing_dask_exits_2_and_says_how_to_install_it(tmp_path, data_dir):
    code = f"""
import sys
sys.modules["distributed"] = None  # as if Dask were not installed
from click.testing import CliRunner
from simulator.cli import main
r = CliRunner().invoke(main, ["run", {str(data_dir / "minimal.toml")!r}, "-n", "1000", "-q",
                              "--dask", "local:1"])
print(r.exit_code)
print(r.output)
"""
    p = _cli_in_subprocess(code, tmp_path)
    code_line, message = p.stdout.split("\n", 1)
    assert code_line == "2"
    assert "pip install 'kposim[dask]'" in message and "Traceback" not in message
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("text, expected", [
    ("local:3", ClusterSpec(workers=3)), ("local", ClusterSpec(workers=os.cpu_count() or 1)),
    ("tcp://10.0.0.5:8786", ClusterSpec(address="tcp://10.0.0.5:8786")),
])
def test_cluster_spec_parses_local_and_addresses(text, expected):
    assert ClusterSpec.parse(text) == expected


@pytest.mark.parametrize("text", ["local:0", "local:x", "10.0.0.5", "tcp://", ""])
def test_cluster_spec_refuses_nonsense(text):
    with pytest.raises(ClusterError, match="--dask"):
        ClusterSpec.parse(text)


def test_local_workers_run_one_numba_thread_each_and_glibc_malloc_defaults(backend):
    def setup() -> tuple[int, str | None]:
        import numba

        return numba.config.NUMBA_NUM_THREADS, os.environ.get("MALLOC_TRIM_THRESHOLD_")

    assert set(backend.client.run(setup).values()) == {(1, os.environ.get(
        "MALLOC_TRIM_THRESHOLD_"))}


def test_correlated_uncertain_rates_with_sobol_are_bit_identical_on_the_cluster(backend):
    # The template declares a correlation between two uncertain rates (one learned from a
    # gamma prior): copula, per-trial rates and the Sobol design all travel with the task.
    from pathlib import Path

    s = load_scenario(Path(__file__).resolve().parent.parent / "scenarios" / "template.toml")
    local = simulate(s, trials=3 * CHUNK_SIZE, seed=5, sampling="sobol", store_trials=False)
    remote = simulate(s, trials=3 * CHUNK_SIZE, seed=5, sampling="sobol", store_trials=False,
                      backend=backend)
    assert_same_stream(local, remote)


def test_control_returns_on_the_cluster_match_the_local_ones(backend):
    from pathlib import Path

    from simulator.engine.run import control_returns

    s = load_scenario(Path(__file__).resolve().parent.parent / "scenarios" / "template.toml")
    r = simulate(s, trials=CHUNK_SIZE + 1000, seed=3, store_trials=True)
    assert control_returns(r, backend=backend) == control_returns(r)


def test_a_scenario_with_every_model_term_is_bit_identical_on_the_cluster(backend):
    from pathlib import Path

    s = load_scenario(Path(__file__).parent / "data" / "engaged.toml")
    local = simulate(s, trials=TRIALS, seed=9, store_trials=True)
    remote = simulate(s, trials=TRIALS, seed=9, store_trials=True, backend=backend)
    assert np.array_equal(local.net_savings, remote.net_savings)
    assert np.array_equal(local.component_totals, remote.component_totals)
    assert summary(local) == summary(remote)
