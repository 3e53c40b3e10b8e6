"""Links to a signed mandate's PDF that a citizen can open without the API token.

The API's document route needs the bearer token the assistant holds, which a citizen never
has. The link handed to the citizen carries an HMAC of the mandate id instead: unguessable
without the portal's token, checkable without any stored state.

>>> sig = signature("secret-token", "0" * 32)
>>> len(sig), is_valid("secret-token", "0" * 32, sig), is_valid("other", "0" * 32, sig)
(32, True, False)
"""

from __future__ import annotations

import hashlib
import hmac

PURPOSE = b"buergerbot mandate document link v1"


def signature(api_token: str, mandate_id: str) -> str:
    key = hmac.new(api_token.encode(), PURPOSE, hashlib.sha256).digest()
    return hmac.new(key, mandate_id.encode(), hashlib.sha256).hexdigest()[:32]


def is_valid(api_token: str, mandate_id: str, given: str) -> bool:
    return hmac.compare_digest(signature(api_token, mandate_id), given)


def url(public_url: str, api_token: str, mandate_id: str) -> str:
    return f"{public_url}/documents/{mandate_id}/{signature(api_token, mandate_id)}.pdf"
