"""Named guards and effects. Workflow definitions (data) refer to rules by name; the code for each
name is registered here once, by the app that owns the rule, from its ``AppConfig.ready()``.

A guard answers whether an action or automatic transition may happen now; an effect does
something when it happens (issue a certificate, notify the applicant). Both receive the case;
this module does not import the cases app so that the engine's layers stay one-directional.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise

from daftar.core.registry import Registry


@dataclass(frozen=True)
class GuardResult:
    ok: bool
    reason: str | Promise = ""
    # Not yet decidable (a document not reviewed, an exam not taken): it does not pass, but nothing
    # has failed either. Pages show such a rule as pending.
    pending: bool = False

    @classmethod
    def passed(cls) -> GuardResult:
        return cls(True)

    @classmethod
    def failed(cls, reason: str | Promise) -> GuardResult:
        return cls(False, reason)

    @classmethod
    def waiting(cls, reason: str | Promise) -> GuardResult:
        return cls(False, reason, pending=True)


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


guards: Registry[GuardFn] = Registry("guard")
effects: Registry[EffectFn] = Registry("effect")
