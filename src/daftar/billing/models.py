"""Money: fee rules and office tariffs, bills and their items, payments, refunds and the ledger.

Every amount is a whole number of rials in a BigIntegerField. Bills, payments, refunds and ledger
transactions are documents: once written they change only through services that leave an audit
event (bills) or a new balancing ledger transaction (never an edit of an old one).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from daftar.accounts.models import Person
from daftar.offices.models import City, Office


class AppendOnlyError(Exception):
    pass


class AppendOnly(models.Model):
    """A row that is written once and never changed or deleted (ledger entries, audit events)."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only")


# --- rules and tariffs --------------------------------------------------------------------------


class RuleKind(models.TextChoices):
    FIXED = "fixed", _("Fixed amount")
    PER_UNIT = "per_unit", _("Rate per unit")
    TABLE = "table", _("Table")
    FORMULA = "formula", _("Formula")
    # Not an amount: the linked record's unpaid bills are carried into the case's bill (paying an
    # annual charge at an office, settling everything before a clearance certificate).
    CARRY = "carry", _("Unpaid bills of the linked record")


class FeeRule(models.Model):
    """A named municipal fee of one city and fiscal year, in force from ``effective_from``.

    A case is charged by the rule in force on the day it was filed; a change in the middle of a
    year is a new row with a later ``effective_from``, so what earlier cases were charged stays
    explainable.
    """

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="fee_rules")
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    code = models.CharField(_("rule name"), max_length=80)
    title_fa = models.CharField(_("title (Persian)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    fee_type = models.CharField(_("fee type"), max_length=32)  # the revenue account it is booked to
    kind = models.CharField(_("kind"), max_length=10, choices=RuleKind.choices)
    definition = models.JSONField(_("definition"), default=dict)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"))  # inclusive; at most the fiscal year's end

    class Meta:
        verbose_name = _("fee rule")
        verbose_name_plural = _("fee rules")
        ordering = ["city", "code", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["city", "code", "effective_from"], name="fee_rule_unique_start"),
            models.CheckConstraint(
                condition=Q(effective_to__gte=F("effective_from")), name="fee_rule_period_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.fiscal_year})"


class OfficeTariff(models.Model):
    """The office's own charge (کارمزد) for one service, approved by the municipality."""

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="office_tariffs")
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    service_code = models.CharField(_("service"), max_length=80)
    amount = models.BigIntegerField(_("tariff (rials)"))
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"))

    class Meta:
        verbose_name = _("office tariff")
        verbose_name_plural = _("office tariffs")
        ordering = ["city", "service_code", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["city", "service_code", "effective_from"], name="office_tariff_unique_start"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="office_tariff_not_negative"),
            models.CheckConstraint(
                condition=Q(effective_to__gte=F("effective_from")), name="office_tariff_period_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_code} ({self.fiscal_year})"


class FiscalPolicy(models.Model):
    """A city's rebate and penalty terms for the annual charges of one fiscal year."""

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="fiscal_policies")
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    annual_due_date = models.DateField(_("due date of annual bills"))
    early_payment_until = models.DateField(_("early payment until"), null=True, blank=True)
    # Basis points: 10000 is 100%.
    early_payment_rebate_bp = models.PositiveIntegerField(_("early payment rebate (basis points)"), default=0)
    late_penalty_monthly_bp = models.PositiveIntegerField(
        _("late penalty per month (basis points)"), default=0
    )
    late_penalty_cap_bp = models.PositiveIntegerField(_("late penalty cap (basis points)"), default=0)
    # Which fee rules bill_annual charges each kind of registered record, e.g.
    # {"property": ["fees.annual_renewal", "fees.annual_waste"], "vehicle": ["fees.annual_vehicle"]}.
    annual_charges = models.JSONField(_("annual charges"), default=dict, blank=True)
    # What may be paid in part: "annual" (annual charges) and/or service codes (their case bills).
    part_payment = models.JSONField(_("paid in part"), default=list, blank=True)

    class Meta:
        verbose_name = _("fiscal policy")
        verbose_name_plural = _("fiscal policies")
        constraints = [
            models.UniqueConstraint(fields=["city", "fiscal_year"], name="fiscal_policy_unique_year"),
            models.CheckConstraint(
                condition=Q(early_payment_rebate_bp__lte=10000), name="rebate_at_most_all"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.city_id}/{self.fiscal_year}"

    def allows_part_payment(self, what: str) -> bool:
        return what in (self.part_payment or [])


# --- bills ---------------------------------------------------------------------------------------


class BillKind(models.TextChoices):
    CASE = "case", _("Case fees")
    ANNUAL = "annual", _("Annual charge")
    CLEARANCE = "clearance", _("Settlement of everything owed")


class BillStatus(models.TextChoices):
    OPEN = "open", _("Unpaid")
    PARTLY_PAID = "partly_paid", _("Partly paid")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")
    # What was owed moved into a newer bill as arrears (the newer bill is paid instead).
    CARRIED = "carried", _("Carried into a newer bill")


PAYABLE_STATUSES = (BillStatus.OPEN, BillStatus.PARTLY_PAID)


class SubjectKind(models.TextChoices):
    PROPERTY = "property", _("Property")
    BUSINESS = "business", _("Business")
    VEHICLE = "vehicle", _("Vehicle")


class Bill(models.Model):
    """A demand for payment (قبض): items, total, due date, payer and status."""

    # شناسه قبض, with a check digit. Unique through Meta.constraints rather than unique=True: on
    # PostgreSQL that adds a second (LIKE) index nothing uses, which every bill insert maintains.
    number = models.CharField(_("bill ID"), max_length=13)
    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="bills")
    kind = models.CharField(_("kind"), max_length=10, choices=BillKind.choices)
    status = models.CharField(_("status"), max_length=12, choices=BillStatus.choices, default=BillStatus.OPEN)
    title = models.CharField(_("title"), max_length=200)
    payer = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="bills", null=True, blank=True)
    payer_national_code = models.CharField(  # indexed with the status (bill_payer_code)
        _("payer's national code"), max_length=11, blank=True
    )
    payer_name = models.CharField(_("payer's name"), max_length=200, blank=True)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="bills", null=True, blank=True
    )
    office = models.ForeignKey(  # the office whose work the bill pays for (it earns the tariff lines)
        Office, on_delete=models.PROTECT, related_name="bills", null=True, blank=True
    )
    subject_kind = models.CharField(_("subject"), max_length=10, choices=SubjectKind.choices, blank=True)
    subject_key = models.CharField(_("renewal code, licence or plate"), max_length=40, blank=True)
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    total = models.BigIntegerField(_("total (rials)"), default=0)
    paid = models.BigIntegerField(_("paid (rials)"), default=0)
    refunded = models.BigIntegerField(_("refunded (rials)"), default=0)
    due_date = models.DateField(_("due date"))
    allow_partial = models.BooleanField(_("part payment allowed"), default=False)
    # What the bill is for, unique so that billing the same thing twice returns the first bill.
    # Unique (Meta); NULL for bills with no source, which a unique constraint lets repeat.
    source_key = models.CharField(max_length=120, null=True, blank=True, editable=False)  # noqa: DJ001
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("bill")
        verbose_name_plural = _("bills")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="bill_number_unique"),
            models.UniqueConstraint(fields=["source_key"], name="bill_source_key_unique"),
            models.CheckConstraint(condition=Q(total__gte=0), name="bill_total_not_negative"),
            models.CheckConstraint(
                condition=Q(paid__gte=0) & Q(paid__lte=F("total")), name="bill_paid_in_range"
            ),
            models.CheckConstraint(
                condition=Q(refunded__gte=0) & Q(refunded__lte=F("paid")), name="bill_refunded_in_range"
            ),
        ]
        indexes = [
            models.Index(fields=["subject_kind", "subject_key", "status"], name="bill_subject"),
            models.Index(fields=["payer_national_code", "status"], name="bill_payer_code"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def outstanding(self) -> int:
        return self.total - self.paid if self.status in PAYABLE_STATUSES else 0


class ItemLine(models.TextChoices):
    MUNICIPAL_FEE = "municipal_fee", _("Municipal fee")
    OFFICE_TARIFF = "office_tariff", _("Office tariff")
    ARREARS = "arrears", _("Arrears")
    PENALTY = "penalty", _("Late-payment penalty")
    REBATE = "rebate", _("Early-payment rebate")


class BillItem(models.Model):
    """One line of a bill. Rebates are negative; every other line is positive."""

    # No index of its own: the unique (bill, seq) index serves every look-up by bill.
    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="items", db_index=False)
    seq = models.PositiveSmallIntegerField()
    line = models.CharField(_("line"), max_length=16, choices=ItemLine.choices)
    fee_type = models.CharField(_("fee type"), max_length=32)
    rule_code = models.CharField(_("rule"), max_length=80, blank=True)
    title = models.CharField(_("title"), max_length=200)
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    amount = models.BigIntegerField(_("amount (rials)"))
    paid = models.BigIntegerField(_("paid (rials)"), default=0)
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    removed = models.BooleanField(default=False)  # taken off by an amendment (kept for the record)
    carried_from = models.ForeignKey(  # arrears: the older bill whose outstanding this line carries
        Bill, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        verbose_name = _("bill item")
        verbose_name_plural = _("bill items")
        ordering = ["bill", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["bill", "seq"], name="bill_item_unique_seq"),
            models.CheckConstraint(
                condition=(Q(line="rebate") & Q(amount__lt=0)) | (~Q(line="rebate") & Q(amount__gte=0)),
                name="bill_item_sign",
            ),
            models.CheckConstraint(
                condition=Q(line="office_tariff", office__isnull=False) | ~Q(line="office_tariff"),
                name="bill_item_tariff_has_office",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bill_id}#{self.seq}"


class BillEventKind(models.TextChoices):
    CREATED = "created", _("Bill issued")
    AMENDED = "amended", _("Amended")
    CANCELLED = "cancelled", _("Cancelled")
    PAID = "paid", _("Payment recorded")
    REVERSED = "reversed", _("Payment reversed")
    REFUNDED = "refunded", _("Refund issued")
    ADJUSTED = "adjusted", _("Rebate or penalty applied")


class BillEvent(AppendOnly):
    """The bill's audit trail: who did what, when and why."""

    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=10, choices=BillEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("bill event")
        verbose_name_plural = _("bill events")
        ordering = ["bill", "id"]

    def __str__(self) -> str:
        return f"{self.bill_id} {self.kind}"


# --- payments and refunds ------------------------------------------------------------------------


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting the bank")
    SUCCEEDED = "succeeded", _("Paid")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled by the payer")
    EXPIRED = "expired", _("Expired")
    FLAGGED = "flagged", _("Held for review")
    REVERSED = "reversed", _("Reversed")


class Payment(models.Model):
    """One attempt to pay a bill, online through a gateway or at an office's counter."""

    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(_("provider"), max_length=16)
    amount = models.BigIntegerField(_("amount (rials)"))
    status = models.CharField(
        _("status"), max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    order_id = models.CharField(_("order number"), max_length=20, unique=True)
    authority = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001 - the gateway's token
    reference = models.CharField(_("bank reference"), max_length=64, blank=True)
    received_amount = models.BigIntegerField(null=True, blank=True)  # what the gateway said, when it differed
    card_mask = models.CharField(_("card"), max_length=32, blank=True)
    office = models.ForeignKey(  # the office that collected it (counter) or started it for the payer
        Office, on_delete=models.PROTECT, related_name="payments", null=True, blank=True
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    payer = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    # The rebate or penalty quoted when the payment started, applied if it succeeds.
    adjustments = models.JSONField(default=list, blank=True)
    quoted_on = models.DateField()
    return_url = models.CharField(max_length=300, blank=True)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, editable=False)  # noqa: DJ001
    message = models.CharField(_("note"), max_length=300, blank=True)
    gateway_log = models.JSONField(default=list, blank=True)
    check_attempts = models.PositiveSmallIntegerField(default=0)
    next_check_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.UniqueConstraint(
                fields=["provider", "authority"],
                condition=Q(authority__isnull=False),
                name="payment_unique_authority",
            ),
            models.UniqueConstraint(
                fields=["bill", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="payment_unique_idempotency_key",
            ),
            # A card-terminal reference is entered once per office: typing it twice is a double entry.
            models.UniqueConstraint(
                fields=["office", "reference"],
                condition=Q(provider="counter") & ~Q(status="reversed"),
                name="payment_unique_counter_reference",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_check_at"], name="payment_pending"),
            models.Index(fields=["office", "completed_at"], name="payment_office_day"),
        ]

    def __str__(self) -> str:
        return self.order_id


class PaymentAllocation(AppendOnly):
    """How much of a payment (or, negative, of its reversal) went to each bill item."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    item = models.ForeignKey(BillItem, on_delete=models.PROTECT, related_name="allocations")
    amount = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")

    def __str__(self) -> str:
        return f"{self.payment_id}→{self.item_id}: {self.amount}"


class RefundStatus(models.TextChoices):
    PAYABLE = "payable", _("To be paid back")
    PAID = "paid", _("Paid back")


class Refund(models.Model):
    """Money owed back to a payer: its own document, never an edit of the payment."""

    number = models.CharField(_("refund number"), max_length=20, unique=True)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.BigIntegerField(_("amount (rials)"))
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=8, choices=RefundStatus.choices, default=RefundStatus.PAYABLE
    )
    # True when the payment paid nothing on the bill (a duplicate): the money never became revenue.
    duplicate = models.BooleanField(default=False)
    reference = models.CharField(_("transfer reference"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self) -> str:
        return self.number


class Receipt(models.Model):
    """A signed, verifiable receipt for one successful payment."""

    number = models.CharField(_("receipt number"), max_length=20, unique=True)
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="receipt")
    payload = models.TextField()  # canonical JSON, exactly the bytes that were signed
    signature = models.CharField(max_length=200)
    key_id = models.CharField(max_length=32)
    issued_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")

    def __str__(self) -> str:
        return self.number


# --- the ledger ----------------------------------------------------------------------------------


class AccountKind(models.TextChoices):
    ASSET = "asset", _("Asset")
    LIABILITY = "liability", _("Liability")
    REVENUE = "revenue", _("Revenue")


class Account(models.Model):
    """A ledger account, e.g. ``receivable:tehran`` or ``office_revenue:tehran:T0101``."""

    code = models.CharField(_("code"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=AccountKind.choices)
    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="accounts")
    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="accounts", null=True, blank=True
    )

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class TransactionKind(models.TextChoices):
    BILL_ISSUED = "bill_issued", _("Bill issued")
    BILL_AMENDED = "bill_amended", _("Bill amended")
    BILL_CANCELLED = "bill_cancelled", _("Bill cancelled")
    ADJUSTMENT = "adjustment", _("Rebate or penalty")
    PAYMENT = "payment", _("Payment")
    REVERSAL = "reversal", _("Payment reversal")
    REFUND = "refund", _("Refund owed")
    REFUND_PAID = "refund_paid", _("Refund paid back")


class LedgerTransaction(AppendOnly):
    """A balanced set of entries: the debits equal the credits, always."""

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=TransactionKind.choices)
    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    memo = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)

    class Meta:
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class LedgerEntry(AppendOnly):
    """One side of a transaction: positive is a debit, negative a credit."""

    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount = models.BigIntegerField()

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="ledger_entry_not_zero")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.amount}"
