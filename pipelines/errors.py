"""Exit codes, the one-line ``SyncError`` and ``explain``, which turns any failure into one of them.

Every message is one line with the reason first; a long one is shortened in the middle, so the cause
(which dlt and the database drivers tend to put last) is never cut off.
"""

from __future__ import annotations

import re
from typing import Optional

import duckdb
import psycopg2
import tomlkit.exceptions
from dlt.common.configuration.exceptions import ConfigFieldMissingException, ConfigurationException
from dlt.common.destination.exceptions import (
    DestinationTerminalException,
    DestinationTransientException,
    DestinationUndefinedEntity,
)
from dlt.destinations.exceptions import DatabaseException

from sources.asana.errors import AsanaError, AuthError, InvalidOptionError, UnreachableError
from sources.asana.options import NO_TOKEN

# Exit codes, documented in docs/operations/exit-codes.md (status's own in docs/operations/monitoring.md).
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CONFIG = 2
EXIT_AUTH = 3
EXIT_LOCKED = 4
EXIT_API = 5
EXIT_GAPS = 6
EXIT_DESTINATION = 7
EXIT_MODELS = 8
EXIT_UNREACHABLE = 9  # Asana could not be reached at all (refused, DNS, TLS, timeout): retry later
# Health codes of `status` (besides the last run's own code):
EXIT_STALE = 10  # the last success is older than --max-age
EXIT_UNFINISHED = 11  # the first sync was stopped or killed midway and no run is going on with it
EXIT_INTERRUPTED = 130  # the shell's convention for SIGINT (128 + 2)
EXIT_KILLED = 137  # a run killed outright (the shell's code for SIGKILL, 128 + 9), as status reports it

MAX_MESSAGE = 600


class SyncError(Exception):
    """A failure with a one-line, user-facing reason and the exit code cron should see.
    ``recorded``: the run it ended has left its record (``sync.record``) already."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.recorded = False


def shorten(text: str, limit: int = MAX_MESSAGE) -> str:
    """One line; when longer than ``limit``, the middle is replaced by `` ... `` (head and tail kept)."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    head = int(limit * 0.55)
    tail = limit - head - 5
    return f"{text[:head].rstrip()} ... {text[-tail:].lstrip()}"


_QUALIFIED = re.compile(r"^(?:[A-Za-z_][\w]*\.)+([A-Za-z_]\w*(?:Error|Exception|Relation|Entity|Failed|Warning)): ")
_TERMINAL_JOB = re.compile(r"^Job with `?job_id=`?(?P<job>[^` ]+)`?.*?failed terminally with message:\s*(?P<reason>.*)$",
                           re.S)


def clean(text: str) -> str:
    """A possibly multi-line message (dlt embeds whole tracebacks) as one line without the frames."""
    kept = []
    in_traceback = False
    for line in str(text).splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("Traceback (most recent call last)"):
            in_traceback = True
            continue
        if in_traceback:
            if line[:1].isspace() or stripped.startswith("File \"") or set(stripped) <= set("^~ "):
                continue
            in_traceback = False
        kept.append(_QUALIFIED.sub(r"\1: ", stripped))
    return " ".join(kept)


def reason_of(exc: BaseException) -> str:
    """The message of ``exc`` as one clean line, reason first (dlt's job failures put it last)."""
    text = str(exc).strip() or type(exc).__name__
    match = _TERMINAL_JOB.match(text.strip())
    if match:
        return f"{clean(match.group('reason'))} (load job {match.group('job')})"
    return clean(text)


def first_line(exc: BaseException, limit: int = MAX_MESSAGE) -> str:
    """Kept under its old name: the whole reason on one line, shortened in the middle if long."""
    return shorten(reason_of(exc), limit)


def find_cause(exc: BaseException, kind: type | tuple) -> Optional[BaseException]:
    """dlt wraps errors raised inside resources; find the first one of ``kind`` in the chain."""
    seen = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kind):
            return current
        stack.extend([getattr(current, "exception", None), current.__cause__, current.__context__])
    return None


def root_cause(exc: BaseException) -> BaseException:
    root = exc
    seen = set()
    while id(root) not in seen:
        seen.add(id(root))
        nxt = getattr(root, "exception", None) or root.__cause__
        if not isinstance(nxt, BaseException):
            break
        root = nxt
    return root


# Exceptions raised by the warehouse itself: its drivers, or dlt's wrappers of them.
DATABASE_ERRORS = (DestinationTerminalException, DestinationTransientException, DestinationUndefinedEntity,
                   DatabaseException, psycopg2.Error, duckdb.Error)


def explain(exc: BaseException) -> SyncError:
    """Turn any failure into a one-line reason and an exit code; never includes the token."""
    if isinstance(exc, SyncError):
        return exc
    wrapped = find_cause(exc, SyncError)
    if wrapped is not None:
        return wrapped  # type: ignore[return-value]
    if find_cause(exc, KeyboardInterrupt) is not None:
        return SyncError("interrupted", EXIT_INTERRUPTED)
    missing = find_cause(exc, ConfigFieldMissingException)
    if missing is not None:
        fields = ", ".join(getattr(missing, "fields", []) or [])
        if "access_token" in fields:
            return SyncError(NO_TOKEN, EXIT_CONFIG)
        return SyncError(f"missing configuration: {fields or first_line(missing)}", EXIT_CONFIG)
    for kind, code in ((InvalidOptionError, EXIT_CONFIG), (AuthError, EXIT_AUTH), (UnreachableError, EXIT_UNREACHABLE),
                       (AsanaError, EXIT_API)):
        cause = find_cause(exc, kind)
        if cause is not None:
            return SyncError(shorten(str(cause)), code)
    cause = find_cause(exc, DATABASE_ERRORS)
    if cause is not None:
        return SyncError(f"destination error: {first_line(root_cause(cause))}", EXIT_DESTINATION)
    disk = find_cause(exc, OSError)
    if disk is not None and getattr(disk, "errno", None) is not None:
        return SyncError(f"cannot write {getattr(disk, 'filename', None) or 'a file'}: "
                         f"{getattr(disk, 'strerror', None) or first_line(disk)}", EXIT_DESTINATION)
    config_error = _config_error(exc)
    if config_error is not None:
        return config_error
    root = root_cause(exc)
    return SyncError(f"{type(root).__name__}: {first_line(root)}", EXIT_ERROR)


def _config_error(exc: BaseException) -> Optional[SyncError]:
    parse_error = find_cause(exc, tomlkit.exceptions.ParseError)
    if parse_error is not None:
        return SyncError(f"malformed config file: {first_line(parse_error)}", EXIT_CONFIG)
    cause = find_cause(exc, ConfigurationException)
    if cause is not None:
        return SyncError(f"configuration error: {first_line(cause)}", EXIT_CONFIG)
    return None
