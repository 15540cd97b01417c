"""Every route of the REST API refuses requests that are not authenticated (or not authorized).

Requests are made with tornado's ``AsyncHTTPClient`` straight to the server, so no credentials are
added behind our back. Each refusal is checked to change nothing, and each route is also called
with the token to prove the refusal was about the credentials, not a broken route. A static check
makes sure every route method goes through ``endpoint`` (``@web.authenticated`` + ``@authorized``).
"""

from __future__ import annotations

import ast
import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jupyter_server.auth import Authorizer
from jupyter_server.utils import url_path_join
from tornado.httpclient import AsyncHTTPClient, HTTPResponse
from tornado.simple_httpclient import HTTPTimeoutError

from pipeline_scheduler.api import handlers

TOKEN = "secret-test-token"  # conftest sets IdentityProvider.token to this
HTTP_METHODS = ("get", "post", "put", "delete", "patch", "head", "options")
JOB_ID = "guarded"
VALID_JOB = {"pipeline_path": "ok.py", "schedule_type": "interval", "interval_seconds": 3600}
# A matching XSRF cookie and header (tornado accepts any value that is the same in both), so that
# POST/PUT/DELETE without credentials reach the authentication check instead of stopping at XSRF.
FORGED_XSRF = {"Cookie": "_xsrf=forged", "X-XSRFToken": "forged"}


ARTIFACT = "(?P<name>[^/]+)"


def route_methods() -> list[tuple[str, str]]:
    """(route, METHOD) for every method our handlers define, from the table the extension serves
    (the JSON 404 for unknown paths aside: it is checked by the other routes' wrong paths)."""
    found = []
    for route, handler in handlers.served_table():
        if handler is handlers.NoRouteHandler:
            continue
        for name in HTTP_METHODS:
            method = getattr(handler, name)
            ours = method.__module__.startswith("pipeline_scheduler.api")  # not tornado's / jupyter's defaults
            if (route, handler) not in handlers.ROUTES and name not in vars(handler):
                ours = False  # an alias (``jobs/active``) inherits what the route it shadows serves
            if ours:
                found.append((route, name.upper()))
    return found


def concrete(route: str, job_id: str, run_id: str) -> str:
    return (route.replace(handlers.JOB, job_id).replace(handlers.RUN, run_id).replace(ARTIFACT, "executed.ipynb")
            .replace("(?P<job_id>active)", "active"))


ROUTE_METHODS = route_methods()
ROUTE_IDS = [f"{method} {concrete(route, '{job_id}', '{run_id}')}" for route, method in ROUTE_METHODS]

# What each route needs to succeed with the token, and the status it then answers.
BODIES: dict[tuple[str, str], Any] = {
    ("jobs", "POST"): {**VALID_JOB, "id": "another"},
    (f"jobs/{handlers.JOB}", "PUT"): {"name": "renamed"},
    ("triggers/preview", "POST"): {"schedule_type": "interval", "interval_seconds": 60},
    ("registry", "POST"): {"job_id": "registered", "config": {"os": {"cmd": "echo hi"}}},
    ("components-config", "POST"): {"content": "[components]\nsources = [\n]\n"},
    ("components-file", "POST"): {"filename": "component.py", "content": "print('component')\n"},
}
STREAMS = {"events"}  # answered as Server-Sent Events that never end by themselves
SUCCESS: dict[tuple[str, str], int] = {
    ("components-file", "DELETE"): 400,  # no ?filename=: reached the handler, which names the field
    ("notebooks/parameters", "GET"): 400,  # no ?path=
    (f"runs/{handlers.RUN}/artifacts/{ARTIFACT}", "GET"): 404,  # a script's run keeps no notebook
    (f"jobs/{handlers.JOB}/runs", "POST"): 202,
    (f"runs/{handlers.RUN}/cancel", "POST"): 409,  # the run has finished: reached the handler, which refuses
    # the guarded job is a Python file, not a runner config: the registry handlers answer that
    **{(f"registry/{handlers.JOB}{suffix}", method): 404
       for suffix, method in (("", "GET"), ("", "DELETE"), ("/trigger", "POST"), ("/cancel", "POST"))},
}


class DenySchedulerAuthorizer(Authorizer):
    """Allows everything but our resource, and remembers what it was asked."""

    asked: list[tuple[str, str]] = []

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        self.asked.append((action, resource))
        return resource != handlers.AUTH_RESOURCE


@pytest.fixture
def authorizer_class() -> type[Authorizer] | None:
    return None


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any], authorizer_class: type[Authorizer] | None) -> dict[str, Any]:
    config = copy.deepcopy(jp_server_config)
    # The server-wide switch would refuse unauthenticated requests before our handlers run; turned
    # on, only our own decorators stand between an anonymous request and the scheduler.
    config["ServerApp"]["allow_unauthenticated_access"] = True
    if authorizer_class is not None:
        config["ServerApp"]["authorizer_class"] = authorizer_class
    return config


@pytest.fixture
def fetch(http_server: Any, jp_http_port: int, jp_base_url: str) -> Callable:
    """``await fetch(method, path, headers=..., body=...)`` with exactly the headers given.

    ``http_server`` (pytest-jupyter) is what makes the server listen on ``jp_http_port``.
    """
    client = AsyncHTTPClient()

    async def call(method: str, path: str, *, headers: dict[str, str] | None = None, body: Any = None,
                   query: str = "", namespace: str = handlers.NAMESPACE, **options: Any) -> HTTPResponse:
        url = f"http://localhost:{jp_http_port}{url_path_join(jp_base_url, namespace, path)}"
        if body is None and method in ("POST", "PUT"):
            body = b""
        elif body is not None and not isinstance(body, bytes):
            body = json.dumps(body).encode()
        return await client.fetch(url + (f"?{query}" if query else ""), method=method, headers=headers or {},
                                  body=body, allow_nonstandard_methods=True, raise_error=False,
                                  follow_redirects=False, **{"request_timeout": 20, **options})

    return call


def assert_refused(response: HTTPResponse, what: str) -> None:
    text = response.body.decode(errors="replace")
    assert response.code in (401, 403), f"{what}: expected 401/403, got {response.code}: {text[:300]}"
    assert "json" in response.headers.get("Content-Type", ""), f"{what}: not JSON: {text[:300]}"
    assert "Traceback" not in text


async def login_cookie(fetch: Callable) -> str:
    """The signed identity cookie the server sets when the token is given in the URL."""
    response = await fetch("GET", "health", query=f"token={TOKEN}")
    assert response.code == 200, response.body
    cookies = [cookie.split(";")[0] for cookie in response.headers.get_list("Set-Cookie")]
    identity = [cookie for cookie in cookies if cookie.startswith("username-")]
    assert len(identity) == 1, cookies
    return identity[0]


def tampered(cookie: str) -> str:
    """The same cookie with the last character of its signature changed."""
    body, last = cookie.rstrip('"')[:-1], cookie.rstrip('"')[-1]
    return body + ("0" if last != "0" else "1") + ('"' if cookie.endswith('"') else "")


async def state(api: Callable) -> tuple[Any, Any]:
    jobs, runs = await api("GET", "jobs"), await api("GET", "runs")
    assert jobs[0] == 200 and runs[0] == 200
    return jobs, runs


@pytest.mark.parametrize(("route", "method"), ROUTE_METHODS, ids=ROUTE_IDS)
async def test_route_refuses_missing_or_wrong_credentials(api: Callable, fetch: Callable, write_script: Callable,
                                                          route: str, method: str) -> None:
    write_script("ok.py", "print('ok')\n")
    assert (await api("POST", "jobs", {**VALID_JOB, "id": JOB_ID}))[0] == 200
    code, result = await api("POST", f"run/{JOB_ID}")
    assert code == 200, result
    path = concrete(route, JOB_ID, str(result["run_id"]))
    body = BODIES.get((route, method))
    forged_cookie = f"{tampered(await login_cookie(fetch))}; _xsrf=forged"
    before = await state(api)

    attempts = {
        "no credentials": ({}, ""),
        "no credentials, XSRF pair": (FORGED_XSRF, ""),
        "wrong token header": ({"Authorization": "token wrong-token", **FORGED_XSRF}, ""),
        "wrong bearer token": ({"Authorization": "Bearer wrong-token", **FORGED_XSRF}, ""),
        "wrong token in query": (FORGED_XSRF, "token=wrong-token"),
        "tampered login cookie": ({"Cookie": forged_cookie, "X-XSRFToken": "forged"}, ""),
    }
    for what, (headers, query) in attempts.items():
        response = await fetch(method, path, headers=headers, body=body, query=query)
        assert_refused(response, f"{method} {path} with {what}")
        assert await state(api) == before, f"{method} {path} with {what} changed the jobs or runs"

    if route in STREAMS:  # endless: the token must get the stream started
        chunks: list[bytes] = []
        with pytest.raises(HTTPTimeoutError):
            await fetch(method, path, headers={"Authorization": f"token {TOKEN}"}, streaming_callback=chunks.append,
                        request_timeout=1.5)
        assert chunks and chunks[0].startswith(b": connected"), chunks
        return
    response = await fetch(method, path, headers={"Authorization": f"token {TOKEN}"}, body=body)
    expected = SUCCESS.get((route, method), 200)
    assert response.code == expected, f"{method} {path} with the token: {response.code} {response.body[:300]!r}"


async def test_cookie_authenticated_writes_need_the_xsrf_token(api: Callable, fetch: Callable,
                                                               write_script: Callable) -> None:
    write_script("ok.py", "print('ok')\n")
    assert (await api("POST", "jobs", {**VALID_JOB, "id": JOB_ID}))[0] == 200
    cookie = await login_cookie(fetch)

    # the cookie alone is a working credential for reads...
    reading = await fetch("GET", f"jobs/{JOB_ID}", headers={"Cookie": cookie})
    assert reading.code == 200, reading.body
    before = await state(api)

    # ...but not for writes without the XSRF token
    for method, path, body in [("POST", "jobs", {**VALID_JOB, "id": "csrf"}), ("PUT", f"jobs/{JOB_ID}", {"name": "x"}),
                               ("DELETE", f"jobs/{JOB_ID}", None), ("POST", f"jobs/{JOB_ID}/pause", None),
                               ("POST", f"run/{JOB_ID}", None)]:
        refused = await fetch(method, path, headers={"Cookie": cookie}, body=body)
        assert_refused(refused, f"{method} {path} with a login cookie and no XSRF token")
        assert "xsrf" in refused.body.decode().lower()
        assert await state(api) == before

    # with the XSRF token the same cookie may write
    allowed = await fetch("POST", "jobs", headers={"Cookie": f"{cookie}; _xsrf=abc123", "X-XSRFToken": "abc123"},
                          body={**VALID_JOB, "id": "csrf"})
    assert allowed.code == 200, allowed.body
    assert (await api("GET", "jobs/csrf"))[0] == 200


@pytest.mark.parametrize("authorizer_class", [DenySchedulerAuthorizer])
async def test_every_route_asks_the_authorizer(fetch: Callable,
                                               authorizer_class: type[DenySchedulerAuthorizer]) -> None:
    """With an authorizer that denies ``pipeline-scheduler``, a valid token gets 403 on every route."""
    token = {"Authorization": f"token {TOKEN}"}
    status = await fetch("GET", "status", headers=token, namespace="api")
    assert status.code == 200, "the token works for the rest of the server"
    for route, method in ROUTE_METHODS:
        path = route.replace(handlers.JOB, "some-job").replace(handlers.RUN, "1")
        authorizer_class.asked.clear()
        response = await fetch(method, path, headers=token, body=BODIES.get((route, method)))
        assert_refused(response, f"{method} {path} denied by the authorizer")
        expected_action = "read" if method == "GET" else "write"
        assert (expected_action, handlers.AUTH_RESOURCE) in authorizer_class.asked, (method, path,
                                                                                      authorizer_class.asked)


# -- static checks -----------------------------------------------------------------------------

def decorator_names(function: ast.AsyncFunctionDef | ast.FunctionDef) -> list[str]:
    names = []
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        names.append(ast.unparse(target))
    return names


def test_every_handler_method_in_the_source_is_decorated_with_endpoint() -> None:
    checked, unguarded = [], []
    for module in Path(handlers.__file__).parent.glob("*.py"):  # every module of the API package
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef):
                continue
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name in HTTP_METHODS:
                    checked.append(f"{node.name}.{item.name}")
                    if "endpoint" not in decorator_names(item):
                        unguarded.append(f"{module.name}: {node.name}.{item.name} (line {item.lineno})")
    assert len(checked) >= len(ROUTE_METHODS) - 1, checked  # JobResumeHandler inherits JobPauseHandler.post
    assert not unguarded, f"route methods without @endpoint: {unguarded}"


def wrapper_chain(function: Callable) -> list[str]:
    """Where each layer of a decorated function comes from: ``file:function`` outermost first."""
    chain = []
    while function is not None:
        code = function.__code__
        chain.append(f"{Path(code.co_filename).as_posix()}:{code.co_name}")
        function = getattr(function, "__wrapped__", None)
    return chain


@pytest.mark.parametrize(("route", "method"), ROUTE_METHODS, ids=ROUTE_IDS)
def test_every_route_method_is_authenticated_then_authorized(route: str, method: str) -> None:
    handler = dict(handlers.served_table())[route]
    assert issubclass(handler, handlers.SchedulerHandler)
    chain = wrapper_chain(getattr(handler, method.lower()))
    assert chain[0].endswith("tornado/web.py:wrapper"), f"outermost layer is not @web.authenticated: {chain}"
    assert chain[1].endswith("jupyter_server/auth/decorator.py:inner"), f"second layer is not @authorized: {chain}"
    assert "/pipeline_scheduler/api/" in chain[-1] and chain[-1].endswith(f":{method.lower()}"), chain
    assert handler.auth_resource == handlers.AUTH_RESOURCE


def test_the_route_list_covers_what_the_server_serves() -> None:
    """The table the auth tests walk is the one the extension registers."""
    registered = {pattern for pattern, _ in handlers.served_routes()}
    walked = {route for route, _ in ROUTE_METHODS}
    assert len(registered) == len(handlers.served_table()) >= 14
    assert {pattern for pattern, _ in handlers.route_table([(route, handlers.SchedulerHandler) for route in walked])} \
        == registered - {pattern for pattern, handler in handlers.served_routes() if handler is handlers.NoRouteHandler}
    assert {"GET", "POST", "PUT", "DELETE"} <= {method for _, method in ROUTE_METHODS}
