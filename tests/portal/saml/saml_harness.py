"""The development IdP beside the portal harness and a login without a browser: both live in
tests/support/idp.py (the whole-system tests log in the same way); imported here by name for
the SAML tests."""

from __future__ import annotations

from tests.support.idp import IdpProcess, form_fields, idp_process, login

__all__ = ["IdpProcess", "form_fields", "idp_process", "login"]
