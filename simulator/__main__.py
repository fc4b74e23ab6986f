"""The ``kposim`` console script (and ``python -m simulator``).

The command line's modules import numpy, scipy and numba, which takes a moment: a Ctrl-C
then must exit with 130 like one at any later point, not print a traceback. So the entry
point imports :mod:`simulator.cli` itself, inside the handler.
"""
from __future__ import annotations

import sys


def main() -> None:
    """Run ``kposim`` with the process's arguments; Ctrl-C while importing is exit 130."""
    try:
        from simulator.cli import main as cli
    except KeyboardInterrupt:
        sys.stderr.write("interrupted: no results written (existing files are unchanged)\n")
        sys.exit(130)
    cli(prog_name="kposim")


if __name__ == "__main__":  # pragma: no cover
    main()
