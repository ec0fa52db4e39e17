"""The source's options as one typed object: built once from what ``asana_source`` is given (dlt
resolves that from arguments, the environment, ``.dlt/config.toml`` and ``.dlt/secrets.toml``),
checked once, and carried by the run's ``SyncContext``.

Every check and every message about an option lives here::

    SourceOptions.of(access_token="1/123:abc", workspaces="123,456", max_concurrency=20).checked()
    -> SourceOptions(base_url='https://app.asana.com/api/1.0', workspaces=('123', '456'), ...)
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, ClassVar, Optional
from urllib.parse import urlsplit

from .errors import InvalidOptionError
from .retry import RetryPolicy
from .settings import (
    DEFAULT_BASE_URL,
    DEFAULT_LOOKBACK_SECONDS,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_REQUESTS_PER_MINUTE,
    PAGE_SIZE,
    RECONCILE_EVERY_RUN_BELOW,
    RECONCILE_INTERVAL_HOURS,
    SEARCH_REQUESTS_PER_MINUTE,
)

NO_TOKEN = ("no Asana access token: set SOURCES__ASANA__ACCESS_TOKEN or add access_token under [sources.asana] "
            "in .dlt/secrets.toml")
LIST_OPTIONS = ("workspaces", "teams", "exclude_teams")


def parse_list(value: Any) -> tuple[str, ...]:
    """``["123"]``, ``'["123"]'`` (JSON, from the environment) or ``"123,456"`` -> ``("123", "456")``."""
    if isinstance(value, str):
        text = value.strip()
        value = json.loads(text) if text.startswith("[") else text.split(",")
    return tuple(str(v).strip() for v in (value or []) if str(v).strip())


@dataclass(frozen=True)
class SourceOptions:
    """What a sync of Asana may be told; the defaults are Asana's paid-domain limits (see the
    ``asana_source`` docstring for each option's meaning)."""

    access_token: Optional[str] = field(default=None, repr=False)
    base_url: str = DEFAULT_BASE_URL
    workspaces: tuple[str, ...] = ()
    requests_per_minute: int = DEFAULT_REQUESTS_PER_MINUTE
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    lookback_seconds: int = DEFAULT_LOOKBACK_SECONDS
    page_size: int = PAGE_SIZE
    reconcile: str = "auto"
    attachments: str = "auto"
    incremental: str = "auto"
    search_requests_per_minute: int = SEARCH_REQUESTS_PER_MINUTE
    reconcile_below_tasks: int = RECONCILE_EVERY_RUN_BELOW
    reconcile_interval_hours: float = RECONCILE_INTERVAL_HOURS
    throttle_patience_seconds: int = 900
    max_attempts: int = 8
    teams: tuple[str, ...] = ()
    exclude_teams: tuple[str, ...] = ()

    WHOLE_NUMBERS: ClassVar[dict[str, tuple[int, int]]] = {
        "page_size": (1, 100), "max_concurrency": (1, 50), "requests_per_minute": (1, 10**9),
        "lookback_seconds": (0, 10**9), "throttle_patience_seconds": (1, 10**9), "max_attempts": (1, 100),
        "reconcile_below_tasks": (0, 10**12), "search_requests_per_minute": (1, 10**9),
    }
    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {
        "reconcile": ("auto", "always", "never"), "incremental": ("auto", "projects"),
        "attachments": ("auto", "always", "stories", "never"),
    }

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def of(cls, **values: Any) -> "SourceOptions":
        """The options from keyword values; None means the default, list options accept a list,
        JSON or a comma-separated string. Unknown names are refused."""
        unknown = sorted(set(values) - set(cls.names()))
        if unknown:
            raise InvalidOptionError(f"unknown source option(s) {', '.join(unknown)}; known: {', '.join(cls.names())}")
        given = {k: (parse_list(v) if k in LIST_OPTIONS else v) for k, v in values.items() if v is not None}
        if isinstance(given.get("access_token"), str):
            given["access_token"] = given["access_token"].strip()
        return cls(**given)

    def replace(self, **changes: Any) -> "SourceOptions":
        return dataclasses.replace(self, **{k: (parse_list(v) if k in LIST_OPTIONS else v)
                                            for k, v in changes.items()})

    def retry_policy(self) -> RetryPolicy:
        """How this run's requests are tried again: ``max_attempts`` and ``throttle_patience_seconds``."""
        return RetryPolicy(max_attempts=self.max_attempts, throttle_patience=self.throttle_patience_seconds)

    def checked(self) -> "SourceOptions":
        """These options, or InvalidOptionError naming the first that cannot work (never the token)."""
        check_token(self.access_token)
        check_base_url(self.base_url)
        for name, (low, high) in self.WHOLE_NUMBERS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise InvalidOptionError(f"{name} must be a whole number from {low} to {high}, not {value!r}")
        for name, allowed in self.CHOICES.items():
            if getattr(self, name) not in allowed:
                raise InvalidOptionError(f"{name} must be {', '.join(allowed[:-1])} or {allowed[-1]}, "
                                         f"not {getattr(self, name)!r}")
        hours = self.reconcile_interval_hours
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not 0 < hours <= 24 * 366:
            raise InvalidOptionError("reconcile_interval_hours must be a number of hours above 0 and at most a "
                                     f"year, not {hours!r}")
        if self.teams and self.exclude_teams:
            raise InvalidOptionError("set teams or exclude_teams, not both")
        bad = sorted(g for g in self.teams + self.exclude_teams if not g.isdigit())
        if bad:
            raise InvalidOptionError(f"teams are named by gid (digits), not {', '.join(map(repr, bad))}")
        return self


def check_token(token: Any) -> None:
    """What is wrong with the token, if anything; the message never contains it."""
    if token is None:
        raise InvalidOptionError(NO_TOKEN)
    value = str(token).strip()
    if not value:
        raise InvalidOptionError("the Asana access token is empty: set SOURCES__ASANA__ACCESS_TOKEN or access_token "
                                 "under [sources.asana] in .dlt/secrets.toml")
    if any(c.isspace() for c in value):
        raise InvalidOptionError("the Asana access token contains whitespace or a line break; copy it again "
                                 "(a personal access token is one word)")
    if not all(0x21 <= ord(c) <= 0x7E for c in value):
        raise InvalidOptionError("the Asana access token contains non-ASCII or control characters; copy it again "
                                 "(a personal access token is plain ASCII)")


def check_base_url(base_url: Any) -> None:
    text = str(base_url or "")
    problem = None
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as error:
        parts, problem = None, str(error)
    if problem is None and parts is not None:
        if any(c.isspace() for c in text):
            problem = "it contains whitespace"
        elif parts.scheme not in ("http", "https"):
            problem = "it must start with https:// (or http://)" if not parts.scheme else \
                f"scheme {parts.scheme!r} is not http or https"
        elif not parts.hostname:
            problem = "it has no host"
    if problem:
        shown = text if len(text) <= 200 else text[:110] + " ... " + text[-85:]
        raise InvalidOptionError(f"malformed base_url {shown!r}: {problem} (e.g. https://app.asana.com/api/1.0)")
