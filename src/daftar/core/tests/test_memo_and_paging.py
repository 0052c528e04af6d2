"""Process-local reference caches remember only committed reads and forget on change; capped counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from daftar.core import memo as memo_module
from daftar.core.memo import Memo
from daftar.core.paging import CappedPaginator


def test_a_value_read_in_a_transaction_that_rolls_back_is_not_remembered(transactional_db: None) -> None:
    cache: Memo[int] = Memo("test rollback")
    loads: list[int] = []

    def load() -> int:
        loads.append(1)
        return 7

    def read_then_fail() -> None:
        with transaction.atomic():
            assert cache.get("k", load) == 7
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError):
        read_then_fail()
    assert len(cache) == 0
    with transaction.atomic():
        cache.get("k", load)
    assert cache.get("k", load) == 7
    assert len(loads) == 2  # the second read was remembered once committed; the third came from memory


def test_a_remembered_value_expires_after_its_time_to_live(
    transactional_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(memo_module.time, "monotonic", lambda: now[0])
    cache: Memo[str] = Memo("test ttl", ttl=60)
    assert cache.get("k", lambda: "old") == "old"
    now[0] += 59
    assert cache.get("k", lambda: "new") == "old"
    now[0] += 2
    assert cache.get("k", lambda: "new") == "new"


def test_saving_a_fee_rule_forgets_the_remembered_tariffs(transactional_db: None, city: Any) -> None:
    from datetime import date

    from daftar.billing.models import FeeRule
    from daftar.billing.selectors import rule_in_force
    from daftar.billing.tariffs import tariff_memo

    day = date(2026, 5, 1)
    assert rule_in_force(city=city, code="test.rule", on=day) is None
    assert len(tariff_memo) == 1  # the miss is remembered too
    FeeRule.objects.create(
        city=city, fiscal_year=1405, code="test.rule", title_fa="آزمایشی", fee_type="test",
        kind="fixed", definition={"amount": 1000},
        effective_from=date(2026, 3, 21), effective_to=date(2027, 3, 20),
    )  # fmt: skip
    found = rule_in_force(city=city, code="test.rule", on=day)
    assert found is not None
    assert found.definition == {"amount": 1000}


def test_a_capped_count_is_exact_below_the_cap_and_flags_more_above_it() -> None:
    below = CappedPaginator(list(range(5)), 2, cap=10)
    assert (below.count, below.capped, below.num_pages) == (5, False, 3)
    above = CappedPaginator(list(range(25)), 2, cap=10)
    assert (above.count, above.capped, above.num_pages) == (10, True, 5)
    assert list(above.get_page(5).object_list) == [8, 9]
