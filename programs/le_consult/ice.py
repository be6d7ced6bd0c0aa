"""The ICE servers a video call's browsers use (RTCPeerConnection's `iceServers`), from the environment.

None configured: host candidates only (one network, the tests). TURN credentials follow the TURN REST API
scheme coturn implements with `use-auth-secret`: the username is "<expiry>:<user id>", the password the
base64 HMAC-SHA1 of it under the shared secret, so the server checks them without a user table and a copied
page stops working at the expiry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from django.conf import settings


def ice_servers(user, *, now: float | None = None) -> list[dict]:
    servers: list[dict] = []
    if settings.TELEHEALTH_STUN_URLS:
        servers.append({"urls": list(settings.TELEHEALTH_STUN_URLS)})
    if settings.TELEHEALTH_TURN_URLS:
        expiry = int(now if now is not None else time.time()) + settings.TELEHEALTH_TURN_TTL_SECONDS
        username = f"{expiry}:{user.pk}"
        digest = hmac.new(settings.TELEHEALTH_TURN_SECRET.encode(), username.encode(), hashlib.sha1).digest()
        servers.append(
            {
                "urls": list(settings.TELEHEALTH_TURN_URLS),
                "username": username,
                "credential": base64.b64encode(digest).decode(),
            }
        )
    return servers
