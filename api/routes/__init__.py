"""HTTP routes, one module per resource.

Every router here is made with ``route_class=JsonBodyRoute``, so every JSON request body is
read by the product's one JSON reader (``optimiser.io.load_json_noting_repeated_keys``), as
scenario documents and batch manifests are: a key given twice is a 422 naming it, never
silently the last value; so is a query parameter given twice (``?wait=30&wait=5``) or one the
operation does not take (``GET /jobs?colour=red``), named with those it takes; and a body sent as
another type than JSON is refused in words, not read as bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Coroutine
from typing import Any

from fastapi import Request, Response, params
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from models.scenario import Problem, ScenarioInvalid
from models.schema import shown
from optimiser.io import RepeatedKey, load_json_noting_repeated_keys, parse_json


class JsonBodyRequest(Request):
    """A request whose ``json()`` refuses a key given twice in one object (``ScenarioInvalid``)."""

    async def json(self) -> Any:
        if not hasattr(self, "_checked_json"):
            document, repeated = load_json_noting_repeated_keys(await self.body())
            if repeated:
                raise ScenarioInvalid([_repeated_key_problem(repeat) for repeat in repeated])
            self._checked_json = document
        return self._checked_json


def _repeated_key_problem(repeat: RepeatedKey) -> Problem:
    """Located as FastAPI locates the body's other problems (body.version); in ``overrides``, as
    every problem with an override is (docs/api.md): body.overrides.NAME, a message starting
    with NAME, "weights: 'budget' is given more than once (1, then 2); give it once"."""
    if repeat.path[:1] == ("overrides",) and len(repeat.path) > 1:
        name = str(repeat.path[1])
        inner = ".".join(str(step) for step in (*repeat.path[2:], repeat.key))
        return Problem("request", None, f"body.overrides.{name}", f"{name}: {shown(inner)} {repeat.message}")
    if repeat.path == ("overrides",):
        return Problem("request", None, f"body.overrides.{repeat.key}", f"{repeat.key}: {repeat.message}")
    location = ".".join(str(step) for step in ("body", *repeat.path, repeat.key))
    return Problem("request", None, location, repeat.message)


NOT_JSON = "the body must be JSON (Content-Type: application/json)"


def _is_json(content_type: str | None) -> bool:
    """As FastAPI decides to read a body as JSON: no type, application/json or application/*+json."""
    if not content_type:
        return True
    main, _, sub = content_type.partition(";")[0].strip().lower().partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


def _query_parameters(dependant: Dependant) -> tuple[str, ...]:
    """The names of the query parameters an operation reads, its dependencies' included, in
    the order they are declared."""
    names: dict[str, None] = {}
    pending = [dependant]
    while pending:
        current = pending.pop(0)
        names.update(dict.fromkeys(field.alias for field in current.query_params))
        pending.extend(current.dependencies)
    return tuple(names)


def repeated_query_problems(request: Request, names: Collection[str]) -> list[Problem]:
    """Each query parameter of ``names`` the request gives more than once: never silently one of them."""
    given: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        if name in names:
            given.setdefault(name, []).append(value)
    return [
        Problem(
            "request",
            None,
            f"query.{name}",
            f"is given more than once ({', then '.join(shown(value) for value in values)}); give it once",
        )
        for name, values in given.items()
        if len(values) > 1
    ]


def unknown_query_problems(request: Request, names: Collection[str]) -> list[Problem]:
    """Each query parameter the request gives that the operation does not take, named with
    those it takes (as a body's unknown field is): never silently ignored, so a filter the
    operation does not have (``GET /jobs?colour=red``) is not mistaken for one applied."""
    known = f"known: {', '.join(names)}" if names else "this operation takes none"
    unknown = dict.fromkeys(name for name in request.query_params if name not in names)
    return [
        Problem("request", None, f"query.{name}", f"unknown query parameter {shown(name)} ({known})")
        for name in unknown
    ]


def unreadable_body_problem(body: bytes) -> Problem:
    """Why a JSON body cannot be read (not JSON, not UTF-8, a number of thousands of digits,
    nesting too deep), in the words ``POST /scenarios`` uses for its body, the reading of a
    ``.json`` file (``optimiser.io.parse_json``), located as the request's other problems."""
    try:
        parse_json(body, "the request body")
    except ScenarioInvalid as invalid:
        return Problem("request", None, "body", invalid.problems[0].message)
    return Problem("request", None, "body", "the request body is not valid JSON")


class JsonBodyRoute(APIRoute):
    """A route whose JSON body is read by ``JsonBodyRequest``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        query_names = _query_parameters(self.dependant)

        async def handle_query(request: Request) -> Response:
            problems = unknown_query_problems(request, query_names) + repeated_query_problems(request, query_names)
            if problems:
                raise ScenarioInvalid(problems)
            return await handle(request)

        if self.body_field is None or isinstance(self.body_field.field_info, params.Form):
            return handle_query

        async def handle_json_body(request: Request) -> Response:
            request = JsonBodyRequest(request.scope, request.receive)
            # Read here, not first inside FastAPI's handler, which answers every error of its
            # own reading with "There was an error parsing the body".
            body = await request.body()
            if body and not _is_json(request.headers.get("content-type")):
                raise ScenarioInvalid([Problem("request", None, "body", NOT_JSON)])
            if body:
                try:
                    await request.json()
                except ScenarioInvalid:
                    raise
                except (ValueError, RecursionError):
                    raise ScenarioInvalid([unreadable_body_problem(body)]) from None
            return await handle_query(request)

        return handle_json_body
