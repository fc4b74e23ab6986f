"""The ``kposim`` command line: the group and its commands.

Exit codes: 0 success, 1 internal error (a bug: one line asking for a report), 2 bad input
(scenario file, options, output folder, a full or read-only disk, a result that is not
finite), 130 interrupted. Every command runs inside the group's one error path
(:mod:`simulator.cli.errors`). Shared options are declared once in
:mod:`simulator.cli.options`; the heavy modules the commands use load on first use
(:mod:`simulator.cli.lazy`); what they print is in :mod:`simulator.cli.tables`.
"""
from __future__ import annotations

import click

from simulator.cli.analyses import breakeven, sensitivity, sweep
from simulator.cli.compare import compare_options
from simulator.cli.decide import optimize_command, voi_command
from simulator.cli.errors import ErrorPathGroup
from simulator.cli.inputs import elicit_command, fit_command, schema, validate
from simulator.cli.report import report_command
from simulator.cli.run import run
from simulator.cli.serve import serve_command


@click.group(cls=ErrorPathGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kposim")
def main() -> None:
    """kposim: how much does moving knowledge work offshore really save, and how likely is it
    to go wrong? Monte Carlo over a scenario file (TOML).

    Exit codes: 0 done, 2 bad input, 130 interrupted, 1 internal error (a bug; set
    KPOSIM_DEBUG=1 to see its traceback).
    """


for _command in (run, sensitivity, sweep, breakeven, compare_options, report_command, schema,
                 validate, serve_command, fit_command, elicit_command, optimize_command,
                 voi_command):
    main.add_command(_command)

__all__ = ["main"]
