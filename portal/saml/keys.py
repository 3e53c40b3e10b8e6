"""Key pairs for SAML: the service provider's (portal) and the development IdP's.

A city going live sets `SAML_SP_KEY` and `SAML_SP_CERT` to the files of the key pair it
registered with BundID; in development and tests a self-signed pair is made once under
`$VAR_DIR/keys` (never committed, like the seal key of the mandate PDFs).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def ensure_pair(key_path: Path, cert_path: Path, common_name: str) -> tuple[Path, Path]:
    """Return the paths, creating a self-signed RSA-3072 pair when either file is missing."""
    if key_path.exists() and cert_path.exists():
        return key_path, cert_path
    key_path.parent.mkdir(parents=True, exist_ok=True)
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3 * 365))
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    # written under a temporary name first: a second process starting at the same moment
    # never reads half a key
    partial = key_path.with_name(f"{key_path.name}.{os.getpid()}.part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    cert_partial = cert_path.with_name(f"{cert_path.name}.{os.getpid()}.part")
    cert_partial.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    partial.replace(key_path)
    cert_partial.replace(cert_path)
    return key_path, cert_path


def cert_body(cert_path: Path) -> str:
    """The certificate's base64 body without PEM armour (as metadata carries it)."""
    lines = cert_path.read_text(encoding="ascii").strip().splitlines()
    return "".join(line for line in lines if not line.startswith("-----"))
