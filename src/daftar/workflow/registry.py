"""Named guards and effects. Workflow definitions (data) refer to rules by name; the code for each
name is registered here once, by the app that owns the rule, from its ``AppConfig.ready()``.

A guard answers whether an action or automatic transition may happen now; an effect does
something when it happens (issue a certificate, notify the applicant). Both receive the case;
this module does not import the cases app so that the engine's layers stay one-directional.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.utils.functional import Promise

Fn = TypeVar("Fn", bound=Callable[..., Any])


@dataclass(frozen=True)
class GuardResult:
    ok: bool
    reason: str | Promise = ""

    @classmethod
    def passed(cls) -> GuardResult:
        return cls(True)

    @classmethod
    def failed(cls, reason: str | Promise) -> GuardResult:
        return cls(False, reason)


@dataclass
class EffectContext:
    """What an effect may want to know about the transition that triggered it."""

    actor: Any  # accounts.User or None for the system
    action: str
    from_state: str
    to_state: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    reason: str = ""


GuardFn = Callable[[Any], GuardResult]
EffectFn = Callable[[Any, EffectContext], None]


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


guards: Registry[GuardFn] = Registry("guard")
effects: Registry[EffectFn] = Registry("effect")
