"""RFC 9457 problem details: every error leaves the portal as ``application/problem+json``.

The catch-all handler logs the traceback on the server and answers a generic 500, so no
stack trace or internal detail ever reaches a client.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sanic import Request
from sanic.exceptions import SanicException
from sanic.handlers import ErrorHandler
from sanic.response import HTTPResponse

log = logging.getLogger("portal.errors")

PROBLEM_TYPE = "https://buergerbot.invalid/problems/"
CONTENT_TYPE = "application/problem+json"

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class Problem(Exception):
    """An error with an RFC 9457 body; raise it in a handler to answer with it."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        slug: str | None = None,
        title: str | None = None,
        errors: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.slug = slug or _TITLES.get(status, "error").lower().replace(" ", "-")
        self.title = title or _TITLES.get(status, "Error")
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_TYPE + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors is not None:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


def problem_response(problem: Problem) -> HTTPResponse:
    return HTTPResponse(
        json.dumps(problem.body(), ensure_ascii=False),
        status=problem.status,
        headers=problem.headers,
        content_type=CONTENT_TYPE,
    )


def validation_problem(errors: dict[str, str]) -> Problem:
    return Problem(
        422,
        "Die Angaben sind nicht gültig. / The request data is not valid.",
        slug="validation-error",
        errors=errors,
    )


class ProblemErrorHandler(ErrorHandler):
    """Turns every exception, Sanic's own included, into a problem response."""

    def default(self, request: Request, exception: Exception) -> HTTPResponse:
        if isinstance(exception, Problem):
            return problem_response(exception)
        if isinstance(exception, SanicException) and exception.status_code < 500:
            return problem_response(_from_sanic(exception))
        log.error(
            "unhandled error on %s %s",
            getattr(request, "method", "?"),
            getattr(request, "path", "?"),
            exc_info=exception,
        )
        return problem_response(
            Problem(500, "Ein interner Fehler ist aufgetreten. / An internal error occurred.")
        )


def _from_sanic(exception: SanicException) -> Problem:
    status = exception.status_code
    headers: dict[str, str] = {}
    if status == 405:
        allowed = getattr(exception, "headers", {}) or {}
        headers = {k: str(v) for k, v in allowed.items() if k.lower() == "allow"}
    detail = {
        400: "Die Anfrage ist fehlerhaft. / The request is malformed.",
        404: "Diese Adresse gibt es nicht. / No such resource.",
        405: "Diese Methode ist hier nicht erlaubt. / Method not allowed here.",
        413: "Die Anfrage ist zu groß. / The request body is too large.",
    }.get(status, "Die Anfrage konnte nicht bearbeitet werden. / The request failed.")
    return Problem(status, detail, headers=headers)
