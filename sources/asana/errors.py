"""What can go wrong when talking to Asana, as exception types the sync can act on.

Messages never contain the token: they are built from Asana's error envelope and the request path.
"""

from __future__ import annotations

from typing import Any, Optional

import orjson


class AsanaError(Exception):
    """An answer from Asana that the sync cannot work around."""

    def __init__(self, message: str, status: Optional[int] = None, path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.path = path

    def __str__(self) -> str:
        where = f" ({self.path})" if self.path else ""
        status = f"HTTP {self.status}: " if self.status else ""
        return f"{status}{self.message}{where}"


class AuthError(AsanaError):
    """401: the token is missing, wrong or revoked (or a workspace disabled the app)."""


class ForbiddenError(AsanaError):
    """403: the token may not read this object."""


class NotFoundError(AsanaError):
    """404: the object does not exist (or was deleted)."""


class PremiumRequiredError(AsanaError):
    """402: the endpoint needs a premium domain (e.g. task search)."""


class TruncatedResultError(AsanaError):
    """400 on a late page: Asana truncated a very large result set; split the query."""


class ResultTooLargeError(AsanaError):
    """400 for an unpaginated list that is too large."""


class ExpiredOffsetError(AsanaError):
    """400: the pagination token expired (they live about 15 minutes); restart the listing."""


class SyncTokenError(AsanaError):
    """412 from the Events API: the sync token is missing or too old. Carries the fresh token."""

    def __init__(self, message: str, status: Optional[int], path: str, sync: Optional[str]) -> None:
        super().__init__(message, status, path)
        self.sync = sync


class MalformedResponseError(AsanaError):
    """A 2xx answer whose body is not the JSON envelope Asana documents."""


class TransientError(AsanaError):
    """Retries exhausted on 5xx answers or broken connections, or throttled past the patience."""


class UnreachableError(AsanaError):
    """Asana could not be reached before it answered once (refused, DNS, TLS, connect timeout):
    a wrong base_url, a machine without a route or a host that is down. Nothing was read."""


class InvalidOptionError(AsanaError):
    """An option of the source has a value it cannot work with."""


class UnknownWorkspaceError(InvalidOptionError):
    """A workspace asked for in the config is not visible to the token."""


# Answers meaning "this listing does not exist for this token": a premium feature on a free
# domain, an object the token may not open, an endpoint or object that is gone.
UNAVAILABLE = (PremiumRequiredError, ForbiddenError, NotFoundError)

# Failures that cost one object, not the run: recorded as a gap, the rest of the sync goes on.
# A 401 is among them once the token has been accepted (a workspace that disabled the app).
LOCAL_FAILURES = (AsanaError,)


def error_message(body: Any) -> str:
    """Extracts the message of Asana's error envelope.

    Expects ``{"errors": [{"message": "project: Missing input", "help": "...", "phrase": "..."}]}``.
    """
    if isinstance(body, dict) and isinstance(body.get("errors"), list) and body["errors"]:
        first = body["errors"][0]
        if isinstance(first, dict) and first.get("message"):
            message = str(first["message"])
            if first.get("phrase"):
                message += f" (phrase: {first['phrase']})"
            return message
    return "no error message"


def error_for(status: int, content: bytes, path: str) -> AsanaError:
    """The exception for a final (not retried) error answer."""
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        body = None
    message = error_message(body)
    lowered = message.lower()
    by_status = {401: AuthError, 402: PremiumRequiredError, 403: ForbiddenError, 404: NotFoundError}
    if status == 401:
        return AuthError(f"Asana rejected the access token ({message})", status, path)
    if status in by_status:
        return by_status[status](message, status, path)
    if status == 412:
        return SyncTokenError(message, status, path, body.get("sync") if isinstance(body, dict) else None)
    if status == 400 and (lowered.startswith("offset") or "pagination token" in lowered):
        return ExpiredOffsetError(message, status, path)
    if status == 400 and "truncat" in lowered:
        return TruncatedResultError(message, status, path)
    if status == 400 and "too large" in lowered:
        return ResultTooLargeError(message, status, path)
    return AsanaError(message, status, path)
