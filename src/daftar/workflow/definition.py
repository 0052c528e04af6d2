"""Workflow definitions as data: compile (validate and expand) and read them.

``workflow_compile`` turns an author's definition (from a catalogue file or the admin) into the
stored form: every state and action spelled out, the shared states (correction, suspension,
withdrawal, rejection) added, and every name checked. A definition that cannot run is refused
with every problem listed, each naming the state and action concerned.

The stored form is plain JSON so a case can pin it; ``Workflow`` is a read-only view over it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from daftar.accounts.roles import ROLE_BY_CODE

from .registry import effects, guards

APPLICANT = "applicant"
RETURN = "@return"  # "back to the state the case came from" (after correction or suspension)

CORRECTION, SUSPENDED, WITHDRAWN, REJECTED = "correction", "suspended", "withdrawn", "rejected"
SHARED_STATES = (CORRECTION, SUSPENDED, WITHDRAWN, REJECTED)
SHARED_GROUPS = {
    "correction": CORRECTION,
    "suspension": SUSPENDED,
    "withdrawal": WITHDRAWN,
    "rejection": REJECTED,
}
SHARED_ACTIONS = ("request_correction", "resubmit", "suspend", "resume", "withdraw", "reject")
REASON_MODES = ("none", "optional", "required")
OUTCOMES = ("approved", "rejected", "withdrawn")
# Roles that act for the applicant: the citizen online, or an operator at the counter.
FILER_ROLES = [APPLICANT, "office_operator"]

_SHARED_NAMES: dict[str, dict[str, str]] = {
    CORRECTION: {"fa": "نقص مدارک", "en": "Correction requested"},
    SUSPENDED: {"fa": "معلق", "en": "Suspended"},
    WITHDRAWN: {"fa": "انصراف متقاضی", "en": "Withdrawn"},
    REJECTED: {"fa": "رد شده", "en": "Rejected"},
    "request_correction": {"fa": "درخواست رفع نقص", "en": "Request correction"},
    "resubmit": {"fa": "ارسال مجدد پس از رفع نقص", "en": "Resubmit"},
    "suspend": {"fa": "تعلیق پرونده", "en": "Suspend"},
    "resume": {"fa": "ازسرگیری پرونده", "en": "Resume"},
    "withdraw": {"fa": "انصراف از درخواست", "en": "Withdraw"},
    "reject": {"fa": "رد درخواست", "en": "Reject"},
}


class DefinitionError(ValueError):
    """A workflow definition that cannot run. ``problems`` lists every fault found."""

    def __init__(self, label: str, problems: list[str]) -> None:
        self.label = label
        self.problems = problems
        super().__init__(f"{label}: " + "; ".join(problems))


def known_roles() -> set[str]:
    return set(ROLE_BY_CODE) | {APPLICANT}


def _names(value: Any, fallback: str) -> dict[str, str]:
    if isinstance(value, Mapping):
        return {"fa": str(value.get("fa") or fallback), "en": str(value.get("en") or "")}
    if isinstance(value, str) and value:
        return {"fa": value, "en": ""}
    return {"fa": fallback, "en": ""}


def _str_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value]


class _Compiler:
    def __init__(self, raw: Mapping[str, Any], label: str) -> None:
        self.raw = raw
        self.label = label
        self.problems: list[str] = []
        self.roles = known_roles()

    def problem(self, text: str) -> None:
        self.problems.append(text)

    def check_names(
        self,
        where: str,
        *,
        roles: Iterable[str] = (),
        guard_names: Iterable[str] = (),
        effect_names: Iterable[str] = (),
    ) -> None:
        for role in roles:
            if role not in self.roles:
                self.problem(f"{where}: unknown role {role!r}")
        for name in guard_names:
            if name not in guards:
                self.problem(f"{where}: unknown guard {name!r}")
        for name in effect_names:
            if name not in effects:
                self.problem(f"{where}: unknown effect {name!r}")

    def action(self, state: str, name: str, spec: Any) -> dict[str, Any] | None:
        where = f"state {state!r}, action {name!r}"
        if not isinstance(spec, Mapping):
            self.problem(f"{where}: must be a mapping with 'to' and 'roles'")
            return None
        roles, action_guards, action_effects = (
            _str_list(spec.get("roles")),
            _str_list(spec.get("guards")),
            _str_list(spec.get("effects")),
        )
        if not roles:
            self.problem(f"{where}: no role may take it")
        self.check_names(where, roles=roles, guard_names=action_guards, effect_names=action_effects)
        reason = str(spec.get("reason", "none"))
        if reason not in REASON_MODES:
            self.problem(f"{where}: reason must be one of {', '.join(REASON_MODES)}")
        return {
            "name": _names(spec.get("name"), name),
            "to": str(spec.get("to", "")),
            "roles": roles,
            "guards": action_guards,
            "effects": action_effects,
            "reason": reason,
            "public": bool(spec.get("public", True)),
            "shared": False,
        }

    def actions(self, state: str, raw: Any) -> dict[str, dict[str, Any]]:
        result: dict[str, dict[str, Any]] = {}
        items: list[tuple[str, Any]]
        if raw is None:
            items = []
        elif isinstance(raw, Mapping):
            items = [(str(key), value) for key, value in raw.items()]
        elif isinstance(raw, list):
            items = [(str(item.get("name", "")) if isinstance(item, Mapping) else "", item) for item in raw]
        else:
            self.problem(f"state {state!r}: actions must be a mapping or a list")
            items = []
        for name, spec in items:
            if not name:
                self.problem(f"state {state!r}: an action has no name")
                continue
            if name in result:
                self.problem(f"state {state!r}: duplicate action {name!r}")
                continue
            if name in SHARED_ACTIONS:
                self.problem(f"state {state!r}: action name {name!r} is reserved for the shared states")
                continue
            if isinstance(spec, Mapping) and isinstance(spec.get("name"), str) and isinstance(raw, list):
                spec = {key: value for key, value in spec.items() if key != "name"}
            compiled = self.action(state, name, spec)
            if compiled is not None:
                result[name] = compiled
        return result

    def state(self, name: str, spec: Any) -> dict[str, Any]:
        spec = spec if isinstance(spec, Mapping) else {}
        terminal = bool(spec.get("terminal", False))
        outcome = spec.get("outcome", "approved" if terminal else None)
        if outcome is not None and outcome not in OUTCOMES:
            self.problem(f"state {name!r}: outcome must be one of {', '.join(OUTCOMES)}")
        sla = spec.get("sla_working_days")
        if sla is not None and (not isinstance(sla, int) or isinstance(sla, bool) or sla < 0):
            self.problem(f"state {name!r}: sla_working_days must be a whole number of days")
            sla = None
        on_overdue = spec.get("on_overdue") or {}
        escalate = _str_list(on_overdue.get("escalate_to")) if isinstance(on_overdue, Mapping) else []
        # Roles whose inbox shows the state although its work is done outside an action (an exam's
        # score recorded on its own page, after which an automatic transition moves the case on).
        waiting_on = _str_list(spec.get("waiting_on"))
        self.check_names(
            f"state {name!r}",
            roles=[*escalate, *waiting_on],
            effect_names=_str_list(spec.get("effects_on_enter")),
        )
        autos = []
        for index, auto in enumerate(spec.get("auto") or []):
            if not isinstance(auto, Mapping) or not auto.get("to"):
                self.problem(f"state {name!r}: automatic transition {index + 1} needs 'to'")
                continue
            auto_guards = _str_list(auto.get("guards"))
            self.check_names(f"state {name!r}, automatic transition {index + 1}", guard_names=auto_guards)
            autos.append(
                {"to": str(auto["to"]), "guards": auto_guards, "effects": _str_list(auto.get("effects"))}
            )
            self.check_names(f"state {name!r}", effect_names=autos[-1]["effects"])
        actions = self.actions(name, spec.get("actions"))
        # A state that waits on the applicant (paying the bill) stops the SLA clock.
        clock = spec.get("clock", "running")
        if clock not in ("running", "paused"):
            self.problem(f"state {name!r}: clock must be running or paused")
            clock = "running"
        if terminal and (actions or autos):
            self.problem(f"state {name!r}: a terminal state cannot have actions")
        compiled = {
            "name": _names(spec.get("name"), name),
            "terminal": terminal,
            "outcome": outcome if terminal else None,
            "sla_working_days": sla,
            "clock": clock,
            "escalate_to": escalate,
            "effects_on_enter": _str_list(spec.get("effects_on_enter")),
            "auto": autos,
            "actions": actions,
            "shared": False,
        }
        if waiting_on:  # only when used, so definitions published before it keep their hash
            compiled["waiting_on"] = waiting_on
        return compiled

    def compile(self) -> dict[str, Any]:
        raw_states = self.raw.get("states")
        if not isinstance(raw_states, Mapping) or not raw_states:
            raise DefinitionError(self.label, ["the workflow has no states"])
        start = str(self.raw.get("start", ""))
        states: dict[str, dict[str, Any]] = {}
        for name, spec in raw_states.items():
            if name in SHARED_STATES:
                self.problem(f"state name {name!r} is reserved for the shared states")
                continue
            states[str(name)] = self.state(str(name), spec)
        if start not in states:
            self.problem(f"start state {start!r} is not defined")
        for name, state in states.items():
            for action_name, action in state["actions"].items():
                if action["to"] not in states:
                    self.problem(
                        f"state {name!r}, action {action_name!r}: leads to unknown state {action['to']!r}"
                    )
            for auto in state["auto"]:
                if auto["to"] not in states:
                    self.problem(
                        f"state {name!r}: automatic transition leads to unknown state {auto['to']!r}"
                    )
            if not state["terminal"] and not state["actions"] and not state["auto"]:
                self.problem(f"state {name!r} is a dead end: it is not terminal and has no action")
        if not any(state["terminal"] for state in states.values()):
            self.problem("the workflow has no terminal state")
        if self.problems:
            raise DefinitionError(self.label, self.problems)
        self.check_graph(start, states)
        if self.problems:
            raise DefinitionError(self.label, self.problems)
        groups = self.raw.get("shared", list(SHARED_GROUPS))
        unknown = [group for group in _str_list(groups) if group not in SHARED_GROUPS]
        if unknown:
            raise DefinitionError(self.label, [f"unknown shared group {group!r}" for group in unknown])
        self.add_shared(states, {SHARED_GROUPS[group] for group in _str_list(groups)})
        if self.problems:
            raise DefinitionError(self.label, self.problems)
        return {"start": start, "order": list(states), "states": states}

    def check_graph(self, start: str, states: dict[str, dict[str, Any]]) -> None:
        edges = {
            name: {a["to"] for a in s["actions"].values()} | {a["to"] for a in s["auto"]}
            for name, s in states.items()
        }
        seen, queue = {start}, deque([start])
        while queue:
            for target in edges[queue.popleft()]:
                if target not in seen:
                    seen.add(target)
                    queue.append(target)
        for name in states:
            if name not in seen:
                self.problem(f"state {name!r} is unreachable from the start state {start!r}")
        # Every state must be able to end: no loop the case can never leave.
        reverse: dict[str, set[str]] = {name: set() for name in states}
        for source, targets in edges.items():
            for target in targets:
                reverse[target].add(source)
        ends = {name for name, s in states.items() if s["terminal"]}
        can_end, queue = set(ends), deque(ends)
        while queue:
            for source in reverse[queue.popleft()]:
                if source not in can_end:
                    can_end.add(source)
                    queue.append(source)
        for name in seen:
            if name not in can_end:
                self.problem(f"state {name!r} can never reach a terminal state")

    def add_shared(self, states: dict[str, dict[str, Any]], chosen: set[str]) -> None:
        def shared_action(name: str, to: str, roles: list[str], reason: str) -> dict[str, Any]:
            return {
                "name": _SHARED_NAMES[name],
                "to": to,
                "roles": roles,
                "guards": [],
                "effects": [],
                "reason": reason,
                "public": True,
                "shared": True,
            }

        def shared_state(
            name: str, *, terminal: bool, outcome: str | None = None, actions: dict[str, Any] | None = None
        ) -> dict[str, Any]:
            return {
                "name": _SHARED_NAMES[name],
                "terminal": terminal,
                "outcome": outcome,
                "sla_working_days": None,
                "clock": "running" if terminal else "paused",
                "escalate_to": [],
                "effects_on_enter": [],
                "auto": [],
                "actions": actions or {},
                "shared": True,
            }

        all_staff: set[str] = set()
        for _name, state in list(states.items()):
            if state["terminal"]:
                continue
            acting = {role for a in state["actions"].values() for role in a["roles"]}
            staff = sorted((acting | set(state.get("waiting_on") or ())) - {APPLICANT})
            all_staff.update(staff)
            extra: dict[str, dict[str, Any]] = {}
            if staff and CORRECTION in chosen:
                extra["request_correction"] = shared_action(
                    "request_correction", CORRECTION, staff, "required"
                )
            if staff and SUSPENDED in chosen:
                extra["suspend"] = shared_action("suspend", SUSPENDED, staff, "required")
            if staff and REJECTED in chosen:
                extra["reject"] = shared_action("reject", REJECTED, staff, "required")
            if WITHDRAWN in chosen:
                extra["withdraw"] = shared_action("withdraw", WITHDRAWN, list(FILER_ROLES), "optional")
            state["actions"].update(extra)
        if CORRECTION in chosen:
            states[CORRECTION] = shared_state(
                CORRECTION,
                terminal=False,
                actions={
                    "resubmit": shared_action("resubmit", RETURN, list(FILER_ROLES), "optional"),
                    **(
                        {"withdraw": shared_action("withdraw", WITHDRAWN, list(FILER_ROLES), "optional")}
                        if WITHDRAWN in chosen
                        else {}
                    ),
                },
            )
        if SUSPENDED in chosen:
            states[SUSPENDED] = shared_state(
                SUSPENDED,
                terminal=False,
                actions={
                    "resume": shared_action("resume", RETURN, sorted(all_staff), "optional"),
                },
            )
        if WITHDRAWN in chosen:
            states[WITHDRAWN] = shared_state(WITHDRAWN, terminal=True, outcome="withdrawn")
        if REJECTED in chosen:
            states[REJECTED] = shared_state(REJECTED, terminal=True, outcome="rejected")


def workflow_compile(raw: Mapping[str, Any], *, label: str = "workflow") -> dict[str, Any]:
    """Validate an author's definition and return the stored (expanded) form.

    Raises DefinitionError listing every problem found.
    """
    if not isinstance(raw, Mapping):
        raise DefinitionError(label, ["the workflow must be a mapping with 'start' and 'states'"])
    return _Compiler(raw, label).compile()


# --- reading a stored definition -----------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    code: str
    name: dict[str, str]
    to: str
    roles: tuple[str, ...]
    guards: tuple[str, ...]
    effects: tuple[str, ...]
    reason: str
    public: bool
    shared: bool


@dataclass(frozen=True)
class State:
    code: str
    name: dict[str, str]
    terminal: bool
    outcome: str | None
    sla_working_days: int | None
    clock_paused: bool
    escalate_to: tuple[str, ...]
    effects_on_enter: tuple[str, ...]
    auto: tuple[dict[str, Any], ...]
    actions: dict[str, Action]
    waiting_on: tuple[str, ...] = ()


class Workflow:
    """A read-only view of a stored definition."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.start: str = data["start"]
        self.order: list[str] = list(data.get("order") or data["states"])
        self.states: dict[str, State] = {}
        for code, raw in data["states"].items():
            actions = {
                name: Action(
                    code=name,
                    name=a["name"],
                    to=a["to"],
                    roles=tuple(a["roles"]),
                    guards=tuple(a["guards"]),
                    effects=tuple(a["effects"]),
                    reason=a["reason"],
                    public=a["public"],
                    shared=a["shared"],
                )
                for name, a in raw["actions"].items()
            }
            self.states[code] = State(
                code=code,
                name=raw["name"],
                terminal=raw["terminal"],
                outcome=raw["outcome"],
                sla_working_days=raw["sla_working_days"],
                clock_paused=raw["clock"] == "paused",
                escalate_to=tuple(raw["escalate_to"]),
                effects_on_enter=tuple(raw["effects_on_enter"]),
                auto=tuple(raw["auto"]),
                actions=actions,
                waiting_on=tuple(raw.get("waiting_on") or ()),
            )

    def state(self, code: str) -> State:
        return self.states[code]

    def roles_waiting(self, code: str, *, escalated: bool = False) -> set[str]:
        """The roles whose inbox shows a case in this state (those with a non-shared action)."""
        state = self.states[code]
        roles = {role for action in state.actions.values() if not action.shared for role in action.roles}
        roles |= set(state.waiting_on)
        if not roles:
            roles = {role for action in state.actions.values() for role in action.roles}
        if escalated:
            roles |= set(state.escalate_to)
        return roles

    def may_take(self, action: Action, roles: Iterable[str], *, state: State, escalated: bool) -> set[str]:
        """Which of the actor's roles allow the action (escalation roles act for the late ones)."""
        allowed = set(action.roles)
        if escalated and not action.shared:
            allowed |= set(state.escalate_to)
        return allowed & set(roles)
