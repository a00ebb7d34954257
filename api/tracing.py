"""Request ids: every answer carries one, in ``X-Request-Id`` and the logs."""

from __future__ import annotations

import uuid


def request_id(incoming: str) -> str:
    """The caller's id when it is short and printable (it is echoed and logged), else a new
    one."""
    ok = 0 < len(incoming) <= 128 and incoming.isascii() and incoming.isprintable()
    return incoming if ok else uuid.uuid4().hex
