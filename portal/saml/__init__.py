"""The portal as SAML 2.0 service provider for BundID / the Servicekonto (pysaml2 + xmlsec1)."""
