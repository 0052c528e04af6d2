"""A bill line to be written: what quotes produce and bill services consume."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from daftar.offices.models import Office

from .models import Bill, BillItem


@dataclass(frozen=True)
class ItemSpec:
    """One line to put on a bill."""

    line: str
    fee_type: str
    title: str
    amount: int
    fiscal_year: int
    rule_code: str = ""
    office: Office | None = None
    carried_from: Bill | None = field(default=None, compare=False)

    def as_payload(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "fee_type": self.fee_type,
            "title": self.title,
            "amount": self.amount,
            "fiscal_year": self.fiscal_year,
            "rule_code": self.rule_code,
        }

    def as_item(self, *, bill: Bill, seq: int, carried_from_id: int | None = None) -> BillItem:
        """The unsaved line of ``bill`` at position ``seq`` (for bulk inserts)."""
        return BillItem(
            bill=bill,
            seq=seq,
            line=self.line,
            fee_type=self.fee_type,
            rule_code=self.rule_code,
            title=self.title[:200],
            fiscal_year=self.fiscal_year,
            amount=self.amount,
            office=self.office,
            carried_from_id=carried_from_id or (self.carried_from.pk if self.carried_from else None),
        )
