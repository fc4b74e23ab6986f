"""``kposim serve``: the what-if page of one scenario (docs/serve.md)."""
from __future__ import annotations

from pathlib import Path

import click

from simulator.cli import lazy
from simulator.cli.common import load, start
from simulator.cli.errors import BadInput
from simulator.cli.options import (
    out_option,
    scenario_argument,
    seed_option,
    threads_option,
    trials_option,
)


@click.command("serve")
@scenario_argument()
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to listen on (0: any free port; the address is printed).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; only this machine can reach the default. "
                   "0.0.0.0 opens the page to the network.")
@trials_option(200_000, "kept runs", "Monte Carlo trials of every re-run.")
@seed_option("Random seed, shared by the baseline and every re-run.")
@out_option("NAME.toml (saved scenarios) and OUT/NAME/ (reports); nothing is written "
            "elsewhere")
@threads_option
def serve_command(scenario: Path, port: int, host: str, trials: int, seed: int, out: Path,
                  threads: int | None) -> None:
    """A local page where every assumption of SCENARIO has a control, and each change re-runs
    the simulation on the same seed and shows its effect against the baseline (docs/serve.md).
    Needs: pip install 'kposim[serve]'.
    """
    try:  # its web libraries are an optional extra: say which is missing
        serve = lazy.serve_app.serve
    except ImportError as e:
        raise BadInput(f"kposim serve needs {e.name}: pip install 'kposim[serve]'") from None
    load(scenario, warn=False)  # a bad file fails now, before the notice about compiling
    start(quiet=False)
    serve(scenario, host=host, port=port, trials=trials, seed=seed, out=out,
          threads=threads)  # a ServeError is bad input: the one error path says so
