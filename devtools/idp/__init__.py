"""The development identity provider: a real SAML 2.0 IdP (pysaml2) standing in for BundID.

Started by `make run` and the tests (`python -m devtools.idp`), never in production: the
production image has no `devtools/`.
"""
