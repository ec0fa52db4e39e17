"""Asana's list pagination: an opaque cursor in ``next_page.offset``."""

from __future__ import annotations

from typing import Any, Mapping, Optional

from .settings import PAGE_SIZE


class CursorPaginator:
    """Follows Asana's cursor pagination.

    Expects pages like ``{"data": [...], "next_page": {"offset": "eyJ0eXAi...", "path": "...",
    "uri": "..."}}`` and ``"next_page": null`` on the last one. The ``offset`` is an opaque,
    expiring cursor, not a number. ``limit`` must be sent, or Asana returns no ``next_page``.
    """

    def __init__(self, limit: int = PAGE_SIZE) -> None:
        self.limit = limit
        self.cursor: Optional[str] = None
        self.has_more = True

    def update_request(self, params: Mapping[str, Any]) -> dict:
        params = {**params, "limit": self.limit}
        if self.cursor:
            params["offset"] = self.cursor
        return params

    def update_state(self, page: Mapping[str, Any]) -> None:
        next_page = page.get("next_page")
        self.cursor = next_page.get("offset") if isinstance(next_page, dict) else None
        self.has_more = bool(self.cursor)
