"""``python -m simulator.cli``: the ``kposim`` command (the console script is
:mod:`simulator.__main__`, which also turns a Ctrl-C during the imports into exit 130).
"""
from simulator.cli import main

if __name__ == "__main__":  # pragma: no cover
    main(prog_name="kposim")
