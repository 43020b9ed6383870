"""HTTP routes, one module per resource.

Every router here is made with ``route_class=JsonBodyRoute``, so every JSON request body is
read by the product's one JSON reader (``optimiser.io.load_json_noting_repeated_keys``), as
scenario documents and batch manifests are: a key given twice is a 422 naming it, never
silently the last value.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response, params
from fastapi.routing import APIRoute

from models.scenario import Problem, ScenarioInvalid
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
    # Located as FastAPI locates the body's other problems: body.overrides.budget_gbp
    location = ".".join(str(step) for step in ("body", *repeat.path, repeat.key))
    return Problem("request", None, location, repeat.message)


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
        if self.body_field is None or isinstance(self.body_field.field_info, params.Form):
            return handle

        async def handle_json_body(request: Request) -> Response:
            request = JsonBodyRequest(request.scope, request.receive)
            # Read here, not first inside FastAPI's handler, which answers every error of its
            # own reading with "There was an error parsing the body".
            body = await request.body()
            if body:
                try:
                    await request.json()
                except ScenarioInvalid:
                    raise
                except (ValueError, RecursionError):
                    raise ScenarioInvalid([unreadable_body_problem(body)]) from None
            return await handle(request)

        return handle_json_body
