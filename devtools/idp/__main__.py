"""`python -m devtools.idp`: the development IdP on `BIND_HOST`:`IDP_PORT` (default 8090)."""

from __future__ import annotations

import logging
import os

from devtools.idp.server import IdpSettings, create_app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # pysaml2 logs whole messages and the subject at INFO and below
    logging.getLogger("saml2").setLevel(logging.WARNING)
    settings = IdpSettings.from_env(dict(os.environ))
    app = create_app(settings)
    print(f"development IdP: {settings.public_url} (metadata at /metadata)", flush=True)
    app.run(host=settings.host, port=settings.port, workers=1, access_log=False, motd=False)


if __name__ == "__main__":
    main()
