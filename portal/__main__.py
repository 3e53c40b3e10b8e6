"""``python -m portal``: check the settings, migrate, seed, then serve.

``python -m portal collections …`` runs a step of the treasury instead (`portal.treasury_cli`),
``python -m portal retention [--dry-run]`` the retention (`portal.retention_cli`).
"""

from __future__ import annotations

import logging
import sys


def main() -> int:
    if sys.argv[1:2] == ["collections"]:
        from portal import treasury_cli

        logging.basicConfig(level=logging.WARNING)
        return treasury_cli.main(sys.argv[2:])
    if sys.argv[1:2] == ["retention"]:
        from portal import retention_cli

        logging.basicConfig(level=logging.WARNING)
        return retention_cli.main(sys.argv[2:])
    return serve()


def serve() -> int:
    # Imported here, not at the top: the scheduled commands above need neither the web app nor
    # SAML and pyHanko, whose import alone takes seconds (they run every day, and in the tests
    # dozens of times).
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from portal import context, signing
    from portal.app import create_app
    from portal.settings import Settings, SettingsError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"portal: {exc}", file=sys.stderr)
        return 2
    try:
        # the signing settings are read again when the app starts; here a wrong or, in
        # production, missing IDP_METADATA stops the start with its name instead of a trace
        signing.SigningConfig.for_settings(settings)
    except ValueError as exc:
        print(f"portal: {exc}", file=sys.stderr)
        return 2
    try:
        context.prepare(settings)
    except SQLAlchemyError as exc:
        url = make_url(settings.db_url).render_as_string(hide_password=True)
        print(
            f"portal: the database {url} cannot be used: {exc.__class__.__name__}", file=sys.stderr
        )
        return 3
    app = create_app(settings)
    for name in ("sanic.root", "sanic.error", "sanic.access"):
        # Sanic has its own handlers; passing records on to the root logger printed them twice
        logging.getLogger(name).propagate = False
    print(f"portal: http://{settings.bind_host}:{settings.port}", flush=True)
    app.run(
        host=settings.bind_host,
        port=settings.port,
        workers=1,
        access_log=True,
        motd=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
