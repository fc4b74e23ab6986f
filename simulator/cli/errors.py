"""The one way a ``kposim`` command fails, applied once to the command group.

Exit codes: 0 success; 2 bad input (the scenario file, an option, the output folder, a full or
read-only disk, a result that is not finite), one line on stderr; 130 interrupted; 1 an
internal error (a bug), one line asking for a report (``KPOSIM_DEBUG=1`` re-raises it).
"""
from __future__ import annotations

import contextlib
import errno
import os
import re
import sys
import warnings
from collections.abc import Iterator
from typing import IO, Any

import click

from simulator.diagnostics import KposimWarning
from simulator.scenario.model import ScenarioError

REPORT_HINT = ("this is a bug in kposim: please report it to its maintainers with the command "
               "and the scenario file; KPOSIM_DEBUG=1 shows the traceback")
INTERRUPTED = "interrupted: no results written (existing files are unchanged)"


def one_line(text: object) -> str:
    """Any message on one line: line breaks become "; ", runs of blanks one space."""
    return re.sub(r"[ \t]+", " ", re.sub(r"\s*[\r\n]+\s*", "; ", str(text).strip()))


class BadInput(click.ClickException):
    """A user error: one clear message, exit code 2, no traceback."""

    exit_code = 2

    def show(self, file: IO[Any] | None = None) -> None:
        """Print ``error: <message>`` on one line of stderr (click's signature)."""
        click.echo(f"error: {one_line(self.format_message())}", err=True)


#: Error classes that are bad input, by module. Looked up only if the module was imported, so
#: that the error path never loads the engine (or scipy) itself.
BAD_INPUT_CLASSES = {
    "simulator.scenario.model": ("ScenarioError",),
    "simulator.distributions.base": ("FieldError",),
    "simulator.scenario.paths": ("PathError",),
    "simulator.engine.run": ("NonFiniteError",),
    "simulator.output.folders": ("OutputExistsError", "ReportError"),
    "simulator.analysis.fit": ("DataError", "FitError"),
    "simulator.analysis.elicit": ("ElicitError",),
    "simulator.engine.cluster": ("ClusterError",),
    "simulator.serve.app": ("ServeError",),
}
#: What an operating-system error says about the input or the disk, not about kposim.
USER_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM,
               errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR, errno.ENAMETOOLONG,
               errno.EFBIG, errno.ENOENT, errno.ELOOP}
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG)


def bad_input_message(e: BaseException) -> str | None:
    """The one-line message of an exception that is bad input (exit 2), else None."""
    if isinstance(e, ScenarioError):
        return e.one_line()
    for module, names in BAD_INPUT_CLASSES.items():
        m = sys.modules.get(module)
        for name in names:
            cls = getattr(m, name, None) if m is not None else None
            if isinstance(cls, type) and isinstance(e, cls):
                field = getattr(e, "field", None)
                return f"{field}: {e}" if name == "FieldError" and field else str(e)
    if isinstance(e, OSError) and (e.errno in USER_ERRNOS
                                   or isinstance(e, PermissionError | FileExistsError)):
        if e.filename is None:
            return str(e)
        what = "cannot write" if e.errno in _DISK_FULL else "cannot use"
        return f"{what} {e.filename}: {e.strerror or e}; nothing was written"
    return None


def _filter_library_warnings() -> None:
    """Hide the libraries' floating-point RuntimeWarnings (scipy and numpy on extreme but
    valid inputs: "overflow encountered in ..."): kposim checks its results itself and says
    what is wrong in its own words; and matplotlib's about rendering. Only those: other
    warnings stay visible, and kposim's model warnings are printed by the commands.
    """
    warnings.filterwarnings("ignore", category=RuntimeWarning,
                            message=r".*(overflow|underflow|divide by zero|invalid value) "
                                    r"encountered")
    # The API's ModelWarnings: the commands print the same texts from the summary.
    warnings.filterwarnings("ignore", category=KposimWarning)
    from simulator.present.plots.style import ignore_drawing_warnings

    ignore_drawing_warnings()  # chart drawing's, in this process and the forked drawers


@contextlib.contextmanager
def one_error_path() -> Iterator[None]:
    """The one way a command fails: bad input -> ``error: ...`` and exit 2; Ctrl-C -> exit 130
    (temporary output is removed on the way out: see
    :func:`simulator.output.folders.replace_folder`); anything else -> ``internal error: ...``
    and exit 1, on one line, without a traceback (``KPOSIM_DEBUG=1`` re-raises it).
    """
    with warnings.catch_warnings():
        try:
            _filter_library_warnings()
            yield
        except click.exceptions.UsageError as e:  # click's own: usage, hint and error, 3 lines
            where = e.ctx.command_path if e.ctx is not None else "kposim"
            raise BadInput(f"{where}: {e.format_message()} (see {where} --help)") from None
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort,
                SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo(INTERRUPTED, err=True)
            sys.exit(130)
        except Exception as e:  # noqa: BLE001 - this is the one place that catches all
            message = bad_input_message(e)
            if message is not None:
                raise BadInput(message) from None
            if os.environ.get("KPOSIM_DEBUG", "") not in ("", "0"):
                raise
            if isinstance(e, MemoryError):
                click.echo("error: out of memory; use fewer --trials, --statistics streaming or "
                           "fewer --threads", err=True)
                sys.exit(1)
            click.echo(f"internal error: {type(e).__name__}: {one_line(e)} ({REPORT_HINT})",
                       err=True)
            sys.exit(1)


@contextlib.contextmanager
def values_are_input(prefix: str = "") -> Iterator[None]:
    """For an analysis whose ValueErrors are about its arguments (a target never reached, no
    controls to choose from): such an error is bad input, its message prefixed with
    ``prefix`` (e.g. the scenario file). Errors the one error path knows pass through.
    """
    try:
        yield
    except ValueError as e:
        if bad_input_message(e) is not None:
            raise
        raise BadInput(f"{prefix}{e}") from None


class ErrorPathGroup(click.Group):
    """A command group whose every subcommand, and its own option parsing, runs inside
    :func:`one_error_path`.
    """

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand inside the one error path."""
        with one_error_path():
            return super().invoke(ctx)

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        """Parse the group's own arguments inside the one error path."""
        with one_error_path():  # the group's own options: --bogus is a one-line error too
            return super().make_context(info_name, args, parent, **extra)
