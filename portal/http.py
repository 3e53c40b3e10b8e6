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


def parse_body(request: Request, model: type[M]) -> M:
    """Parse the body strictly: malformed JSON is 400, wrong content 422 with field errors."""
    try:
        data = json.loads(request.body.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise Problem(
            400,
            "Der Inhalt ist kein gültiges JSON. / The body is not valid JSON.",
            slug="malformed-json",
        ) from exc
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
