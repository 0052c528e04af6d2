"""Workflow definitions: broken ones are refused with a precise message; good ones are expanded."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from daftar.workflow.definition import (
    CORRECTION,
    REJECTED,
    RETURN,
    SUSPENDED,
    WITHDRAWN,
    DefinitionError,
    Workflow,
    workflow_compile,
)

GOOD: dict[str, Any] = {
    "start": "submitted",
    "states": {
        "submitted": {
            "sla_working_days": 2,
            "actions": {"accept": {"to": "approval", "roles": ["municipal_reviewer"]}},
        },
        "approval": {
            "actions": {
                "approve": {"to": "issued", "roles": ["municipal_reviewer"], "effects": ["notify_applicant"]}
            }
        },
        "issued": {"terminal": True},
    },
}


def broken(mutate: Any) -> list[str]:
    raw = copy.deepcopy(GOOD)
    mutate(raw)
    with pytest.raises(DefinitionError) as caught:
        workflow_compile(raw, label="test")
    return caught.value.problems


def test_a_good_definition_gains_the_four_shared_states() -> None:
    compiled = workflow_compile(GOOD)
    assert {CORRECTION, SUSPENDED, WITHDRAWN, REJECTED} <= set(compiled["states"])
    submitted = compiled["states"]["submitted"]["actions"]
    assert submitted["request_correction"]["to"] == CORRECTION
    assert submitted["request_correction"]["roles"] == ["municipal_reviewer"]
    assert submitted["reject"]["reason"] == "required"
    assert compiled["states"][CORRECTION]["actions"]["resubmit"]["to"] == RETURN
    assert compiled["states"][SUSPENDED]["clock"] == "paused"
    assert compiled["states"][WITHDRAWN]["outcome"] == "withdrawn"


def test_a_chosen_subset_of_shared_states_is_honoured() -> None:
    compiled = workflow_compile({**GOOD, "shared": ["withdrawal"]})
    assert WITHDRAWN in compiled["states"]
    assert CORRECTION not in compiled["states"]
    assert "reject" not in compiled["states"]["submitted"]["actions"]


def test_an_unreachable_state_is_refused() -> None:
    problems = broken(lambda raw: raw["states"].update({"orphan": {"terminal": True}}))
    assert any("'orphan' is unreachable" in p for p in problems)


def test_a_non_terminal_dead_end_is_refused() -> None:
    def mutate(raw: dict[str, Any]) -> None:
        raw["states"]["approval"]["actions"]["park"] = {"to": "parked", "roles": ["municipal_reviewer"]}
        raw["states"]["parked"] = {}

    assert any("'parked' is a dead end" in p for p in broken(mutate))


def test_an_unknown_role_guard_or_effect_is_refused() -> None:
    def mutate(raw: dict[str, Any]) -> None:
        accept = raw["states"]["submitted"]["actions"]["accept"]
        accept["roles"] = ["janitor"]
        accept["guards"] = ["moon_is_full"]
        accept["effects"] = ["send_flowers"]

    problems = broken(mutate)
    assert any("unknown role 'janitor'" in p for p in problems)
    assert any("unknown guard 'moon_is_full'" in p for p in problems)
    assert any("unknown effect 'send_flowers'" in p for p in problems)


def test_a_duplicate_action_in_list_form_is_refused() -> None:
    def mutate(raw: dict[str, Any]) -> None:
        raw["states"]["submitted"]["actions"] = [
            {"name": "accept", "to": "approval", "roles": ["municipal_reviewer"]},
            {"name": "accept", "to": "issued", "roles": ["municipal_reviewer"]},
        ]

    assert any("duplicate action 'accept'" in p for p in broken(mutate))


def test_an_action_named_like_a_shared_one_is_refused() -> None:
    def mutate(raw: dict[str, Any]) -> None:
        raw["states"]["submitted"]["actions"]["reject"] = {"to": "issued", "roles": ["municipal_reviewer"]}

    assert any("'reject' is reserved" in p for p in broken(mutate))


def test_a_reserved_state_name_is_refused() -> None:
    assert any(
        "reserved" in p for p in broken(lambda raw: raw["states"].update({"rejected": {"terminal": True}}))
    )


def test_an_action_to_an_unknown_state_and_a_missing_start_are_refused() -> None:
    def mutate(raw: dict[str, Any]) -> None:
        raw["start"] = "nowhere"
        raw["states"]["approval"]["actions"]["approve"]["to"] = "limbo"

    problems = broken(mutate)
    assert any("start state 'nowhere'" in p for p in problems)
    assert any("unknown state 'limbo'" in p for p in problems)


def test_a_loop_that_can_never_end_is_refused() -> None:
    def mutate(raw: dict[str, Any]) -> None:
        raw["states"]["submitted"]["actions"]["loop"] = {"to": "spin", "roles": ["municipal_reviewer"]}
        raw["states"]["spin"] = {"actions": {"again": {"to": "spin2", "roles": ["municipal_reviewer"]}}}
        raw["states"]["spin2"] = {"actions": {"back": {"to": "spin", "roles": ["municipal_reviewer"]}}}

    problems = broken(mutate)
    assert any("'spin' can never reach a terminal state" in p for p in problems)


def test_escalation_roles_may_take_state_actions_only_once_escalated() -> None:
    raw = copy.deepcopy(GOOD)
    raw["states"]["submitted"]["on_overdue"] = {"escalate_to": ["city_administrator"]}
    flow = Workflow(workflow_compile(raw))
    state = flow.state("submitted")
    accept = state.actions["accept"]
    assert not flow.may_take(accept, {"city_administrator"}, state=state, escalated=False)
    assert flow.may_take(accept, {"city_administrator"}, state=state, escalated=True) == {
        "city_administrator"
    }
    assert "city_administrator" in flow.roles_waiting("submitted", escalated=True)
    assert "city_administrator" not in flow.roles_waiting("submitted")
