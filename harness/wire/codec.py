"""Messages to and from JSON: dataclasses out, and back in only as the type they declare.

Every message crossing the wire is a dataclass of harness.wire.messages. `encode` makes it JSON-ready;
`decode` rebuilds it field by field from its type hints, and refuses anything else: an unknown kind,
an unknown or missing field, a value of the wrong type. A child's answer is a claim, so the parent
reads it as exactly the type it expects, or not at all. Written here rather than taken from a
validation library: the children import nothing beyond torch and the standard library.
"""
from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from pathlib import Path
from typing import Any


class Malformed(ValueError):
    """A message that is not what it claims to be; the text names the field."""


def encode(message: Any) -> dict[str, Any]:
    """{"kind": the dataclass's name, "body": its fields as JSON values}."""
    return {"kind": type(message).__name__, "body": _plain(message)}


def decode(data: Any, *kinds: type) -> Any:
    """The message in `data` as one of `kinds` (dataclasses), or Malformed saying why not."""
    if not isinstance(data, dict) or set(data) != {"kind", "body"}:
        raise Malformed("a message is an object with a kind and a body")
    by_name = {kind.__name__: kind for kind in kinds}
    if data["kind"] not in by_name:
        raise Malformed(f"expected {' or '.join(by_name)}, got {str(data['kind'])[:40]!r}")
    return _value(by_name[data["kind"]], data["body"], data["kind"])


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Path):
        return str(value)
    return value


@functools.lru_cache(maxsize=None)
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _value(kind: Any, value: Any, where: str) -> Any:
    """`value` as `kind`: a dataclass, an enum, list[...], dict[...], an optional or a plain JSON type."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if kind is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        for option in args:
            try:
                return _value(option, value, where)
            except Malformed:
                continue
        raise Malformed(f"{where} is {_shown(value)}, not {kind}")
    if origin is list:
        _expect(isinstance(value, list), where, value, "a list")
        return [_value(args[0], item, f"{where}[{i}]") for i, item in enumerate(value)]
    if origin is dict:
        _expect(isinstance(value, dict), where, value, "an object")
        return {_key(args[0], k, where): _value(args[1], v, f"{where}[{k!r}]") for k, v in value.items()}
    if dataclasses.is_dataclass(kind):
        return _record(kind, value, where)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        try:
            return kind(value)
        except ValueError:
            raise Malformed(f"{where} is {_shown(value)}, not a {kind.__name__}") from None
    if kind is type(None):
        _expect(value is None, where, value, "null")
        return None
    if kind is float:
        _expect(isinstance(value, (int, float)) and not isinstance(value, bool), where, value, "a number")
        return float(value)
    if kind is int:
        _expect(isinstance(value, int) and not isinstance(value, bool), where, value, "an integer")
        return value
    if kind in (str, bool):
        _expect(isinstance(value, kind), where, value, f"a {kind.__name__}")
        return value
    raise TypeError(f"{where}: messages cannot carry {kind}")  # a message definition the codec does not know


def _record(kind: type, value: Any, where: str) -> Any:
    _expect(isinstance(value, dict), where, value, f"a {kind.__name__}")
    fields = {f.name: f for f in dataclasses.fields(kind)}
    unknown = set(value) - set(fields)
    if unknown:
        raise Malformed(f"{where} has no field {sorted(unknown)[0][:40]!r}")
    missing = [name for name, f in fields.items() if name not in value and f.default is dataclasses.MISSING
               and f.default_factory is dataclasses.MISSING]
    if missing:
        raise Malformed(f"{where} lacks {missing[0]!r}")
    hints = _hints(kind)
    return kind(**{name: _value(hints[name], item, f"{where}.{name}") for name, item in value.items()})


def _key(kind: Any, key: str, where: str) -> Any:
    if kind is int:
        try:
            return int(key)
        except ValueError:
            raise Malformed(f"{where} has the key {key[:40]!r}, not an integer") from None
    return key


def _expect(ok: bool, where: str, value: Any, what: str) -> None:
    if not ok:
        raise Malformed(f"{where} is {_shown(value)}, not {what}")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
