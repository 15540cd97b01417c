"""REST routes under ``/pipeline-scheduler/``: thin, authenticated, never blocking the loop.

Each handler parses the request, calls the service in a worker thread and writes JSON. Service
errors become ``{"error", "field"}`` with their status; anything unexpected is logged and answered
500 without a traceback.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from http.client import responses
from typing import Any

import orjson
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.iostream import StreamClosedError

from ..errors import Conflict, Invalid, SchedulerError, TooLarge
from ..execution.history import read_log_end
from ..memory import LARGE, release_freed_memory
from ..service import PipelineScheduler
from .payloads import RunRequest, parse_payload, query_int

NAMESPACE = "pipeline-scheduler"
AUTH_RESOURCE = "pipeline-scheduler"
MAX_BODY_BYTES = 1 << 20
STREAM_POLL_SECONDS = 0.2
CANCEL_WAIT_SECONDS = 10.0
KEEPALIVE_SECONDS = 15.0
EVENTS_BACKLOG = 1000


class ApiError(web.HTTPError):
    """A service error on its way to the client (keeps the field it names)."""

    def __init__(self, error: SchedulerError) -> None:
        super().__init__(error.status_code, error.message.replace("%", "%%"))
        self.message, self.field, self.details = error.message, error.field, error.details


def endpoint(method: Callable) -> Callable:
    """Authentication, authorization and error translation for every route method."""

    @web.authenticated
    @authorized
    @functools.wraps(method)
    async def wrapper(self: SchedulerHandler, *args: Any, **kwargs: Any) -> Any:
        try:
            return await method(self, *args, **kwargs)
        except SchedulerError as error:
            raise ApiError(error) from None

    return wrapper


class SchedulerHandler(APIHandler):
    auth_resource = AUTH_RESOURCE

    @property
    def scheduler(self) -> PipelineScheduler:
        return self.settings["pipeline_scheduler"]

    async def call(self, function: Callable, *args: Any, **kwargs: Any) -> Any:
        """Run blocking service work (database, processes) in a thread, once the runs that have ended are
        written (see :meth:`RunManager.settle`)."""
        return await asyncio.to_thread(self._settled, function, *args, **kwargs)

    async def read_list(self, function: Callable, *args: Any) -> Any:
        """Read a job list on the list reader's thread (see :class:`JobService`), once the runs that have
        ended are written."""
        return await asyncio.get_running_loop().run_in_executor(self.scheduler.jobs.list_reader, self._settled,
                                                                function, *args)

    def _settled(self, function: Callable, *args: Any, **kwargs: Any) -> Any:
        self.scheduler.runs.settle()
        return function(*args, **kwargs)

    def payload(self) -> Any:
        body = self.request.body or b""
        if len(body) > MAX_BODY_BYTES:
            raise TooLarge(f"request body is {len(body)} bytes; the limit is {MAX_BODY_BYTES} bytes")
        if not body.strip():
            raise Invalid("request body is empty; expected a JSON object")
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as error:
            raise Invalid(f"request body is not valid JSON: {error}") from None

    def run_request(self) -> RunRequest:
        """The optional body of a run-now request (who asks, one-off parameters)."""
        return parse_payload(RunRequest, self.payload()) if (self.request.body or b"").strip() else RunRequest()

    async def run_overrides(self, job_id: str, parameters: dict[str, Any] | None) -> dict[str, Any] | None:
        """What a run-now request replaces for its run only; without parameters there is nothing to
        read, so no thread hop on the path of every run-now."""
        return None if parameters is None else await self.call(self.scheduler.run_overrides, job_id, parameters)

    def reply(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        body = data if isinstance(data, (bytes, str)) else orjson.dumps(data)
        sent = self.finish(body)
        if len(body) >= LARGE:  # once written, what made it (rows, documents, copies) is freed: hand it back
            sent.add_done_callback(lambda _: asyncio.get_running_loop().run_in_executor(None, release_freed_memory))

    async def reply_runs(self, job_id: str | None) -> None:
        """The run list, filtered by the query's ``status``, ``limit`` and ``before``."""
        self.reply(await self.call(self.scheduler.history.list, job_id=job_id,
                                   status=self.get_query_argument("status", None),
                                   limit=self.get_query_argument("limit", None),
                                   before=self.get_query_argument("before", None)))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = (kwargs.get("exc_info") or (None, None, None))[1]
        if isinstance(error, ApiError):
            body = {"error": error.message, "field": error.field, **({"details": error.details} if error.details else {})}
        elif isinstance(error, web.HTTPError) and status_code < 500:
            body = {"error": error.log_message or responses.get(status_code, "error"), "field": None}
        else:
            body = {"error": "internal server error; the server log has the details", "field": None}
        self.finish(orjson.dumps(body))


class JobsHandler(SchedulerHandler):
    @endpoint
    async def get(self) -> None:
        limit = query_int(self.get_query_argument("limit", None), "limit", None)
        offset = query_int(self.get_query_argument("offset", None), "offset", 0)
        self.reply(await self.read_list(self.scheduler.jobs.list_json, limit, offset,
                                        self.get_query_argument("type", None), self.get_query_argument("fields", None)))

    @endpoint
    async def post(self) -> None:
        payload = self.payload()
        if _is_registration(payload):  # the MXX server's POST jobs: a runner config under a job id
            self.reply(await self.call(self.scheduler.runner_jobs.register, payload))
        else:
            self.reply(await self.call(self.scheduler.jobs.create, payload))


def _is_registration(payload: Any) -> bool:
    """``job_id`` and ``config`` name no field of a job, so such a body can only mean MXX's registration."""
    return isinstance(payload, dict) and "job_id" in payload and "config" in payload


class JobHandler(SchedulerHandler):
    @endpoint
    async def get(self, job_id: str) -> None:
        self.reply(await self.call(self.scheduler.jobs.get_json, job_id))

    @endpoint
    async def put(self, job_id: str) -> None:
        self.reply(await self.call(self.scheduler.jobs.update, job_id, self.payload()))

    @endpoint
    async def delete(self, job_id: str) -> None:
        await self.call(self.scheduler.jobs.delete, job_id)
        self.reply({"success": True})


class JobPauseHandler(SchedulerHandler):
    paused = True

    @endpoint
    async def post(self, job_id: str) -> None:
        self.reply(await self.call(self.scheduler.jobs.set_paused, job_id, self.paused))


class JobResumeHandler(JobPauseHandler):
    paused = False


class JobRunsHandler(SchedulerHandler):
    @endpoint
    async def get(self, job_id: str) -> None:
        await self.call(self.scheduler.jobs.require, job_id)
        await self.reply_runs(job_id)

    @endpoint
    async def post(self, job_id: str) -> None:
        """Start a run now; answers 202 with the run as soon as it is recorded."""
        request = self.run_request()
        overrides = await self.run_overrides(job_id, request.parameters)
        accepted = await asyncio.wrap_future(self.scheduler.runs.submit(job_id, request.triggered_by,
                                                                        overrides=overrides))
        self.reply(accepted.run, status=202)


class RunNowHandler(SchedulerHandler):
    """0.9.7's ``POST run/{id}``: runs the job and answers when it ends, without blocking the server."""

    @endpoint
    async def post(self, job_id: str) -> None:
        overrides = await self.run_overrides(job_id, self.run_request().parameters)
        outcome = await asyncio.wrap_future(self.scheduler.runs.submit_to_end(job_id, "manual", overrides))
        run = outcome.run
        output = outcome.whole_log if outcome.whole_log is not None else await self.call(read_log_end, run["log_path"])
        self.reply({"success": run["status"] == "success", "output": output, "error": run["error"],
                    "exit_code": run["exit_code"], "cwd": outcome.cwd or str(self.scheduler.config.root),
                    "status": run["status"], "run_id": run["id"], "execution_id": run["execution_id"],
                    "run": run})


class RunsHandler(SchedulerHandler):
    @endpoint
    async def get(self) -> None:
        await self.reply_runs(self.get_query_argument("job_id", None))

    @endpoint
    async def delete(self) -> None:
        deleted = await self.call(self.scheduler.history.delete_all, self.get_query_argument("job_id", None))
        self.reply({"success": True, "deleted": deleted})


class RunHandler(SchedulerHandler):
    @endpoint
    async def get(self, run_id: str) -> None:
        self.reply(await self.call(self.scheduler.history.get, run_id))

    @endpoint
    async def delete(self, run_id: str) -> None:
        await self.call(self.scheduler.history.delete, run_id)
        self.reply({"success": True})


class RunCancelHandler(SchedulerHandler):
    @endpoint
    async def post(self, run_id: str) -> None:
        run = await self.call(self.scheduler.history.get, run_id)
        if not await self.call(self.scheduler.runs.cancel, run["id"]):
            raise Conflict(f"run {run['id']} already ended with status {run['status']!r}", "run_id")
        for _ in range(int(CANCEL_WAIT_SECONDS / STREAM_POLL_SECONDS)):
            if not self.scheduler.runs.is_active(run["id"]):
                break
            await asyncio.sleep(STREAM_POLL_SECONDS)
        self.reply(await self.call(self.scheduler.history.get, run_id))


class RunLogHandler(SchedulerHandler):
    """Log bytes from ``offset``; ``X-Next-Offset`` says where to continue, ``X-Run-Status`` how the run is."""

    @endpoint
    async def get(self, run_id: str) -> None:
        data, next_offset, status = await self.call(self.scheduler.history.log_chunk, run_id,
                                                    self.get_query_argument("offset", None))
        self.set_header("X-Next-Offset", str(next_offset))
        self.set_header("X-Run-Status", status)
        self.finish(data, set_content_type="text/plain; charset=UTF-8")


class RunStreamHandler(SchedulerHandler):
    """Server-Sent Events: ``log`` events with new lines while the run goes, then one ``status`` event."""

    @endpoint
    async def get(self, run_id: str) -> None:
        history, runs = self.scheduler.history, self.scheduler.runs
        run = await self.call(history.get, run_id)
        self.set_header("Content-Type", "text/event-stream")
        self.set_header("Cache-Control", "no-cache")
        self.set_header("X-Accel-Buffering", "no")
        offset, pending = 0, b""
        try:
            while True:
                active = runs.is_active(run["id"])
                data, offset, _ = await self.call(history.log_chunk, run_id, str(offset))
                pending += data
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    self.write(_sse("log", line.decode("utf-8", errors="replace")))
                if not data and not active:
                    break
                await self.flush()
                if not data:
                    await asyncio.sleep(STREAM_POLL_SECONDS)
            if pending:
                self.write(_sse("log", pending.decode("utf-8", errors="replace")))
            final = await self.call(history.get, run_id)
            self.write(_sse("status", orjson.dumps(final).decode()))
            await self.flush()
        except StreamClosedError:
            return
        self.finish(set_content_type="text/event-stream")


class EventsHandler(SchedulerHandler):
    """Server-Sent Events of every change: ``run`` (a run recorded, started or finished, as its JSON)
    and ``job`` (``{"id", "action"}``), with a keep-alive comment when nothing happens."""

    @endpoint
    async def get(self) -> None:
        loop = asyncio.get_running_loop()
        events: asyncio.Queue = asyncio.Queue(EVENTS_BACKLOG)

        def forward(event: dict) -> None:
            loop.call_soon_threadsafe(_offer, events, event)

        unsubscribe = self.scheduler.events.subscribe(forward)
        self.set_header("Content-Type", "text/event-stream")
        self.set_header("Cache-Control", "no-cache")
        self.set_header("X-Accel-Buffering", "no")
        try:
            self.write(": connected\n\n")
            await self.flush()
            while True:
                try:
                    event = await asyncio.wait_for(events.get(), KEEPALIVE_SECONDS)
                except asyncio.TimeoutError:
                    self.write(": keepalive\n\n")
                else:
                    if event is None:  # this client fell too far behind: let it reconnect and reload
                        break
                    data = event["run"] if event["type"] == "run" else {"id": event["id"], "action": event["action"]}
                    self.write(_sse(event["type"], orjson.dumps(data).decode()))
                await self.flush()
        except StreamClosedError:
            pass
        finally:
            unsubscribe()


def _offer(events: asyncio.Queue, event: dict) -> None:
    """Queue an event for one SSE client; a client whose backlog is full is told to go (``None``)."""
    if events.full():
        while not events.empty():
            events.get_nowait()
        events.put_nowait(None)
    else:
        events.put_nowait(event)


class TriggerPreviewHandler(SchedulerHandler):
    @endpoint
    async def post(self) -> None:
        self.reply(await self.call(self.scheduler.jobs.preview, self.payload()))


class RegistryHandler(SchedulerHandler):
    """Runner-config jobs as the MXX server listed and registered them."""

    @endpoint
    async def get(self) -> None:
        self.reply(await self.call(self.scheduler.runner_jobs.entries, self.get_query_argument("type", None)))

    @endpoint
    async def post(self) -> None:
        self.reply(await self.call(self.scheduler.runner_jobs.register, self.payload()))


class RegistryEntryHandler(SchedulerHandler):
    @endpoint
    async def get(self, job_id: str) -> None:
        self.reply(await self.call(self.scheduler.runner_jobs.entry, job_id))

    @endpoint
    async def delete(self, job_id: str) -> None:
        await self.call(self.scheduler.runner_jobs.unregister, job_id)
        self.reply({"success": True})


class RegistryTriggerHandler(SchedulerHandler):
    """Run a registered job now: answers 202 with the run and its execution id."""

    @endpoint
    async def post(self, job_id: str) -> None:
        await self.call(self.scheduler.runner_jobs.entry, job_id)
        accepted = await asyncio.wrap_future(self.scheduler.runs.submit(job_id, "api"))
        self.reply(accepted.run, status=202)


class RegistryCancelHandler(SchedulerHandler):
    """Stop future fires but keep the job (``DELETE registry/{id}`` removes it)."""

    @endpoint
    async def post(self, job_id: str) -> None:
        await self.call(self.scheduler.runner_jobs.entry, job_id)
        self.reply(await self.call(self.scheduler.jobs.set_paused, job_id, True))


class PluginsHandler(SchedulerHandler):
    """``?type=builtin|custom`` keeps those plugins only, as the MXX server's ``GET plugins`` did."""

    @endpoint
    async def get(self) -> None:
        kind = self.get_query_argument("type", None) or "all"
        if kind not in ("all", "builtin", "custom"):
            raise Invalid("type: one of all, builtin, custom", "type")
        document = await self.call(lambda: self.scheduler.plugins.get().to_dict())
        if kind != "all":
            # custom = everything not built in (plugin files and entry points alike), as MXX's client meant it
            document["plugins"] = [plugin for plugin in document["plugins"]
                                   if (plugin["source"] == "builtin") == (kind == "builtin")]
        self.reply(document)


class HealthHandler(SchedulerHandler):
    @endpoint
    async def get(self) -> None:
        self.reply(self.scheduler.health())  # from memory: no thread, no query


class ConfigHandler(SchedulerHandler):
    @endpoint
    async def get(self) -> None:
        self.reply(self.scheduler.public_config())


class NoRouteHandler(SchedulerHandler):
    """Any other path under our prefix: a JSON 404 naming it, never Jupyter's HTML page (which clients
    then fail to parse as JSON)."""

    @endpoint
    async def get(self) -> None:
        raise web.HTTPError(404, f"no such route: {self.request.method} {self.request.path}")

    post = put = patch = delete = get


def _sse(event: str, data: str) -> str:
    lines = data.split("\n") or [""]
    return f"event: {event}\n" + "".join(f"data: {line}\n" for line in lines) + "\n"


JOB = r"(?P<job_id>[^/]+)"
RUN = r"(?P<run_id>[^/]+)"
ROUTES: list[tuple[str, type[SchedulerHandler]]] = [
    ("jobs", JobsHandler),
    (f"jobs/{JOB}", JobHandler),
    (f"jobs/{JOB}/pause", JobPauseHandler),
    (f"jobs/{JOB}/resume", JobResumeHandler),
    (f"jobs/{JOB}/runs", JobRunsHandler),
    (f"run/{JOB}", RunNowHandler),
    ("runs", RunsHandler),
    (f"runs/{RUN}", RunHandler),
    (f"runs/{RUN}/cancel", RunCancelHandler),
    (f"runs/{RUN}/log", RunLogHandler),
    (f"runs/{RUN}/stream", RunStreamHandler),
    ("events", EventsHandler),
    ("registry", RegistryHandler),
    (f"registry/{JOB}", RegistryEntryHandler),
    (f"registry/{JOB}/trigger", RegistryTriggerHandler),
    (f"registry/{JOB}/cancel", RegistryCancelHandler),
    ("plugins", PluginsHandler),
    ("triggers/preview", TriggerPreviewHandler),
    ("health", HealthHandler),
    ("config", ConfigHandler),
]


def route_table(routes: list[tuple[str, type[SchedulerHandler]]] = ROUTES) -> list[tuple[str, type[SchedulerHandler]]]:
    """Routes relative to the server's base URL (the extension app prefixes it)."""
    return [(url_path_join("/", NAMESPACE, path) + "/?", handler) for path, handler in routes]


def served_table() -> list[tuple[str, type[SchedulerHandler]]]:
    """Every route the extension serves, relative to our namespace: the MXX aliases first
    (``jobs/active`` is no job id), then ours, then the tables of modules built on this one's
    handlers, and the JSON 404 last."""
    from .artifacts import ROUTES as NOTEBOOK_ROUTES
    from .components import ROUTES as COMPONENT_ROUTES
    from .mxx_routes import ROUTES as MXX_ROUTES

    return [*MXX_ROUTES, *ROUTES, *NOTEBOOK_ROUTES, *COMPONENT_ROUTES, (".*", NoRouteHandler)]


def served_routes() -> list[tuple[str, type[SchedulerHandler]]]:
    return route_table(served_table())
