"""Request helpers shared by the blueprints: body parsing, JSON answers, the portal context."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sanic import Request
from sanic.response import HTTPResponse

from portal.context import Portal
from portal.problems import Problem, validation_problem
from portal.schemas import field_errors

M = TypeVar("M", bound=BaseModel)


def portal(request: Request) -> Portal:
    value: Portal = request.app.ctx.portal
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# No request of the API nests deeper than a few levels; deeper JSON is refused before anything
# walks it (json.loads itself overflows Python's stack at about a thousand levels: a 500).
MAX_JSON_DEPTH = 32


def load_json(request: Request) -> Any:
    """The body as JSON; 400 when it is not JSON or nests deeper than ``MAX_JSON_DEPTH``."""
    try:
        data = json.loads(request.body.decode("utf-8"), parse_constant=_refuse_constant)
    except RecursionError:
        data = None
        too_deep = True
    except (UnicodeDecodeError, ValueError) as exc:
        raise Problem(
            400,
            "Der Inhalt ist kein gültiges JSON. / The body is not valid JSON.",
            slug="malformed-json",
        ) from exc
    else:
        too_deep = _depth(data) > MAX_JSON_DEPTH
    if too_deep:
        raise Problem(
            400,
            f"Das JSON ist tiefer als {MAX_JSON_DEPTH} Ebenen verschachtelt."
            f" / The JSON is nested deeper than {MAX_JSON_DEPTH} levels.",
            slug="json-too-deep",
        )
    return data


def _depth(value: Any) -> int:
    """How deeply lists and objects nest (iterative: no recursion on hostile input).

    >>> _depth(1), _depth([]), _depth({"a": [1, {"b": []}]})
    (0, 1, 4)
    """
    deepest = 0
    pending = [(value, 1)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, level + 1) for child in children)
    return deepest


def parse_body(request: Request, model: type[M]) -> M:
    """Parse the body strictly: malformed or too deep JSON is 400, wrong content 422 with field
    errors."""
    data = load_json(request)
    if not isinstance(data, dict):
        raise validation_problem({"body": "muss ein JSON-Objekt sein / must be a JSON object"})
    nulls = {key: "darf nicht null sein / must not be null" for key in _null_paths(data)}
    if nulls:
        raise validation_problem(nulls)
    try:
        return model.parse_obj(data)
    except ValidationError as exc:
        raise validation_problem(field_errors(exc)) from exc


def _null_paths(value: Any, prefix: str = "") -> list[str]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _null_paths(v, f"{prefix}{k}.")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _null_paths(v, f"{prefix}{i}.")]
    return [prefix.rstrip(".")] if value is None else []


def answer(
    model: BaseModel, status: int = 200, headers: dict[str, str] | None = None
) -> HTTPResponse:
    return HTTPResponse(
        model.json(), status=status, headers=headers, content_type="application/json"
    )


def utc(value: dt.datetime) -> dt.datetime:
    """Attach UTC to a stored naive time."""
    return value.replace(tzinfo=dt.timezone.utc)


def not_found(detail: str = "Nicht gefunden. / Not found.") -> Problem:
    return Problem(404, detail)
