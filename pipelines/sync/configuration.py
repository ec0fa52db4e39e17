"""The run's options, resolved once: what the source may be told (``SourceOptions``, from explicit
values, the environment, ``.dlt/config.toml`` and ``.dlt/secrets.toml`` the dlt way) and the
spelling checks dlt does not make (an unknown option or a misspelled section is silently ignored
by dlt; here it is exit 2 with a suggestion).
"""

from __future__ import annotations

import difflib
import inspect
import os
from pathlib import Path
from typing import Any, Optional

import tomlkit
from dlt.common.configuration import resolve_configuration
from dlt.common.configuration.exceptions import ConfigurationException
from dlt.common.configuration.inject import get_fun_spec
from dlt.common.reflection.spec import spec_from_signature

from sources.asana import asana_source
from sources.asana.errors import InvalidOptionError
from sources.asana.options import SourceOptions

from ..errors import EXIT_CONFIG, SyncError, clean, first_line, shorten


def resolve_options(explicit: Optional[dict] = None) -> SourceOptions:
    """The source's options from ``explicit`` values over dlt's configuration, checked; exit 2 with
    the reason when one cannot work (never the token itself)."""
    check_config_keys()
    try:
        config = resolve_source_config(explicit)
        return SourceOptions.of(**{name: getattr(config, name, None) for name in SourceOptions.names()}).checked()
    except ConfigurationException as error:
        raise SyncError(f"configuration error: {shorten(clean(str(error)))}", EXIT_CONFIG) from None
    except InvalidOptionError as error:
        raise SyncError(shorten(str(error)), EXIT_CONFIG) from None


def resolve_source_config(explicit: Optional[dict] = None) -> Any:
    """The source's configuration as dlt resolves it for ``asana_source`` (partial: nothing required)."""
    function = getattr(asana_source, "_f", asana_source)
    spec = get_fun_spec(function)
    if spec is None:  # pragma: no cover - dlt registers the spec when the source is decorated
        spec, _ = spec_from_signature(function, inspect.signature(function))
    section = asana_source.section or inspect.getmodule(function).__name__.split(".")[-1]
    name = asana_source.name or function.__name__
    values = {k: v for k, v in (explicit or {}).items() if k in spec.get_resolvable_fields()}
    return resolve_configuration(spec(), sections=("sources", section, name), explicit_value=values,
                                 accept_partial=True)


def check_config_keys(cwd: Optional[Path] = None) -> None:
    """Refuse unknown options under [sources.asana] and SOURCES__ASANA__*, naming the likely intent:
    dlt would silently ignore them."""
    known = SourceOptions.names()

    def unknown(key: str, where: str) -> SyncError:
        option = key.lower().removeprefix("sources__asana__")
        close = difflib.get_close_matches(option, known, n=1, cutoff=0.7)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known options: {', '.join(known)}"
        return SyncError(f"unknown option {key!r} in {where}{hint}", EXIT_CONFIG)

    folder = (cwd or Path.cwd()) / ".dlt"
    for name in ("config.toml", "secrets.toml"):
        path = folder / name
        if not path.exists():
            continue
        try:
            document = tomlkit.parse(path.read_text(encoding="utf-8"))
        except Exception as exc:  # noqa: BLE001 - tomlkit's own parse errors
            raise SyncError(f"malformed config file {path}: {first_line(exc)}", EXIT_CONFIG) from None
        _check_section_names(document, str(path))
        section = document.get("sources", {}).get("asana", {})
        for key, value in section.items():
            if not isinstance(value, dict) and key not in known:
                raise unknown(key, f"{path} [sources.asana]")
    for key in os.environ:
        _check_env_section(key)
        if key.upper().startswith("SOURCES__ASANA__"):
            option = key[len("SOURCES__ASANA__"):].lower()
            if "__" not in option and option not in known:
                raise unknown(key, "the environment")


def _looks_like(name: str, target: str) -> bool:
    name = name.lower()
    return name != target and difflib.SequenceMatcher(None, name, target).ratio() >= 0.8


def _check_section_names(document: Any, where: str) -> None:
    """A section that looks like ours ([source.asana], [sources.asanna]) is a typo dlt would ignore."""
    for top, value in document.items():
        if not isinstance(value, dict):
            continue
        if top == "sources":
            names = [k for k, v in value.items() if isinstance(v, dict) and _looks_like(k, "asana")]
            if names:
                raise SyncError(f"unknown section [sources.{names[0]}] in {where}; did you mean [sources.asana]?",
                                EXIT_CONFIG)
        elif _looks_like(top, "sources"):
            names = [k for k, v in value.items() if isinstance(v, dict) and (k == "asana" or _looks_like(k, "asana"))]
            if names:
                raise SyncError(f"unknown section [{top}.{names[0]}] in {where}; did you mean [sources.asana]?",
                                EXIT_CONFIG)


def _check_env_section(key: str) -> None:
    parts = key.split("__")
    if len(parts) < 3:
        return
    first, second = parts[0].lower(), parts[1].lower()
    if (first, second) == ("sources", "asana"):
        return
    if (first == "sources" or _looks_like(first, "sources")) and (second == "asana" or _looks_like(second, "asana")):
        raise SyncError(f"unknown environment variable {key!r}; did you mean "
                        f"'SOURCES__ASANA__{'__'.join(parts[2:])}'?", EXIT_CONFIG)
