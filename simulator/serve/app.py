"""The web app of ``kposim serve``: the page, its assets and a small JSON API (Starlette).

Routes::

    GET  /                the page (static/index.html; scripts and styles from /static only)
    GET  /static/...      app.js, app.css: shipped in the package, no CDN
    GET  /api/state       the controls, the baseline's figures and charts
    POST /api/run         {seq, edits, changed} -> the edited run vs the baseline
    POST /api/save        {edits, name, replace} -> OUT/name.toml
    POST /api/report      {edits, name, replace} -> OUT/name.toml and OUT/name/

Every POST takes a JSON body of at most :data:`MAX_BODY` bytes; a bad request gets a JSON
``{"error": ...}`` with status 400 (413 for too large, 415 for another content type), a
scenario problem a 200 with ``status: "invalid"`` and each problem beside its field, and the
server keeps serving whatever a request holds. Requests must name this machine as their host
(a page elsewhere cannot reach the server by rebinding a domain name to 127.0.0.1), and the
page's content security policy lets it load and fetch nothing but this server.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import sys
import traceback
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from simulator.serve.edits import EditError, Invalid
from simulator.serve.session import SUPERSEDED, Runner, Session, SessionError

STATIC = Path(__file__).parent / "static"
MAX_BODY = 256 * 1024  #: bytes of a request body (a page's edits take a few KiB)
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
log = logging.getLogger("kposim.serve")


class ServeError(Exception):
    """Why the server cannot start (a bad scenario, a port in use): one line for the user."""


class BadRequest(Exception):
    """A request the page should not have sent: the message and its HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


async def _body(request: Request) -> dict[str, Any]:
    """The request's JSON object, read up to :data:`MAX_BODY` bytes."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise BadRequest("send JSON (Content-Type: application/json)", 415)
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        raise BadRequest(f"request body larger than {MAX_BODY:,} bytes", 413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise BadRequest(f"request body larger than {MAX_BODY:,} bytes", 413)
        chunks.append(chunk)
    try:
        body = json.loads(b"".join(chunks).decode("utf-8"),
                          parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise BadRequest(f"not valid JSON: {e}") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _problems(e: Invalid) -> list[dict[str, Any]]:
    return [{"target": p.target, "message": p.message} for p in e.problems]


def create_app(session: Session, host: str = "127.0.0.1") -> Starlette:
    """The ASGI app serving ``session``, reached as ``host`` (or as localhost)."""
    runner = Runner()

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers={"Content-Security-Policy": CSP,
                                                            "Cache-Control": "no-store"})

    async def state(request: Request) -> Response:
        return JSONResponse(session.state())

    async def run(request: Request) -> Response:
        body = await _body(request)
        seq = body.get("seq", 0)
        if not isinstance(seq, int) or isinstance(seq, bool):
            raise BadRequest("seq must be a whole number")
        edits = session.editor.parse_edits(body.get("edits", []))
        changed = body.get("changed")
        changed = changed if isinstance(changed, str) and changed in session.editor.allowed \
            else None
        future = runner.latest(lambda stale: session.run(edits, changed, stale))
        try:
            view = await asyncio.wrap_future(future)
        except Invalid as e:
            return JSONResponse({"seq": seq, "status": "invalid", "problems": _problems(e)})
        if view is SUPERSEDED:
            return JSONResponse({"seq": seq, **SUPERSEDED})
        return JSONResponse({"seq": seq, "status": "ok", **view})

    async def write(request: Request, what: str) -> Response:
        body = await _body(request)
        edits = session.editor.parse_edits(body.get("edits", []))
        name, replace = body.get("name"), body.get("replace", False)
        if not isinstance(replace, bool):
            raise BadRequest("replace must be true or false")
        job = session.save if what == "save" else session.write_report
        try:
            path = await asyncio.wrap_future(runner.queued(lambda: job(edits, name, replace)))
        except Invalid as e:
            return JSONResponse({"status": "invalid", "problems": _problems(e)})
        except SessionError as e:
            return JSONResponse({"status": "refused", "error": str(e)})
        shown = session.out / path.name
        return JSONResponse({"status": "ok", "path": str(shown)})

    async def save(request: Request) -> Response:
        return await write(request, "save")

    async def report(request: Request) -> Response:
        return await write(request, "report")

    async def status(request: Request) -> Response:
        return JSONResponse({"runs": dict(runner.counts)})

    async def bad_request(request: Request, exc: Exception) -> Response:
        status = exc.status if isinstance(exc, BadRequest) else 400
        return JSONResponse({"error": str(exc)}, status_code=status)

    async def failure(request: Request, exc: Exception) -> Response:
        log.error("request %s %s failed:\n%s", request.method, request.url.path,
                  "".join(traceback.format_exception(exc)))
        return JSONResponse({"error": f"internal error: {type(exc).__name__}: {exc}"},
                            status_code=500)

    routes = [Route("/", index), Route("/api/state", state),
              Route("/api/run", run, methods=["POST"]),
              Route("/api/save", save, methods=["POST"]),
              Route("/api/report", report, methods=["POST"]),
              Route("/api/status", status),
              Mount("/static", StaticFiles(directory=STATIC), name="static")]
    # Listening on every interface (--host 0.0.0.0) is a choice to be reached by any name.
    hosts = ["*"] if host in ("0.0.0.0", "::", "") else ["127.0.0.1", "localhost", host]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        yield
        runner.close()

    app = Starlette(routes=routes,
                    middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts)],
                    exception_handlers={BadRequest: bad_request, EditError: bad_request,
                                        Exception: failure},
                    lifespan=lifespan)
    app.state.runner = runner
    return app


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: any free port)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise ServeError(f"--host {host}: {e.strerror}") from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as e:
        sock.close()
        raise ServeError(f"cannot listen on {host}:{port}: {e.strerror}") from None
    if family in (socket.AF_INET, socket.AF_INET6):
        # Connections accepted from it inherit this: a response's headers and body go out
        # at once, rather than the body waiting out the client's delayed ACK (40 ms).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


def serve(scenario: Path, host: str = "127.0.0.1", port: int = 8765,
          trials: int = 200_000, seed: int = 20_260_101, out: Path = Path("results"),
          threads: int | None = None) -> None:
    """Run the baseline, then serve the page until interrupted. Prints the page's address
    (one line, on stdout) once it is ready.
    """
    import uvicorn

    from simulator.distributions.base import FieldError

    sock = bind(host, port)
    try:
        try:
            # A ScenarioError goes up as it is: the command line reports it as validate does.
            session = Session(Path(scenario), trials, seed, Path(out), threads)
        except FieldError as e:
            raise ServeError(f"{scenario}: {e.field}: {e}") from None
        app = create_app(session, host)
        bound_host, bound_port = sock.getsockname()[:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        print(f"kposim serve: {session.editor.scenario.name!r} at http://{shown}:{bound_port}/ "
              f"({trials:,} trials, seed {seed}; writes to {out}/; Ctrl+C stops)", flush=True)
        config = uvicorn.Config(app, log_level="warning", access_log=False,
                                timeout_graceful_shutdown=5, lifespan="on",
                                limit_concurrency=64)
        try:
            uvicorn.Server(config).run(sockets=[sock])
        except KeyboardInterrupt:  # Ctrl+C is how a server is meant to stop
            pass
        print("kposim serve: stopped", file=sys.stderr, flush=True)
    finally:
        sock.close()
        sys.stdout.flush()
