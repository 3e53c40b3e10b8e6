"""IDP_METADATA at start: the development IdP's by default where that IdP exists, a clear
refusal where it does not (the production image has no devtools/) and for a placeholder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from portal import signing

ROOT = Path(__file__).resolve().parents[3]


def test_unset_is_the_development_idp_where_it_exists() -> None:
    assert signing.idp_metadata_source({"IDP_PORT": "9123"}) == "http://127.0.0.1:9123/metadata"


def test_unset_without_the_development_idp_stops_the_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(signing, "_development_idp_present", lambda: False)
    with pytest.raises(ValueError, match=r"IDP_METADATA is not set.*BundID"):
        signing.idp_metadata_source({})
    url = "https://id.bund.de/idp/metadata"
    assert signing.idp_metadata_source({"IDP_METADATA": url}) == url


def test_a_placeholder_or_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"http\(s\) URL or an existing file"):
        signing.idp_metadata_source({"IDP_METADATA": "SET-ME: the URL of BundID's metadata"})
    metadata = tmp_path / "bundid.xml"
    metadata.write_text("<EntityDescriptor/>", encoding="utf-8")
    assert signing.idp_metadata_source({"IDP_METADATA": str(metadata)}) == str(metadata)


@pytest.mark.integration
def test_the_portal_does_not_start_with_the_helm_placeholder(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "VAR_DIR": str(tmp_path),
        "PORTAL_DB_URL": f"sqlite:///{tmp_path / 'portal.db'}",
        "PORTAL_API_TOKEN": "t" * 32,
        "IDP_METADATA": "SET-ME: the URL of BundID's SAML metadata",
    }
    result = subprocess.run(
        [sys.executable, "-m", "portal"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "IDP_METADATA must be an http(s) URL or an existing file" in result.stderr
    assert "Traceback" not in result.stderr
