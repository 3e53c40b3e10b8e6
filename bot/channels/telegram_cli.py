"""Registers the Telegram webhook with its secret (setWebhook), or shows what is registered.

    python -m bot.channels.telegram set-webhook --url https://city.example/webhooks/telegram/webhook
    python -m bot.channels.telegram webhook-info

Reads TELEGRAM_TOKEN, TELEGRAM_WEBHOOK_SECRET and TELEGRAM_API_URL from the environment (and
`.env`). Telegram then sends every update with the secret in the header
X-Telegram-Bot-Api-Secret-Token, which the channel checks. The token is never printed.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from bot.settings import resolve

TIMEOUT = httpx.Timeout(15.0, connect=5.0)
# What the channel handles; Telegram then does not even send the rest (polls, channel posts…).
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
# Telegram sends webhooks to these ports only, and requires the secret in this alphabet.
WEBHOOK_PORTS = {443, 80, 88, 8443}
SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,256}")


class SetupError(Exception):
    """A problem the operator fixes; its text is printed as is."""


def webhook_url_problem(url: str) -> str | None:
    """Why Telegram would refuse this webhook URL, or None.

    >>> webhook_url_problem("https://city.example/webhooks/telegram/webhook") is None
    True
    >>> webhook_url_problem("http://city.example/webhooks/telegram/webhook")
    'Die URL muss mit https:// beginnen (Telegram ruft nur HTTPS auf).'
    >>> webhook_url_problem("https://city.example:5005/webhooks/telegram/webhook")
    'Telegram ruft nur die Ports 443, 80, 88 und 8443 auf, nicht 5005.'
    """
    try:
        parts = urlsplit(url)
        port = parts.port or 443
    except ValueError:
        return "Die URL ist ungültig."
    if parts.scheme != "https" or not parts.hostname:
        return "Die URL muss mit https:// beginnen (Telegram ruft nur HTTPS auf)."
    if port not in WEBHOOK_PORTS:
        return f"Telegram ruft nur die Ports 443, 80, 88 und 8443 auf, nicht {port}."
    return None


def _config(env: Mapping[str, str]) -> tuple[str, str, str]:
    token = env.get("TELEGRAM_TOKEN", "")
    secret = env.get("TELEGRAM_WEBHOOK_SECRET", "")
    if not token:
        raise SetupError("TELEGRAM_TOKEN ist nicht gesetzt (das Token von @BotFather).")
    if not SECRET_SHAPE.fullmatch(secret):
        raise SetupError(
            "TELEGRAM_WEBHOOK_SECRET fehlt oder passt nicht: 1 bis 256 Zeichen aus A-Z, a-z, "
            "0-9, _ und - (z. B. python -c 'import secrets; print(secrets.token_urlsafe(32))')."
        )
    api_url = (env.get("TELEGRAM_API_URL") or "https://api.telegram.org").rstrip("/")
    return token, secret, api_url


def _call(api_url: str, token: str, method: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The `result` of a Bot API call; SetupError with Telegram's reason otherwise."""
    try:
        response = httpx.post(f"{api_url}/bot{token}/{method}", json=payload, timeout=TIMEOUT)
    except httpx.HTTPError as error:
        # The error's text would contain the URL, and with it the token.
        raise SetupError(
            f"Telegram ist nicht erreichbar ({type(error).__name__}) unter {api_url}."
        ) from None
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    if not response.is_success or not isinstance(answer, dict) or not answer.get("ok"):
        reason = answer.get("description") if isinstance(answer, dict) else None
        raise SetupError(
            f"Telegram lehnt {method} ab (HTTP {response.status_code}): {reason or 'ohne Grund'}."
        )
    return answer


def set_webhook(env: Mapping[str, str], url: str, drop_pending: bool) -> str:
    problem = webhook_url_problem(url)
    if problem:
        raise SetupError(problem)
    token, secret, api_url = _config(env)
    payload = {
        "url": url,
        "secret_token": secret,
        "allowed_updates": ALLOWED_UPDATES,
        "drop_pending_updates": drop_pending,
        "max_connections": 40,
    }
    answer = _call(api_url, token, "setWebhook", payload)
    described = answer.get("description") or "Webhook was set"
    return (
        f"Webhook registriert / registered: {url}\n"
        f"  Updates: {', '.join(ALLOWED_UPDATES)}; Telegram sagt / says: {described}"
    )


def webhook_info(env: Mapping[str, str]) -> str:
    token, _, api_url = _config(env)
    result = _call(api_url, token, "getWebhookInfo", {}).get("result")
    info: dict[str, Any] = result if isinstance(result, dict) else {}
    lines = [f"URL: {info.get('url') or '(keine / none)'}"]
    lines.append(f"Wartende Updates / pending: {info.get('pending_update_count', 0)}")
    if info.get("last_error_message"):
        lines.append(f"Letzter Fehler / last error: {info['last_error_message']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.channels.telegram", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    register = commands.add_parser("set-webhook", help="setWebhook with the secret")
    register.add_argument("--url", required=True, help="public HTTPS URL of the webhook route")
    register.add_argument(
        "--drop-pending-updates",
        action="store_true",
        help="forget updates Telegram still holds (e.g. after a long outage)",
    )
    commands.add_parser("webhook-info", help="getWebhookInfo: URL, pending updates, last error")
    args = parser.parse_args(argv)
    settings_env = resolve(env).env if env is not None else resolve().env
    try:
        if args.command == "set-webhook":
            print(set_webhook(settings_env, args.url, args.drop_pending_updates))
        else:
            print(webhook_info(settings_env))
    except SetupError as problem:
        print(f"Fehler / error: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
