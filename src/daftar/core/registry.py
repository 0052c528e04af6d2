"""A registry of functions by name: how data (a workflow, an outbox message, a catalogue file)
names code that another app provides. Each app registers its functions from ``AppConfig.ready()``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

Fn = TypeVar("Fn", bound=Callable[..., Any])


class Registry(Generic[Fn]):
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, Fn] = {}

    def register(self, name: str) -> Callable[[Fn], Fn]:
        def decorator(fn: Fn) -> Fn:
            existing = self._items.get(name)
            if existing is not None and existing is not fn:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = fn
            return fn

        return decorator

    def get(self, name: str) -> Fn:
        try:
            return self._items[name]
        except KeyError:
            raise LookupError(f"unknown {self.kind} {name!r}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items))
