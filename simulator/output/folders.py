"""Results folders: their names, the files they hold, and how they are written (all or
nothing, through a temporary folder; locked while a command writes; stale temporaries of
killed processes removed).
"""
from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from simulator.present.report.compare import COMPARE_CHART_TEXT, OPTIONS_DIR
from simulator.scenario.model import Scenario, ScenarioError, load_scenario, scenario_from_dict


class OutputExistsError(FileExistsError):
    """The results folder exists and overwriting it was not requested."""


class OutputBusyError(OutputExistsError):
    """Another kposim process is writing the same results folder right now."""


#: Temporary folders are named ``.kposim-tmp-<folder>-<pid>-<random>`` beside their target, so
#: that one left by a killed run is recognisable, ignored, and removed by the next run.
TMP_PREFIX = ".kposim-tmp-"


LOCK_SUFFIX = ".lock"  #: the lock of a folder being written: ``.kposim-tmp-<folder>.lock``


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")


def safe_name(text: str, fallback: str = "results") -> str:
    """``text`` made safe as one file or folder name: no path separators, NUL or control
    characters (each becomes ``_``), not ``.`` or ``..``, not hidden, at most 100 characters.
    """
    name = _UNSAFE.sub("_", str(text)).strip()[:100]
    if not name.strip("."):
        return fallback
    return "_" + name[1:] if name.startswith(".") else name


def results_dir(out: Path, scenario_path: Path) -> Path:
    """Where a scenario's results go: ``out/<scenario file stem>`` (made a safe name)."""
    return Path(out) / safe_name(Path(scenario_path).stem)


def check_writable(target: Path, force: bool) -> None:
    """Fail early, before a long run, if ``target`` cannot be written."""
    if target.exists() and not force:
        raise OutputExistsError(f"{target} already exists; pass --force to replace it, or "
                                "--out to write elsewhere")
    if target.exists() and not target.is_dir():
        raise OutputExistsError(f"{target} exists and is not a folder")
    parent = target.parent
    while not parent.exists():
        parent = parent.parent
    if not os.access(parent, os.W_OK):
        raise PermissionError(f"cannot write to {parent}")


def write_json(path: Path, obj: Any) -> None:
    """Write ``obj`` to ``path`` as indented JSON (NaN and infinities refused), with a final
    newline.
    """
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, allow_nan=False)
        f.write("\n")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def replace_folder(target: Path, force: bool, fill: Callable[[Path], None]) -> None:
    """Build a folder with ``fill(tmp)`` in a hidden temporary folder beside ``target``, then
    move it into place (replacing ``target`` only when ``force``). Nothing is left behind on
    failure or interrupt; temporary folders of killed runs are removed first. Holds
    :func:`claim` on ``target`` (unless this process already does), so that two processes
    writing the same folder never mix: the second fails with :class:`OutputBusyError`.
    """
    target = Path(target)
    with claim(target, force):
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{target.name}-{os.getpid()}-",
                                    dir=target.parent))
        try:
            os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it private; results are shared
            fill(tmp)
            if target.exists():
                if not force:  # appeared while this run worked (another process, no claim)
                    raise OutputExistsError(f"{target} was created while this run worked; "
                                            "nothing was written (pass --force to replace it)")
                old = target.with_name(f"{TMP_PREFIX}{target.name}-{os.getpid()}-old")
                os.replace(target, old)
                os.replace(tmp, target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                try:
                    os.replace(tmp, target)
                except OSError as e:
                    if e.errno in (errno.ENOTEMPTY, errno.EEXIST):
                        raise OutputExistsError(f"{target} was created while this run worked; "
                                                "nothing was written") from None
                    raise
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise


@contextlib.contextmanager
def claim(target: Path, force: bool):
    """Hold ``target`` for this process while a command computes and writes it: an exclusive
    lock (``flock``) on ``.kposim-tmp-<name>.lock`` beside it, so a second process writing the
    same folder fails at once with :class:`OutputBusyError` instead of mixing its files in.
    Checks :func:`check_writable` and removes temporary folders left by killed runs. The lock
    goes with the process, however it ends; its file is removed on the way out. Re-entrant
    within a process.
    """
    import fcntl

    target = Path(target).absolute()
    if target in _CLAIMED:
        check_writable(target, force)
        yield
        return
    check_writable(target, force)
    made = [d for d in (target.parent, *target.parent.parents) if not d.exists()]
    target.parent.mkdir(parents=True, exist_ok=True)
    lock = target.parent / f"{TMP_PREFIX}{target.name}{LOCK_SUFFIX}"
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666 & ~_umask())
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OutputBusyError(f"{target} is being written by another kposim run right now; "
                                  "wait for it to finish, or use --out to write elsewhere") \
                from None
        except BaseException:
            os.close(fd)
            raise
        # The file may have been removed (and recreated) by its last holder meanwhile.
        try:
            if os.stat(lock).st_ino == os.fstat(fd).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    _CLAIMED[target] = fd
    try:
        remove_stale_temporaries(target)
        check_writable(target, force)
        yield
    finally:
        del _CLAIMED[target]
        with contextlib.suppress(OSError):
            os.unlink(lock)
        os.close(fd)
        if not target.exists():  # nothing written: take back the folders made for it
            for d in made:
                with contextlib.suppress(OSError):
                    d.rmdir()


def remove_stale_temporaries(target: Path) -> list[Path]:
    """Remove the temporary folders (or files) of ``target`` left by runs that were killed
    (their process no longer exists); returns them. Those of live processes are left alone.
    """
    removed = []
    for tmp in Path(target).parent.glob(f"{TMP_PREFIX}{Path(target).name}-*"):
        m = re.fullmatch(re.escape(f"{TMP_PREFIX}{Path(target).name}-") + r"(\d+)-.*", tmp.name)
        if not m or _alive(int(m.group(1))):
            continue
        if tmp.is_dir() and not tmp.is_symlink():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                tmp.unlink()
        removed.append(tmp)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


REPORT_HTML = "report.html"


REPORT_PDF = "report.pdf"


CHART_DATA = "chartdata.npz"


SCENARIO_TOML = "scenario.toml"


SCENARIO_JSON = "scenario.json"  #: for scenarios built in Python, with no file to copy


SENSITIVITY_DIR = "sensitivity"


SWEEP_DIR = "sweep"


BREAKEVEN_DIR = "breakeven"


class ReportError(ValueError):
    """A results folder lacks what the report needs (or holds it damaged)."""


def load_analyses(folder: Path) -> dict[str, dict[str, Any]]:
    """The sweep (``sweep``) and break-even search (``breakeven``) written into a run's
    folder, as their JSON dictionaries; absent keys for analyses not run.
    """
    out = {}
    for key, sub in (("sweep", SWEEP_DIR), ("breakeven", BREAKEVEN_DIR)):
        path = Path(folder) / sub / f"{key}.json"
        if path.is_file():
            out[key] = json.loads(path.read_text(encoding="utf-8"))
    return out


def write_atomic(path: Path, write) -> None:  # noqa: ANN001 - write(tmp_path)
    """``write`` a temporary file beside ``path``, then move it into place. The temporary is
    named as :mod:`simulator.output.write` names them, so one left by a killed process is removed
    here the next time.
    """
    from simulator.output.folders import TMP_PREFIX, remove_stale_temporaries

    remove_stale_temporaries(path)
    tmp = path.with_name(f"{TMP_PREFIX}{path.name}-{os.getpid()}-file")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def save_scenario(scenario: Scenario, folder: Path) -> str:
    """Keep the scenario in the results folder for later reports and reruns: a byte copy of
    its file as ``scenario.toml`` (same SHA-256 as the run recorded), or ``scenario.json``
    for a scenario built in Python. Returns the file name.
    """
    import hashlib

    src = Path(scenario.source)
    if src.is_file():
        raw = src.read_bytes()
        if hashlib.sha256(raw).hexdigest() == scenario.sha256:
            (Path(folder) / SCENARIO_TOML).write_bytes(raw)
            return SCENARIO_TOML
    (Path(folder) / SCENARIO_JSON).write_text(
        scenario.model_dump_json(by_alias=True, exclude_none=True, indent=2) + "\n",
        encoding="utf-8")
    return SCENARIO_JSON


def load_saved_scenario(folder: Path) -> tuple[Scenario, str]:
    """The scenario kept by :func:`save_scenario`, and its file name."""
    folder = Path(folder)
    try:
        if (folder / SCENARIO_TOML).is_file():
            return load_scenario(folder / SCENARIO_TOML), SCENARIO_TOML
        if (folder / SCENARIO_JSON).is_file():
            doc = json.loads((folder / SCENARIO_JSON).read_text(encoding="utf-8"))
            return scenario_from_dict(doc, source=str(folder / SCENARIO_JSON)), SCENARIO_JSON
    except ScenarioError as e:
        raise ReportError(e.format()) from None
    raise ReportError(f"{folder}: no {SCENARIO_TOML} (the scenario copy a run keeps); rerun "
                      "kposim run to create it")


def is_run_folder(folder: Path) -> bool:
    """Whether ``folder`` holds a run's results (``summary.json`` and ``chartdata.npz``)."""
    folder = Path(folder)
    return (folder / "summary.json").is_file() and (folder / CHART_DATA).is_file()


_CLAIMED: dict[Path, int] = {}  # targets this process holds: path -> open lock file


def option_folders(folder: Path, cs: dict[str, Any]) -> list[Path]:
    """Each option's folder (``options/<key>``) in a comparison's results folder."""
    return [Path(folder) / OPTIONS_DIR / o["key"] for o in cs["options"]]


def load_comparison(folder: Path) -> tuple[dict[str, Any], list[dict[str, Any]], list[Scenario],
                                           list[str]]:
    """A comparison folder's ``comparison.json``, each option's summary and scenario, and
    each scenario copy's path relative to the folder.
    """
    from simulator.output.folders import ReportError, load_saved_scenario

    folder = Path(folder)
    try:
        cs = json.loads((folder / "comparison.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ReportError(f"{folder}: cannot read comparison.json ({e})") from None
    if any("key" not in o for o in cs["options"]):
        raise ReportError(f"{folder}: comparison.json has no option folders (written by an "
                          "older kposim); rerun kposim compare")
    summaries, scenarios, files = [], [], []
    for sub in option_folders(folder, cs):
        try:
            summaries.append(json.loads((sub / "summary.json").read_text(encoding="utf-8")))
        except (OSError, ValueError) as e:
            raise ReportError(f"{sub}: cannot read summary.json ({e})") from None
        scenario, name = load_saved_scenario(sub)
        scenarios.append(scenario)
        files.append(f"{OPTIONS_DIR}/{sub.name}/{name}")
    return cs, summaries, scenarios, files


def chart_images(folder: Path, cs: dict[str, Any]) -> dict[str, str | bytes]:
    """The comparison's charts as written (SVG first, else PNG)."""
    stems = [*COMPARE_CHART_TEXT, *(p.get("chart") for p in cs["pairs"] if p.get("chart"))]
    out: dict[str, str | bytes] = {}
    for stem in stems:
        svg, png = Path(folder) / f"{stem}.svg", Path(folder) / f"{stem}.png"
        if svg.is_file():
            out[stem] = svg.read_text(encoding="utf-8")
        elif png.is_file():
            out[stem] = png.read_bytes()
    return out
