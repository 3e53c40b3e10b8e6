"""Every route of the console's router declares who may use it (console/guard.py): a new route
without a declaration fails here, and the admin-only set is the one the threat model names."""

from __future__ import annotations

from sanic import Sanic

from console import guard
from console.app import create_app
from console.config import ConsoleConfig

# The routes only admins may use (docs/security.md, "Staff console").
ADMIN_ROUTES = {
    "admin.users_page",
    "admin.save_user",
    "admin.delete_user",
    "admin.access_log_page",
    "admin.access_log_export",
    "conversations.export_raw",
    "conversations.delete",
    "conversations.reveal_conversation",
}
PUBLIC_ROUTES = {"health", "favicon", "stylesheet", "auth.index", "auth.login"}


def console_app() -> Sanic:
    config = ConsoleConfig(
        "sqlite://", "sqlite://", "admin", "a" * 16, "secret", "http://127.0.0.1:9", "token"
    )
    Sanic._app_registry.pop("buergerbot_console", None)  # one app of that name per process
    return create_app(config)


def roles() -> dict[str, str | None]:
    app = console_app()
    prefix = app.name + "."
    return {
        route.name.removeprefix(prefix): guard.role_of(route.handler) for route in app.router.routes
    }


def test_every_route_declares_a_role() -> None:
    found = roles()
    assert len(found) >= 20
    undeclared = sorted(name for name, role in found.items() if role is None)
    assert undeclared == [], f"routes without guard.public/reviewer/admin: {undeclared}"


def test_the_admin_and_public_routes_are_exactly_the_known_ones() -> None:
    found = roles()
    assert {name for name, role in found.items() if role == guard.ADMIN} == ADMIN_ROUTES
    assert {name for name, role in found.items() if role == guard.PUBLIC} == PUBLIC_ROUTES


def test_a_handler_without_declaration_has_no_role() -> None:
    async def forgotten() -> None:
        return None

    assert guard.role_of(forgotten) is None
    assert guard.role_of(guard.admin(forgotten)) == guard.ADMIN
