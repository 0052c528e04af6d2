# ruff: noqa: S311, S608 - seeded, not secret, randomness; SQL names come from the models
"""Generate city-scale Persian data for benchmarks, fast and repeatably.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/daftar_bench_x \\
        .venv/bin/python -m bench.generate --cases 10000 [--properties N] [--seed 1]

The database must be migrated and hold the demo city, catalogue and tariffs (``manage.py migrate``
then ``manage.py demo_load``). Adds citizens (with user accounts), properties and their owners,
businesses, vehicles, cases of every published service along their workflows with timelines, and
case bills with items, payments and allocations. On PostgreSQL rows are streamed with COPY in
chunks (constant memory); on SQLite they go through bulk_create (small scales only).

Not generated: ledger transactions (the ledger of generated history is left empty), receipts,
documents, appointments, outbox messages. Deadlines are approximated with calendar days
(1.4 × working days), not the city's holiday calendar.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import random
import resource
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any


def _django_setup() -> None:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "daftar.settings.dev")
    import django

    django.setup()


# --- Persian vocabulary ---------------------------------------------------------------------------

FIRST_MALE = [
    "علی",
    "محمد",
    "حسین",
    "رضا",
    "مهدی",
    "امیر",
    "حسن",
    "ابوالفضل",
    "محمدرضا",
    "امیرحسین",
    "مرتضی",
    "مصطفی",
    "سعید",
    "حمید",
    "مجید",
    "جواد",
    "کاظم",
    "بهرام",
    "کاوه",
    "آرش",
    "سینا",
    "پویا",
    "بابک",
    "فرهاد",
    "داریوش",
    "سهراب",
    "نیما",
    "میلاد",
    "پارسا",
    "یاسین",
]
FIRST_FEMALE = [
    "فاطمه",
    "زهرا",
    "مریم",
    "زینب",
    "سارا",
    "نرگس",
    "معصومه",
    "الهام",
    "مینا",
    "لیلا",
    "شیرین",
    "نسرین",
    "مهسا",
    "نگار",
    "ریحانه",
    "آیدا",
    "هستی",
    "یاسمن",
    "پریسا",
    "سمیرا",
    "طاهره",
    "اعظم",
    "فرشته",
    "هانیه",
    "کوثر",
    "ترانه",
    "شقایق",
    "مهتاب",
    "نازنین",
]
LAST = [
    "احمدی",
    "محمدی",
    "حسینی",
    "رضایی",
    "کریمی",
    "موسوی",
    "جعفری",
    "صادقی",
    "نوری",
    "اکبری",
    "تهرانی",
    "کاظمی",
    "هاشمی",
    "رحیمی",
    "قاسمی",
    "ابراهیمی",
    "مرادی",
    "عباسی",
    "سلطانی",
    "شریفی",
    "حیدری",
    "نجفی",
    "یزدانی",
    "شکوهی",
    "فراهانی",
    "بهرامی",
    "میرزایی",
    "نظری",
    "زمانی",
    "طاهری",
    "خسروی",
    "کرمانی",
    "اصفهانی",
    "شیرازی",
    "تبریزی",
    "قزوینی",
    "رشتی",
    "گیلانی",
]
STREETS = [
    "ولیعصر",
    "انقلاب",
    "آزادی",
    "شریعتی",
    "مطهری",
    "طالقانی",
    "جمهوری",
    "ستارخان",
    "پاسداران",
    "دولت",
    "ملاصدرا",
    "ونک",
    "نیاوران",
    "فرمانیه",
    "سعادت\u200cآباد",
    "جردن",
    "میرداماد",
    "هفت\u200cتیر",
    "کارگر",
    "نواب",
    "قزوین",
    "پیروزی",
    "دماوند",
    "تهرانپارس",
]
ALLEYS = ["بهار", "یاس", "لاله", "نرگس", "اقاقیا", "صنوبر", "سرو", "نسترن", "مهر", "شقایق"]
BUSINESS_WORDS = [
    "نوین",
    "پارس",
    "آریا",
    "البرز",
    "ایران",
    "مهر",
    "سپهر",
    "کیان",
    "آسمان",
    "ستاره",
    "امید",
    "نگین",
]
GUILDS = (
    ("4711", "خواربارفروشی", "فروشگاه"),
    ("5610", "رستوران", "رستوران"),
    ("6419", "بانک", "شعبه بانک"),
    ("1071", "نانوایی", "نانوایی"),
    ("4520", "تعمیرگاه خودرو", "تعمیرگاه"),
    ("4772", "داروخانه", "داروخانه"),
    ("4771", "پوشاک", "پوشاک"),
    ("9602", "آرایشگاه", "آرایشگاه"),
)
PLATE_LETTERS = "بجدسصطقلمنوهی"
PROPERTY_USES = ("residential",) * 7 + ("commercial",) * 2 + ("administrative", "industrial", "other")
VEHICLE_TYPES = ("car",) * 14 + ("motorcycle",) * 4 + ("van", "truck", "bus")
TEHRAN_LAT, TEHRAN_LON = 35.6892, 51.3890
MESSAGES_NOTE = ("مدارک بررسی شد.", "با متقاضی تماس گرفته شد.", "در انتظار تکمیل پرونده.", "")
RATING_WEIGHTS = (1, 1, 3, 6, 9)  # ratings 1..5

# Bijective scramblers: serial → a random-looking but unique code (no collision set needed).
TRACKING_SPACE = 31**9
TRACKING_MULT = 1_000_000_007  # prime, coprime to 31
BILL_SPACE = 9 * 10**11
BILL_MULT = 982_451_653  # prime, coprime to 2, 3 and 5
ORDER_SPACE = 9 * 10**15


def national_code(serial: int) -> str:
    digits = f"{serial:09d}"
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits))
    remainder = total % 11
    return digits + str(remainder if remainder < 2 else 11 - remainder)


def tracking_code(serial: int) -> str:
    from daftar.cases.tracking import ALPHABET, check_character

    n = (serial * TRACKING_MULT + 12345) % TRACKING_SPACE
    body = []
    for _ in range(9):
        n, r = divmod(n, 31)
        body.append(ALPHABET[r])
    text = "".join(body)
    return text + check_character(text)


def bill_number(serial: int) -> str:
    from daftar.billing.numbers import check_digit

    body = str(10**11 + (serial * BILL_MULT + 777) % BILL_SPACE)
    return f"{body}{check_digit(body)}"


def order_id(serial: int) -> str:
    return str(10**15 + (serial * BILL_MULT + 4242) % ORDER_SPACE)


def renewal_code(serial: int) -> str:
    # zone-block-plot-building-floor-unit, unique per serial
    zone = 1 + serial % 22
    rest = serial // 22
    parts = (
        zone,
        100 + rest % 900,
        rest // 900 % 100,
        rest // 90000 % 10,
        rest // 900000 % 10,
        rest // 9000000,
    )
    return "-".join(map(str, parts))


def plate(serial: int) -> str:
    a = 10 + serial % 90
    rest = serial // 90
    letter = PLATE_LETTERS[rest % len(PLATE_LETTERS)]
    rest //= len(PLATE_LETTERS)
    b = 100 + rest % 900
    c = 10 + (rest // 900) % 90
    return f"{a}{letter}{b}-{c}"


# --- writing --------------------------------------------------------------------------------------


class Writer:
    """Writes rows (tuples in ``fields`` order) of a model: COPY on PostgreSQL, bulk_create elsewhere."""

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection
        self.postgres = connection.vendor == "postgresql"
        self.rows: dict[str, int] = defaultdict(int)
        self.seconds: dict[str, float] = defaultdict(float)
        # PostgreSQL: one thread streams COPY on the same connection and transaction while the main
        # thread builds the next chunk (psycopg releases the GIL on I/O), so both cores work. The
        # queue is short, so memory stays bounded by a few chunks.
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=4)
        self.failure: BaseException | None = None
        self.waited = 0.0
        self.thread: threading.Thread | None = None
        if self.postgres:
            self.connection.ensure_connection()
            self.thread = threading.Thread(target=self._copier, daemon=True)
            self.thread.start()

    def _copier(self) -> None:
        while (job := self.queue.get()) is not None:
            if self.failure is not None:
                continue
            # raw: the main thread's psycopg.Connection (Django's are per thread), in its transaction
            raw, table, columns, json_at, rows = job
            started = time.perf_counter()
            try:
                with raw.cursor() as cursor, cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
                    for row in rows:
                        if json_at:
                            row = list(row)
                            for i in json_at:
                                row[i] = json.dumps(row[i], ensure_ascii=False)
                        copy.write_row(row)
            except BaseException as exc:  # reported by flush() in the main thread
                self.failure = exc
            self.rows[table] += len(rows)
            self.seconds[table] += time.perf_counter() - started

    def stop(self) -> None:
        with contextlib.suppress(BaseException):  # the caller's own error is the one to report
            self.flush()

    def flush(self) -> None:
        """Wait until every queued COPY has finished; re-raise a failure."""
        if self.thread is not None:
            self.queue.put(None)
            self.thread.join()
            self.thread = None
        if self.failure is not None:
            raise self.failure

    def next_id(self, model: Any) -> int:
        from django.db.models import Max

        return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1

    def write(self, model: Any, fields: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        started = time.perf_counter()
        meta = model._meta
        if self.postgres:
            if self.failure is not None:
                raise self.failure
            objs = [meta.get_field(name) for name in fields]
            json_at = [i for i, f in enumerate(objs) if f.get_internal_type() == "JSONField"]
            columns = ", ".join(f'"{f.column}"' for f in objs)
            self.connection.ensure_connection()
            self.queue.put((self.connection.connection, meta.db_table, columns, json_at, rows))
            self.waited += time.perf_counter() - started  # blocked on a full queue: the database lags
            return
        else:
            attnames = [meta.get_field(name).attname for name in fields]
            model.objects.bulk_create(
                [model(**dict(zip(attnames, row, strict=True))) for row in rows], batch_size=500
            )
        self.rows[meta.db_table] += len(rows)
        self.seconds[meta.db_table] += time.perf_counter() - started

    def sequences_reset(self, models: Iterable[Any]) -> None:
        self.flush()
        if not self.postgres:
            return
        with self.connection.cursor() as cursor:
            for model in models:
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'(SELECT COALESCE(MAX(id), 1) FROM "{table}"))'
                )


# --- the generator --------------------------------------------------------------------------------


class Generator:
    def __init__(self, args: argparse.Namespace) -> None:
        from daftar.accounts.models import User
        from daftar.catalog.models import ServiceVersion, VersionStatus
        from daftar.offices.models import City, LicenceStatus, Office, Zone
        from daftar.offices.selectors import city_default

        self.args = args
        self.rng = random.Random(args.seed)
        self.writer = Writer()
        self.city: City = city_default() or City.objects.order_by("pk").first()
        if self.city is None:
            raise SystemExit("No city: run `manage.py demo_load` first.")
        self.zones = list(Zone.objects.filter(city=self.city).values_list("pk", "number"))
        self.offices = list(
            Office.objects.filter(city=self.city, licence_status=LicenceStatus.ACTIVE).values_list(
                "pk", flat=True
            )
        )
        self.versions = list(
            ServiceVersion.objects.filter(status=VersionStatus.PUBLISHED).select_related("service_type")
        )
        if not self.versions or not self.offices:
            raise SystemExit("No published services or active offices: run `manage.py demo_load` first.")
        self.staff = self._staff_by_role()
        self.online_filer = User.objects.filter(username="09121234567").values_list("pk", flat=True).first()
        self.now = datetime.now(UTC)
        self.today = self.now.date()
        self.fiscal_cache: dict[date, int] = {}
        self.plans = {v.pk: self._plan(v) for v in self.versions}

    # - context

    def _staff_by_role(self) -> dict[str, int]:
        from daftar.offices.models import StaffAssignment

        staff: dict[str, int] = {}
        self.staff_office = None
        rows = StaffAssignment.objects.values_list("user_id", "role", "office_id").order_by("pk")
        for user_id, role, office_id in rows:
            staff.setdefault(role, user_id)
            if role == "office_operator" and self.staff_office is None:
                self.staff_office = office_id
        return staff

    def _template(self, version: Any) -> dict[str, Any]:
        """A valid filing: realistic values where known, generic ones for every other required field
        (after ``sample_intake`` in the Tehran tariff tests, extended to arrays, lengths, patterns)."""
        from daftar.billing.tests.test_tariffs_tehran import BY_FORMAT, BY_PATTERN, REALISTIC
        from daftar.catalog.intake import intake_validate

        schema = version.intake_schema
        realistic = REALISTIC.get(version.service_type.code, {})
        data: dict[str, Any] = {}
        for name in schema.get("required", []):
            spec = schema["properties"][name]
            if name in realistic:
                data[name] = realistic[name]
            elif "enum" in spec:
                data[name] = spec["enum"][0]
            elif spec.get("type") == "array":
                choices = (spec.get("items") or {}).get("enum") or ["نمونه"]
                data[name] = choices[: max(1, spec.get("minItems", 1))]
            elif spec.get("format") in BY_FORMAT:
                data[name] = BY_FORMAT[spec["format"]]
            elif spec.get("pattern") in BY_PATTERN:
                data[name] = BY_PATTERN[spec["pattern"]]
            elif spec.get("pattern") == "^[0-9]{3,6}$":
                data[name] = "301"
            elif spec.get("type") in ("integer", "number"):
                data[name] = 1405 if "year" in name else spec.get("minimum", 1)
            elif spec.get("type") == "boolean":
                data[name] = False
            elif name == "vin":
                data[name] = "NAS411100G1234567"
            else:
                text = "نمونه درخواست شهروند".ljust(spec.get("minLength", 0), ".")
                data[name] = text[: spec["maxLength"]] if "maxLength" in spec else text
        return intake_validate(schema, data)

    def _plan(self, version: Any) -> dict[str, Any]:
        """Per service: a valid intake template, which fields take generated values, workflow walks."""
        from daftar.cases.services import _waiting_on
        from daftar.workflow.definition import RETURN, Workflow

        template = self._template(version)
        props = version.intake_schema.get("properties", {})
        fmt = {name: props[name].get("format") for name in template if name in props}
        workflow = Workflow(version.workflow)
        edges: dict[str, list[tuple[str, str, str, bool, str]]] = {}
        for code, state in workflow.states.items():
            out = []
            for action in state.actions.values():
                if action.shared or action.to == RETURN or not action.roles:
                    continue
                role = next((r for r in action.roles if r in self.staff), action.roles[0])
                out.append(("action", action.code, action.to, action.public, role))
            for auto in state.auto:
                out.append(("auto", "", auto["to"], True, ""))
            edges[code] = out
        rng = random.Random(f"{self.args.seed}:{version.pk}")
        walks = []
        for _ in range(40):
            state, steps = workflow.start, []
            for _step in range(12):
                if workflow.state(state).terminal or not edges[state]:
                    break
                kind, action, target, public, role = rng.choice(edges[state])
                steps.append((kind, action, state, target, public, role))
                state = target
            walks.append(steps)
        waiting = {code: _waiting_on(workflow, code, escalated=False) for code in workflow.states}
        channels = list(version.channels or ["office"])
        return {
            "version": version,
            "template": template,
            "formats": fmt,
            "workflow": workflow,
            "walks": walks,
            "waiting": waiting,
            "channels": channels,
            "has_fees": bool(version.fees),
            "links": dict(version.links or {}),
        }

    def fiscal_year(self, day: date) -> int:
        year = self.fiscal_cache.get(day)
        if year is None:
            from daftar.core.jalali import fiscal_year_of

            year = self.fiscal_cache[day] = fiscal_year_of(day)
        return year

    # - people and registers

    def person_name(self, serial: int) -> tuple[str, str]:
        r = random.Random(serial * 7919 + self.args.seed)
        first = r.choice(FIRST_MALE if r.random() < 0.5 else FIRST_FEMALE)
        return first, r.choice(LAST)

    def address(self, zone_number: int) -> str:
        r = self.rng
        return (
            f"تهران، منطقه {zone_number}، خیابان {r.choice(STREETS)}، "
            f"کوچه {r.choice(ALLEYS)}، پلاک {r.randint(1, 250)}"
        )

    def people(self, count: int) -> None:
        from daftar.accounts.models import Person, User

        start_serial = self.person_base
        pid, uid = self.writer.next_id(Person), self.writer.next_id(User)
        self.person_first_id = pid
        person_fields = [
            "id",
            "kind",
            "national_code",
            "first_name",
            "last_name",
            "legal_name",
            "father_name",
            "birth_date",
            "is_iranian",
            "mobile",
            "email",
            "postal_code",
            "address",
            "created_at",
        ]
        user_fields = [
            "id",
            "password",
            "is_superuser",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_staff",
            "is_active",
            "date_joined",
            "mobile",
            "person",
        ]
        for lo in range(0, count, self.args.chunk):
            persons, users = [], []
            for i in range(lo, min(count, lo + self.args.chunk)):
                serial = start_serial + i
                first, last = self.person_name(serial)
                mobile = f"0935{serial % 10**7:07d}"
                zone_number = self.zones[i % len(self.zones)][1]
                created = self.now - timedelta(days=self.rng.randint(30, 900))
                birth = date(1950, 1, 1) + timedelta(days=self.rng.randint(0, 19000))
                persons.append(
                    (pid + i, "real", national_code(serial), first, last, "", self.rng.choice(FIRST_MALE),
                     birth, True, mobile, "", f"1{self.rng.randint(100000000, 999999999)}",
                     self.address(zone_number), created)
                )  # fmt: skip
                users.append(
                    (uid + i, "!bench", False, mobile, first, last, "", False, True, created, mobile, pid + i)
                )
            self.writer.write(Person, person_fields, persons)
            self.writer.write(User, user_fields, users)
        self.person_count = count
        self.user_first_id = uid

    def person(self, index: int) -> tuple[int, str, str]:
        """(person id, national code, display name) of the index-th generated person."""
        serial = self.person_base + index % self.person_count
        first, last = self.person_name(serial)
        return self.person_first_id + index % self.person_count, national_code(serial), f"{first} {last}"

    def registers(self) -> None:
        from daftar.fees.models import Business, Property, PropertyOwner, Vehicle

        a, w, rng = self.args, self.writer, self.rng
        self.property_base = Property.objects.filter(city=self.city).count() + 10**6
        prop_id, owner_id = w.next_id(Property), w.next_id(PropertyOwner)
        prop_fields = (
            "id city created_at updated_at renewal_code zone address postal_code area_m2 built_area_m2 use"
        )
        owner_fields = "id property national_code name share_percent"
        owner_i = 0
        for lo in range(0, a.properties, a.chunk):
            props, owners = [], []
            for i in range(lo, min(a.properties, lo + a.chunk)):
                zone_id, zone_number = self.zones[i % len(self.zones)]
                area = rng.randint(60, 600)
                created = self.now - timedelta(days=rng.randint(100, 3000))
                props.append(
                    (prop_id + i, self.city.pk, created, created, renewal_code(self.property_base + i),
                     zone_id,
                     self.address(zone_number), f"1{rng.randint(100000000, 999999999)}", area,
                     area * rng.randint(1, 5), rng.choice(PROPERTY_USES))
                )  # fmt: skip
                shares = (Decimal(100),) if rng.random() < 0.8 else (Decimal(50), Decimal(50))
                for share in shares:
                    _pid, code, name = self.person(rng.randrange(self.person_count))
                    owners.append((owner_id + owner_i, prop_id + i, code, name, share))
                    owner_i += 1
            w.write(Property, prop_fields.split(), props)
            w.write(PropertyOwner, owner_fields.split(), owners)

        base = Business.objects.filter(city=self.city).count()
        biz_id = w.next_id(Business)
        biz_fields = [
            "id",
            "city",
            "created_at",
            "updated_at",
            "licence_number",
            "name",
            "guild_code",
            "guild_name",
            "owner_national_code",
            "owner_name",
            "renewal_code",
            "zone",
            "area_m2",
            "licence_valid_until",
        ]
        for lo in range(0, a.businesses, a.chunk):
            rows = []
            for i in range(lo, min(a.businesses, lo + a.chunk)):
                guild, guild_name, prefix = rng.choice(GUILDS)
                _pid, code, name = self.person(rng.randrange(self.person_count))
                zone_id, _n = self.zones[i % len(self.zones)]
                created = self.now - timedelta(days=rng.randint(100, 3000))
                rows.append(
                    (biz_id + i, self.city.pk, created, created, f"9{base + i:08d}",
                     f"{prefix} {rng.choice(BUSINESS_WORDS)}", guild, guild_name, code, name,
                     renewal_code(self.property_base + rng.randrange(max(1, a.properties))), zone_id,
                     rng.randint(20, 300), self.today + timedelta(days=rng.randint(-200, 700)))
                )  # fmt: skip
            w.write(Business, biz_fields, rows)

        base = Vehicle.objects.filter(city=self.city).count() + 10**5
        veh_id = w.next_id(Vehicle)
        veh_fields = [
            "id",
            "city",
            "created_at",
            "updated_at",
            "plate",
            "vehicle_type",
            "model_year",
            "vin",
            "owner_national_code",
            "owner_name",
        ]
        for lo in range(0, a.vehicles, a.chunk):
            rows = []
            for i in range(lo, min(a.vehicles, lo + a.chunk)):
                _pid, code, name = self.person(rng.randrange(self.person_count))
                created = self.now - timedelta(days=rng.randint(100, 3000))
                rows.append(
                    (veh_id + i, self.city.pk, created, created, plate(base + i), rng.choice(VEHICLE_TYPES),
                     rng.randint(1375, 1404), f"NAS{rng.randint(10**13, 10**14 - 1)}", code, name)
                )  # fmt: skip
            w.write(Vehicle, veh_fields, rows)

    # - cases

    def intake(self, plan: dict[str, Any], *, code: str, mobile: str, renewal: str, plate_text: str) -> dict:
        data = dict(plan["template"])
        for name, fmt in plan["formats"].items():
            if fmt == "national_code":
                data[name] = code
            elif fmt == "mobile":
                data[name] = mobile
            elif fmt == "renewal_code":
                data[name] = renewal
            elif fmt == "car_plate":
                data[name] = plate_text
        return data

    def cases(self) -> None:
        from daftar.billing.models import (
            Bill,
            BillEvent,
            BillItem,
            Payment,
            PaymentAllocation,
        )
        from daftar.cases.models import Case, CaseEvent

        a, w, rng = self.args, self.writer, self.rng
        case_fields = [
            "id",
            "tracking_code",
            "service_version",
            "service_type",
            "category",
            "department",
            "city",
            "office",
            "channel",
            "applicant",
            "filed_by",
            "idempotency_key",
            "data",
            "links",
            "renewal_code",
            "applicant_name",
            "latitude",
            "longitude",
            "address",
            "zone",
            "state",
            "state_entered_at",
            "return_state",
            "waiting_on",
            "assignee",
            "version",
            "due_date",
            "state_due_date",
            "paused_on",
            "return_state_due_date",
            "overdue",
            "escalated",
            "outcome",
            "closed_at",
            "rating",
            "rating_comment",
            "created_at",
            "updated_at",
        ]
        event_fields = [
            "id",
            "case",
            "seq",
            "kind",
            "action",
            "from_state",
            "to_state",
            "actor",
            "actor_role",
            "office",
            "public",
            "message",
            "payload",
            "created_at",
        ]
        bill_fields = [
            "id",
            "number",
            "city",
            "kind",
            "status",
            "title",
            "payer",
            "payer_national_code",
            "payer_name",
            "case",
            "office",
            "subject_kind",
            "subject_key",
            "fiscal_year",
            "total",
            "paid",
            "refunded",
            "due_date",
            "allow_partial",
            "source_key",
            "version",
            "created_at",
            "updated_at",
            "paid_at",
            "cancelled_at",
        ]
        item_fields = (
            "id bill seq line fee_type rule_code title fiscal_year amount paid office removed carried_from"
        )
        bevent_fields = "id bill kind actor reason payload created_at"
        pay_fields = (
            "id bill provider amount status order_id authority reference received_amount card_mask office "
            "started_by payer adjustments quoted_on return_url idempotency_key message gateway_log "
            "check_attempts next_check_at started_at completed_at"
        )
        alloc_fields = "id payment item amount created_at"
        case_id, event_id = w.next_id(Case), w.next_id(CaseEvent)
        bill_id, item_id, bevent_id = w.next_id(Bill), w.next_id(BillItem), w.next_id(BillEvent)
        pay_id, alloc_id = w.next_id(Payment), w.next_id(PaymentAllocation)
        serial_base = Case.objects.count() + 1000  # keeps codes unique across repeated runs
        operator = self.staff.get("office_operator")
        home = self.staff_office or self.offices[0]
        finance = self.staff.get("finance_officer")
        plans = list(self.plans.values())
        weights = [3 if p["has_fees"] else 1 for p in plans]
        span_days = a.days
        for lo in range(0, a.cases, a.chunk):
            cases, events, bills, items, bevents, pays, allocs = [], [], [], [], [], [], []
            hi = min(a.cases, lo + a.chunk)
            for i in range(lo, hi):
                plan = rng.choices(plans, weights)[0]
                version = plan["version"]
                workflow = plan["workflow"]
                pidx = rng.randrange(self.person_count)
                person_id, code, name = self.person(pidx)
                mobile = f"0935{(self.person_base + pidx % self.person_count) % 10**7:07d}"
                online = "online" in plan["channels"] and (
                    "office" not in plan["channels"] or rng.random() < 0.3
                )
                # A quarter at the demo staff's office, so its inbox is as full as a busy office's.
                office = None if online else (home if rng.random() < 0.25 else rng.choice(self.offices))
                filer = (self.user_first_id + pidx % self.person_count) if online else operator
                renewal = renewal_code(self.property_base + rng.randrange(max(1, a.properties)))
                data = self.intake(
                    plan, code=code, mobile=mobile, renewal=renewal, plate_text=plate(10**5 + i)
                )
                links = {
                    kind: str(data[f]) for kind, f in plan["links"].items() if data.get(f) not in (None, "")
                }
                created = self.now - timedelta(seconds=rng.randint(3600, span_days * 86400))
                walk = rng.choice(plan["walks"])
                # Older cases have gone further: cut the walk by age.
                age_share = (self.now - created).total_seconds() / (span_days * 86400)
                steps = walk[: round(len(walk) * min(1.0, age_share * 3 + rng.random() * 0.3))]
                cid = case_id + i
                moment = created
                events.append(
                    (event_id, cid, 1, "filed", "", "", workflow.start, filer,
                     "online" if online else "office", office, True, version.name_fa, {}, moment)
                )  # fmt: skip
                event_id += 1
                state = workflow.start
                for seq, (kind, action, src, dst, public, role) in enumerate(steps, start=2):
                    moment = moment + timedelta(minutes=rng.randint(20, 60 * 24 * 3))
                    if moment > self.now:
                        break
                    actor = self.staff.get(role) if kind == "action" else None
                    events.append(
                        (event_id, cid, seq, kind, action, src, dst, actor, role, None, public,
                         rng.choice(MESSAGES_NOTE) if kind == "action" else "", {}, moment)
                    )  # fmt: skip
                    event_id += 1
                    state = dst
                st = workflow.state(state)
                sla = version.sla_working_days or 10
                due = (created + timedelta(days=round(sla * 1.4))).date()
                state_due = (
                    (moment + timedelta(days=round(st.sla_working_days * 1.4))).date()
                    if st.sla_working_days and not st.terminal and not st.clock_paused
                    else None
                )
                closed = moment if st.terminal else None
                rating = None
                if closed is not None and rng.random() < 0.4:
                    rating = rng.choices(range(1, 6), RATING_WEIGHTS)[0]
                zone = lat = lon = None
                address = ""
                if version.location == "required" or (version.location == "optional" and rng.random() < 0.5):
                    zone_id, zone_number = rng.choice(self.zones)
                    zone = zone_id
                    lat = Decimal(f"{TEHRAN_LAT + rng.uniform(-0.08, 0.08):.6f}")
                    lon = Decimal(f"{TEHRAN_LON + rng.uniform(-0.15, 0.15):.6f}")
                    address = self.address(zone_number)
                cases.append(
                    (cid, tracking_code(serial_base + i), version.pk, version.service_type_id,
                     version.service_type.category_id, version.department, self.city.pk, office,
                     "online" if online else "office", person_id, filer, None, data, links,
                     links.get("property", ""), name, lat, lon, address, zone, state, moment, "",
                     "" if st.terminal else plan["waiting"][state], None, len(steps) + 1, due, state_due,
                     moment.date() if st.clock_paused else None, None,
                     bool(closed is None and due < self.today and not st.clock_paused), False,
                     st.outcome or "" if st.terminal else "", closed, rating,
                     "" if rating is None or rating > 2 else "رسیدگی طول کشید.", created, moment)
                )  # fmt: skip
                if plan["has_fees"] and steps:
                    paid = (closed is not None and st.outcome == "approved") or rng.random() < 0.4
                    fee = rng.randint(5, 500) * 100_000
                    tariff = rng.randint(2, 15) * 100_000 if office else 0
                    total = fee + tariff
                    fy = self.fiscal_year(created.date())
                    issued = created + timedelta(minutes=5)
                    paid_at = issued + timedelta(hours=rng.randint(1, 72)) if paid else None
                    bills.append(
                        (bill_id, bill_number(serial_base + i), self.city.pk, "case",
                         "paid" if paid else "open",
                         version.name_fa, person_id, code, name, cid, office,
                         "property" if "property" in links else "", links.get("property", ""), fy, total,
                         total if paid else 0, 0, issued.date() + timedelta(days=30), False, f"case:{cid}", 1,
                         issued, paid_at or issued, paid_at, None)
                    )  # fmt: skip
                    lines = [(item_id, bill_id, 1, "municipal_fee", "service_fee", "", "عوارض خدمت", fy, fee,
                              fee if paid else 0, None, False, None)]  # fmt: skip
                    if tariff:
                        lines.append((item_id + 1, bill_id, 2, "office_tariff", "office_tariff", "",
                                      "کارمزد دفتر",
                                      fy, tariff, tariff if paid else 0, office, False, None))  # fmt: skip
                    items.extend(lines)
                    bevents.append((bevent_id, bill_id, "created", filer, "", {}, issued))
                    bevent_id += 1
                    if paid:
                        counter = office is not None and rng.random() < 0.5
                        pays.append(
                            (pay_id, bill_id, "counter" if counter else "sandbox", total, "succeeded",
                             order_id(serial_base + i), None if counter else f"A{serial_base + i:011d}",
                             f"{serial_base + i:012d}", None, "" if counter else "6037-99**-****-1234",
                             office if counter else None, operator if counter else filer, person_id, [],
                             issued.date(), "", None, "", [], 0, None, issued, paid_at)
                        )  # fmt: skip
                        for line in lines:
                            allocs.append((alloc_id, pay_id, line[0], line[8], paid_at))
                            alloc_id += 1
                        bevents.append((bevent_id, bill_id, "paid", finance if counter else None, "",
                                        {"payment": pay_id}, paid_at))  # fmt: skip
                        bevent_id += 1
                        pay_id += 1
                    item_id += len(lines)
                    bill_id += 1
            w.write(Case, case_fields, cases)
            w.write(CaseEvent, event_fields, events)
            w.write(Bill, bill_fields, bills)
            w.write(BillItem, item_fields.split(), items)
            w.write(BillEvent, bevent_fields.split(), bevents)
            w.write(Payment, pay_fields.split(), pays)
            w.write(PaymentAllocation, alloc_fields.split(), allocs)
            if a.verbose:
                print(f"  cases {hi:,}/{a.cases:,}", file=sys.stderr, flush=True)

    def _fk_off(self) -> bool:
        """Skip PostgreSQL's foreign-key triggers for this transaction (superuser only): every key
        written refers to a row written before it. Django's keys are DEFERRABLE INITIALLY DEFERRED,
        so otherwise millions of checks queue in the server's memory and run at commit."""
        from django.db import DatabaseError, transaction

        try:
            with transaction.atomic(), self.writer.connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
        except DatabaseError:
            return False
        return True

    def run(self) -> dict[str, Any]:
        from django.db import transaction

        from daftar.accounts.models import Person, User
        from daftar.billing.models import Bill, BillEvent, BillItem, Payment, PaymentAllocation
        from daftar.cases.models import Case, CaseEvent
        from daftar.fees.models import Business, Property, PropertyOwner, Vehicle

        started = time.perf_counter()
        self.person_base = 300_000_000 + Person.objects.count()
        with transaction.atomic():
            self.fk_checked = not self.writer.postgres or self.args.check_foreign_keys or not self._fk_off()
            try:
                self.people(self.args.people)
                self.registers()
                self.cases()
            except BaseException:
                self.writer.stop()  # let the COPY thread finish before the transaction rolls back
                raise
            self.writer.sequences_reset(
                [Person, User, Property, PropertyOwner, Business, Vehicle, Case, CaseEvent, Bill, BillItem,
                 BillEvent, Payment, PaymentAllocation]
            )  # fmt: skip
        if self.writer.postgres:
            # VACUUM as well as ANALYZE: a live database is vacuumed by autovacuum, and without the
            # visibility map the planner shuns index-only scans (the inbox's capped count).
            # Inside a caller's transaction (a test) VACUUM cannot run: ANALYZE alone there.
            command = "ANALYZE" if self.writer.connection.in_atomic_block else "VACUUM (ANALYZE)"
            with self.writer.connection.cursor() as cursor:
                for table in self.writer.rows:
                    cursor.execute(f'{command} "{table}"')
        total = time.perf_counter() - started
        return {
            "database": self.writer.connection.vendor,
            "seed": self.args.seed,
            "seconds": round(total, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "tables": {
                table: {
                    "rows": rows,
                    "write_seconds": round(self.writer.seconds[table], 2),
                    "rows_per_second": round(rows / self.writer.seconds[table])
                    if self.writer.seconds[table]
                    else None,
                }
                for table, rows in self.writer.rows.items()
            },
            "total_rows": sum(self.writer.rows.values()),
            "foreign_keys_checked": self.fk_checked,
            # Time the generating thread stood still because the COPY queue was full.
            "waited_for_database_seconds": round(self.writer.waited, 2),
            "cases": self.args.cases,
            "cases_per_second": round(self.args.cases / total) if total else None,
            "rows_per_second": round(sum(self.writer.rows.values()) / total) if total else None,
        }


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", type=int, default=10_000)
    p.add_argument("--people", type=int, help="citizens (default: cases / 3, at least 100)")
    p.add_argument("--properties", type=int, help="properties (default: cases / 2, at least 100)")
    p.add_argument("--businesses", type=int, help="businesses (default: cases / 10, at least 10)")
    p.add_argument("--vehicles", type=int, help="vehicles (default: cases / 5, at least 10)")
    p.add_argument("--days", type=int, default=365, help="cases are spread over this many past days")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--chunk", type=int, default=10_000, help="rows per COPY batch (memory bound)")
    p.add_argument("--json", help="also write the summary to this file")
    p.add_argument(
        "--check-foreign-keys",
        action="store_true",
        help="let PostgreSQL check every foreign key (slower; by default a superuser skips them)",
    )
    p.add_argument("-v", "--verbose", action="store_true")
    a = p.parse_args(argv)
    a.people = a.people if a.people is not None else max(100, a.cases // 3)
    a.properties = a.properties if a.properties is not None else max(100, a.cases // 2)
    a.businesses = a.businesses if a.businesses is not None else max(10, a.cases // 10)
    a.vehicles = a.vehicles if a.vehicles is not None else max(10, a.cases // 5)
    return a


def generate(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the generator (Django must be set up); returns the summary."""
    return Generator(parse(argv)).run()


def main(argv: Sequence[str] | None = None) -> None:
    args = parse(argv)
    _django_setup()
    summary = Generator(args).run()
    print(
        f"generated {summary['total_rows']:,} rows ({summary['cases']:,} cases) in {summary['seconds']} s "
        f"on {summary['database']}: {summary['rows_per_second']:,} rows/s, "
        f"{summary['cases_per_second']:,} cases/s"
    )
    print("per table: rows/s of the writes alone (COPY or bulk_create), generating the rows not counted")
    print(f"{'table':32} {'rows':>10} {'seconds':>8} {'rows/s':>9}")
    for table, t in sorted(summary["tables"].items(), key=lambda kv: -kv[1]["rows"]):
        print(f"{table:32} {t['rows']:>10,} {t['write_seconds']:>8} {t['rows_per_second'] or 0:>9,}")
    print(
        f"peak RSS {summary['peak_rss_mb']} MB; "
        f"waited for the database {summary['waited_for_database_seconds']} s"
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(summary, fh, indent=2)


if __name__ == "__main__":
    main()
