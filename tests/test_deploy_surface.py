"""What the deployment files publish: the messenger webhooks, the web chat and the portal's
signing pages, nothing else; REST only when an operator turns it on; no token in a URL or a
proxy's log (docs/security.md, "Channels and sender ids")."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from bot.settings import ROOT

DEPLOY = ROOT / "deploy"
WEBHOOKS = {"/webhooks/telegram/webhook", "/webhooks/whatsapp/webhook", "/webhooks/rest/webhook"}
WEB_CHAT = {"/", "/datenschutz", "/static/", "/api/sessions", "/api/sessions/bot-messages"}
WEB_CHAT_SOCKET = {"/socket.io/"}
SIGNING = {"/signing/", "/saml/"}
PUBLIC = WEBHOOKS | WEB_CHAT | WEB_CHAT_SOCKET | SIGNING


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    return loaded


def locations(conf: str) -> dict[str, str]:
    """`location` -> its body, for the simple one-level blocks of our nginx files."""
    found = {}
    for match in re.finditer(r"location\s+(=\s*)?(\S+)\s*\{([^}]*)\}", conf):
        found[match.group(2)] = match.group(3)
    return found


def yaml_documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def test_compose_publishes_only_the_edge_and_the_staff_console_on_the_staff_network() -> None:
    # The demo profile (mail sink, development IdP) is never a production deployment.
    services = {
        n: s for n, s in compose()["services"].items() if "demo" not in s.get("profiles", [])
    }
    published = {name: s["ports"] for name, s in services.items() if s.get("ports")}
    assert set(published) == {"edge", "console"}
    for ports in published.values():
        assert all(str(p).startswith("${PUBLISH_HOST:-127.0.0.1}:") for p in ports)
    assert services["edge"]["volumes"] == ["./edge.conf:/etc/nginx/conf.d/default.conf:ro"]


def test_the_edge_passes_on_exactly_the_public_routes() -> None:
    conf = (DEPLOY / "edge.conf").read_text(encoding="utf-8")
    routes = locations(conf)
    assert set(routes) - {"/nginx-health"} == PUBLIC | {"/"}
    for path in WEBHOOKS:
        assert "proxy_pass http://rasa-proxy:8080;" in routes[path]
    for path in (WEB_CHAT - {"/"}) | WEB_CHAT_SOCKET:
        assert "proxy_pass http://webchat:8000;" in routes[path]
    for path in SIGNING:
        assert "proxy_pass http://portal:8080;" in routes[path]
    # `location = /` is the web chat's page; anything else (Rasa's API, the portal's /api/,
    # the console) ends at `location /`, which answers 404.
    assert re.search(r"location\s*=\s*/\s*\{\s*proxy_pass http://webchat:8000;", conf)
    assert re.search(r"location\s+/\s*\{\s*return 404;\s*\}", conf)
    # The client cannot name its own address to the services behind.
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf


def test_rest_is_off_unless_the_operator_turns_it_on() -> None:
    assert "REST_CHANNEL: ${REST_CHANNEL:-off}" in (DEPLOY / "compose.yaml").read_text()
    values = yaml.safe_load((DEPLOY / "helm" / "rasa-values.yaml").read_text(encoding="utf-8"))
    assert {"name": "REST_CHANNEL", "value": "off"} in values["extraEnv"]


def test_the_proxies_log_no_query_string_and_refuse_a_token_in_the_url() -> None:
    for name in ("edge.conf", "nginx.conf"):
        conf = (DEPLOY / name).read_text(encoding="utf-8")
        formats = re.findall(r"log_format\s+(\w+)\s+((?:'[^']*'\s*)+);", conf)
        assert formats, name
        for format_name, text in formats:
            for leaky in ("$request ", '$request"', "$request_uri", "$args", "$query_string"):
                assert leaky not in text, (name, leaky)
            assert f"access_log /var/log/nginx/access.log {format_name};" in conf
        assert 'if ($args ~* "(^|&)(token|auth_token)=") {\n        return 403;' in conf


def test_the_helm_files_publish_only_the_webhooks_the_web_chat_and_the_signing_pages() -> None:
    values = yaml.safe_load((DEPLOY / "helm" / "rasa-values.yaml").read_text(encoding="utf-8"))
    assert values["ingress"]["path"] == "/webhooks/"  # telegram, whatsapp, rest (off: 404)
    assert values["service"]["type"] == "ClusterIP"
    channels = values["applicationSettings"]["credentials"]["additionalChannelCredentials"]
    assert "bot.channels.webchat.SignedSocketIOInput" in channels and "socketio" not in channels
    assert "--jwt-secret=$(RASA_JWT_SECRET)" in values["args"]
    ingress_paths = {}
    for manifest in ("web.yaml", "portal.yaml"):
        for doc in yaml_documents(DEPLOY / "helm" / manifest):
            if doc["kind"] == "Ingress":
                for rule in doc["spec"]["rules"]:
                    for path in rule["http"]["paths"]:
                        ingress_paths[path["path"]] = path["backend"]["service"]["name"]
            if doc["kind"] == "Service":
                assert doc["spec"].get("type", "ClusterIP") == "ClusterIP"
    assert ingress_paths == {
        **{path: "buergerbot-webchat" for path in WEB_CHAT | WEB_CHAT_SOCKET},
        **{path: "buergerbot-portal" for path in SIGNING},
    }


def test_no_deployment_file_puts_a_token_in_a_url() -> None:
    for path in DEPLOY.rglob("*"):
        if path.is_file() and path.suffix in {".yaml", ".conf", ".example", ""}:
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not re.search(r"[?&]token=\$", text), path
            assert "status?token" not in text, path
