"""The mandate PDF, sealed with the city's key (PAdES baseline signature, pyHanko).

A self-signed demo key and certificate are created under ``$VAR_DIR/keys`` on first start; a city
going live puts its own seal certificate there instead.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import textwrap
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from text_unidecode import unidecode

KEY_FILE = "seal-key.pem"
CERT_FILE = "seal-cert.pem"


def ensure_demo_seal(keys_dir: Path, organisation: str) -> tuple[Path, Path]:
    """Return the key and certificate paths, creating a self-signed pair when none exists."""
    key_path, cert_path = keys_dir / KEY_FILE, keys_dir / CERT_FILE
    if key_path.exists() and cert_path.exists():
        return key_path, cert_path
    keys_dir.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation[:64]),
            x509.NameAttribute(NameOID.COMMON_NAME, "Demo-Siegel (nicht für den Echtbetrieb)"),
        ]
    )
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3 * 365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem_key)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


class Sealer:
    """Seals PDFs with one key; thread-safe since each call builds its own writer."""

    def __init__(self, key_path: Path, cert_path: Path, location: str) -> None:
        signer = signers.SimpleSigner.load(  # type: ignore[no-untyped-call]
            str(key_path), str(cert_path)
        )
        if signer is None:
            raise ValueError(f"cannot load the seal key {key_path}")
        self._signer = signer
        self._location = location

    def seal(self, pdf: bytes) -> bytes:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        meta = signers.PdfSignatureMetadata(
            field_name="Siegel",
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason="SEPA-Lastschriftmandat",
            location=self._location,
        )
        out = signers.sign_pdf(writer, meta, signer=self._signer)
        return bytes(out.getvalue())


def render_pdf(title: str, paragraphs: list[str]) -> bytes:
    """A one-page A4 PDF of plain paragraphs (Helvetica, WinAnsi), with no extra library."""
    lines: list[str] = []
    for paragraph in paragraphs:
        for raw in paragraph.split("\n"):
            lines.extend(textwrap.wrap(raw, width=92) or [""])
        lines.append("")
    body = [b"BT /F1 15 Tf 50 790 Td (" + _pdf_text(title) + b") Tj ET"]
    body.append(b"BT /F1 9.5 Tf 13 TL 50 760 Td")
    for line in lines[:52]:
        body.append(b"(" + _pdf_text(line) + b") Tj T*")
    body.append(b"ET")
    return _assemble(b"\n".join(body))


def _pdf_text(value: str) -> bytes:
    encoded = bytearray()
    for char in value:
        try:
            encoded += char.encode("cp1252")
        except UnicodeEncodeError:
            encoded += unidecode(char).encode("ascii", "replace")
    return bytes(encoded).replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _assemble(content: bytes) -> bytes:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)
