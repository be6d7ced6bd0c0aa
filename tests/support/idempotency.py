"""Send one write twice with one Idempotency-Key, as a client retrying after a lost answer does."""

from __future__ import annotations

import uuid


def send_twice(client, method: str, path: str, body, *, content_type: str = "application/json"):
    """Both answers; asserts the second is the first one replayed (crisis/idempotency.py), not a second run."""
    key = str(uuid.uuid4())
    send = getattr(client, method.lower())
    first = send(path, body, content_type=content_type, headers={"Idempotency-Key": key})
    again = send(path, body, content_type=content_type, headers={"Idempotency-Key": key})
    assert first.status_code < 500, first.content
    assert "Idempotent-Replayed" not in first, "the first request must run, not replay"
    assert again.get("Idempotent-Replayed") == "true", (path, again.status_code, again.content)
    assert (again.status_code, again.content) == (first.status_code, first.content)
    return first, again
