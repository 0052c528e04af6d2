"""Tehran's tariff file: every fee rule the catalogue names has a tariff for 1404–1406, reads only
what a filing really has, and computes a sane positive amount for a realistic filing."""

from __future__ import annotations

import ast
import itertools
from collections.abc import Callable, Iterator, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation

from daftar.billing.fee_rules import fee_rule_evaluate
from daftar.billing.models import Bill, FeeRule, FiscalPolicy, OfficeTariff, RuleKind
from daftar.billing.selectors import FeeQuote, fees_quote, rule_in_force
from daftar.billing.tariffs import COUNTER_COLLECTION, carry_rule_problems, tariffs_load
from daftar.catalog.intake import intake_validate
from daftar.catalog.models import ServiceVersion, VersionStatus
from daftar.catalog.services import catalog_load
from daftar.core.errors import Conflict
from daftar.core.jalali import fiscal_year_bounds, from_jalali
from daftar.offices.models import City, Office

TARIFF_FILE = Path(settings.DAFTAR_CATALOG_DIR) / "tariffs" / "tehran.yaml"
YEARS = (1404, 1405, 1406)
# A day in each year, and both sides of 1405's mid-year change of the traffic-zone fee.
DAYS = (from_jalali(1404, 6, 1), from_jalali(1405, 3, 1), from_jalali(1405, 8, 1), from_jalali(1406, 6, 1))
ZONES = (1, 5, 9, 20)  # one district in each band: 1–3, 4–6, 7–12, 13–22
RECORD_KINDS = ("property", "business", "vehicle")

# What a clerk types for each service, beyond the generic values below: realistic sizes and choices.
REALISTIC: dict[str, dict[str, Any]] = {
    "building.new_construction_permit": {"land_area_m2": 200, "floors": 5, "units": 10, "use": "residential"},
    "building.demolition_permit": {"existing_area_m2": 320, "existing_floors": 2, "purpose": "rebuild"},
    "building.extension_permit": {"existing_area_m2": 400, "extension_area_m2": 120, "added_floors": 1},
    "building.repair_permit": {"repair_type": "facade", "duration_days": 30},
    "building.change_during_construction": {"change_type": "floor_area"},
    "building.fencing_permit": {"land_area_m2": 500, "wall_length_m": 90, "wall_height_m": 2.5},
    "building.completion_certificate": {"floors": 5, "units": 10},
    "building.permit_extension": {"progress_percent": 60},
    "building.frame_completion_certificate": {"floors": 5, "structure_type": "concrete"},
    "business.new_licence": {"area_m2": 45, "ownership": "leased"},
    "business.licence_transfer": {"transfer_reason": "goodwill_sale"},
    "business.temporary_use_change": {"current_use": "residential", "area_m2": 80, "duration_months": 6},
    "business.address_change": {"new_area_m2": 60},
    "civil.digging_permit": {"purpose": "gas_branch", "length_m": 12, "width_m": 0.6, "depth_m": 1.2},
    "civil.tender_participation": {"contractor_grade": 3, "guarantee_amount_rial": 500_000_000},
    "civil.city_tour_permit": {"participants": 30},
    "inquiry.land_use": {"land_area_m2": 300},
    "estate.project_line_inquiry": {"purpose": "transfer"},
    "partition.land_partition": {"land_area_m2": 1200, "parcels_count": 4},
    "partition.plot_consolidation": {"plots_count": 3, "total_area_m2": 450},
    "partition.apartment_partition": {"units": 8, "parking_spaces": 8},
    "traffic.traffic_zone_permit": {"applicant_group": "resident", "period": "yearly"},
    "traffic.odd_even_permit": {"period": "yearly"},
    "traffic.taxi_driver_registration": {"owns_vehicle": True},
    "traffic.bus_driver_registration": {"experience_years": 5},
    "traffic.technical_inspection_file": {"model_year": 1398},
    "traffic.transit_card": {"quantity": 2, "initial_charge_rial": 2_000_000},
    "urban.debris_collection": {"volume_m3": 6, "truck_access": True},
    "licensing.office_licence": {
        "premises_address": "تهران، خیابان ملاصدرا، پلاک ۴۰",
        "premises_area_m2": 80,
        "experience_years": 5,
    },
    "licensing.office_licence_renewal": {"office_code": "301"},
    "urban.signage_permit": {"width_m": 4, "height_m": 1},
    "urban.street_vendor_registration": {"preferred_district": 12, "experience_years": 3},
    "urban.market_stall": {"goods_type": "fruit", "experience_years": 4, "has_health_card": True},
    "urban.excavation_permit": {"depth_m": 5, "volume_m3": 900},
}
BY_FORMAT = {
    "renewal_code": "3-123-45-6-7-8",
    "national_code": "0084575948",
    "mobile": "09121234567",
    "postal_code": "1591634311",
    "sheba": "IR820540102680020817909002",
    "car_plate": "12ب345-67",
    "jalali_date": "1405/06/01",
}
BY_PATTERN = {
    "^[0-9]{4,20}$": "1402551",
    "^[0-9]+(-[0-9]+){0,3}$": "1-01-23456",
    "^[0-9]{6,12}$": "98123456",
}
# Sane bounds for one fee line of a filing: from an inquiry to the Article 101 share of a large lot.
LEAST, MOST = 100_000, 5_000_000_000

# The records annual rules are computed over (context keys property/business/vehicle and zone).
PROPERTIES = [
    {"area_m2": 180, "built_area_m2": 420, "use": use, "zone": 5}
    for use in ("residential", "commercial", "administrative", "industrial", "other")
]
# `guild` is the guild code (کد صنف): a shop, a restaurant, a bank, a bakery, one in no listed group.
BUSINESSES = [
    {"area_m2": 40, "guild": guild, "zone": 6} for guild in ("4711", "5610", "6419", "1071", "8130")
]
VEHICLES = [
    {"vehicle_type": kind, "model_year": year}
    for kind in ("car", "motorcycle", "van", "truck", "bus")
    for year in (1380, 1398, 1405)
]


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def loaded(city: City) -> Any:
    catalog_load(directory=Path(settings.DAFTAR_CATALOG_DIR))
    return tariffs_load(path=TARIFF_FILE)


def published_versions() -> Any:
    return ServiceVersion.objects.filter(status=VersionStatus.PUBLISHED).select_related("service_type")


def published() -> list[ServiceVersion]:
    return list(published_versions())


def service(code: str) -> ServiceVersion:
    version = published_versions().filter(service_type__code=code).order_by("-number").first()
    assert version is not None, code
    return version


def sample_intake(version: ServiceVersion) -> dict[str, Any]:
    """A valid filing: the realistic values above, generic ones for every other required field."""
    schema = version.intake_schema
    realistic = REALISTIC.get(version.code, {})
    data: dict[str, Any] = {}
    for name in schema.get("required", []):
        spec = schema["properties"][name]
        if name in realistic:
            data[name] = realistic[name]
        elif "enum" in spec:
            data[name] = spec["enum"][0]
        elif spec.get("format") in BY_FORMAT:
            data[name] = BY_FORMAT[spec["format"]]
        elif spec.get("pattern") in BY_PATTERN:
            data[name] = BY_PATTERN[spec["pattern"]]
        elif spec["type"] in ("integer", "number"):
            data[name] = 1405 if "year" in name else spec.get("minimum", 1)
        elif spec["type"] == "boolean":
            data[name] = False
        else:
            data[name] = (
                "NAS411100G1234567" if name == "vin" else "نمونه آزمون".ljust(spec.get("minLength", 0), ".")
            )
    return intake_validate(schema, data)


def paths_read(kind: str, definition: Mapping[str, Any]) -> set[str]:
    """Every context path a rule reads (dotted names in formulas, quantities, `when` keys)."""
    if kind == "formula":
        tree = ast.parse(definition["expression"].strip(), mode="eval")
        names, inner = set(), set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                inner.add(id(node.value))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute | ast.Name) and id(node) not in inner:
                names.add(ast.unparse(node))
        called = {
            n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        }
        return names - called
    if kind == "per_unit":
        return {definition["quantity"]}
    if kind == "table":
        rows = definition["rows"]
        return {path for row in rows for path in row.get("when", {})} | {
            row["quantity"] for row in rows if "quantity" in row
        }
    if kind == "carry":
        return {definition[key] for key in ("from_year", "to_year") if key in definition}
    return set()


def filing_zone(version: ServiceVersion, zone: int) -> int | None:
    return zone if version.location == "required" else None


def quote(
    city: City, version: ServiceVersion, *, on: date, office: Office | None = None, zone: int = 5, **data: Any
) -> FeeQuote:
    intake = {**sample_intake(version), **data}
    return fees_quote(
        city=city,
        service_code=version.code,
        fee_rules=list(version.fees),
        data=intake,
        links={kind: str(intake[field]) for kind, field in version.links.items() if field in intake},
        zone=filing_zone(version, zone),
        office=office,
        on=on,
    )


def annual_amount(city: City, code: str, on: date, record_kind: str, record: Mapping[str, Any]) -> int:
    rule = rule_in_force(city=city, code=code, on=on)
    assert rule is not None, f"{code} has no rule on {on}"
    context: dict[str, Any] = {record_kind: dict(record), "fiscal_year": rule.fiscal_year}
    if "zone" in record:
        context["zone"] = record["zone"]
    return fee_rule_evaluate(kind=rule.kind, definition=rule.definition, context=context, rule_code=code)


# --- coverage ----------------------------------------------------------------------------------


def test_every_fee_rule_the_catalogue_names_has_a_tariff_for_each_day_of_1404_to_1406(loaded: Any) -> None:
    assert loaded.missing == []
    assert loaded.policies == len(YEARS)
    names = {name for version in published() for name in version.fees}
    assert len(names) >= 45
    for year in YEARS:
        start, end = fiscal_year_bounds(year)
        for name in names:
            periods = list(
                FeeRule.objects.filter(code=name, fiscal_year=year)
                .order_by("effective_from")
                .values_list("effective_from", "effective_to")
            )
            assert periods, f"{year}: {name} is missing"
            assert periods[0][0] == start, f"{year}: {name} starts late"
            assert periods[-1][1] == end, f"{year}: {name} ends early"
            for (_, before_end), (after_start, _) in itertools.pairwise(periods):
                assert after_start == before_end + timedelta(days=1), f"{year}: {name} has a gap or overlap"


def test_each_year_bills_registered_records_by_rules_it_defines(loaded: Any) -> None:
    for policy in FiscalPolicy.objects.filter(fiscal_year__in=YEARS):
        assert set(policy.annual_charges) == set(RECORD_KINDS)
        for names in policy.annual_charges.values():
            for name in names:
                assert name.startswith("fees.annual_"), name
                assert FeeRule.objects.filter(code=name, fiscal_year=policy.fiscal_year).exists(), name
        assert policy.early_payment_until is not None
        assert policy.early_payment_until < policy.annual_due_date
        assert policy.early_payment_rebate_bp == 1000
        assert policy.late_penalty_monthly_bp == 150


def test_every_service_filed_at_an_office_has_an_office_tariff_each_year(loaded: Any) -> None:
    codes = {v.code for v in published() if "office" in v.channels}
    assert len(codes) >= 40
    for year in YEARS:
        tariffs = dict(OfficeTariff.objects.filter(fiscal_year=year).values_list("service_code", "amount"))
        assert codes | {COUNTER_COLLECTION} <= set(tariffs), f"{year}: {sorted(codes - set(tariffs))}"
        for code in codes:
            assert 200_000 <= tariffs[code] <= 1_500_000, f"{year}: {code} {tariffs[code]}"
    assert OfficeTariff.objects.get(fiscal_year=1405, service_code=COUNTER_COLLECTION).amount == 150_000


# --- what rules may read -----------------------------------------------------------------------


def test_case_rules_read_only_required_intake_fields_and_the_district_where_it_is_known(
    loaded: Any,
) -> None:
    problems = []
    for version in published():
        required = set(version.intake_schema.get("required", []))
        zone_known = version.location == "required"
        for rule in FeeRule.objects.filter(code__in=version.fees):
            for path in paths_read(rule.kind, rule.definition):
                head, _, field = path.partition(".")
                if head == "data" and field not in required:
                    problems.append(f"{rule.code} reads {path}, not a required field of {version.code}")
                elif head == "zone" and not zone_known:
                    problems.append(f"{rule.code} reads zone, but {version.code} has no required location")
                elif head not in ("data", "zone", "fiscal_year"):
                    problems.append(f"{rule.code} reads {path}, which a filing does not have")
    assert problems == []


def test_annual_rules_read_only_the_registered_record(loaded: Any) -> None:
    names = {
        name for p in FiscalPolicy.objects.all() for names in p.annual_charges.values() for name in names
    }
    rules = FeeRule.objects.filter(code__in=names, fiscal_year__in=YEARS)
    assert rules.count() == 4 * len(YEARS)
    for rule in rules:
        heads = {path.partition(".")[0] for path in paths_read(rule.kind, rule.definition)}
        assert heads <= {*RECORD_KINDS, "zone", "fiscal_year"}, (rule.code, heads)
        assert len(heads & set(RECORD_KINDS)) == 1, rule.code


def test_payment_services_take_over_bills_of_a_record_the_service_links(loaded: Any) -> None:
    carrying = [
        v for v in published() if v.code.startswith("fees.") and v.code != "fees.clearance_certificate"
    ]
    assert len(carrying) == 5
    for version in carrying:
        for rule in FeeRule.objects.filter(code__in=version.fees):
            assert rule.kind == RuleKind.CARRY, rule.code
            assert carry_rule_problems(rule.definition) == []
            assert rule.definition["subject"] in version.links, (version.code, rule.definition)
            assert rule.definition["required"] is True


# --- amounts -----------------------------------------------------------------------------------


@pytest.mark.parametrize("on", DAYS, ids=str)
def test_every_fee_rule_computes_a_sane_positive_amount_for_a_realistic_filing(
    loaded: Any, city: City, office: Office, on: date
) -> None:
    failures = []
    for version in published():
        rules = [rule_in_force(city=city, code=name, on=on) for name in version.fees]
        if not rules or any(rule is None or rule.kind == RuleKind.CARRY for rule in rules):
            continue
        for zone in ZONES if version.location == "required" else (5,):
            result = quote(city, version, on=on, office=office, zone=zone)
            fees = {line.rule_code: line.amount for line in result.lines if line.line == "municipal_fee"}
            tariffs = [line.amount for line in result.lines if line.line == "office_tariff"]
            for name in version.fees:
                if not LEAST <= fees.get(name, 0) <= MOST:
                    failures.append(f"{on} zone {zone}: {name} for {version.code} = {fees.get(name)}")
            if "office" in version.channels and len(tariffs) != 1:  # online-only services have none
                failures.append(f"{on}: {version.code} has no office tariff")
    assert failures == []


def test_fees_rise_from_1404_to_1405_and_again_to_1406(loaded: Any, city: City) -> None:
    days = (from_jalali(1404, 6, 1), from_jalali(1405, 8, 1), from_jalali(1406, 6, 1))
    for version in published():
        if not version.fees or version.code.startswith("fees."):
            continue
        totals = [sum(line.amount for line in quote(city, version, on=day).lines) for day in days]
        assert totals[0] < totals[1] < totals[2], (version.code, totals)
        if version.code == "traffic.transit_card":
            continue  # most of it is the top-up the citizen asks for, which no tariff changes
        assert 0.7 < totals[0] / totals[1] < 0.9, (version.code, totals)  # about 20% lower
        assert 1.15 < totals[2] / totals[1] < 1.35, (version.code, totals)  # about 25% higher


def test_a_construction_permit_in_a_northern_district_costs_hundreds_of_millions(
    loaded: Any, city: City
) -> None:
    version = service("building.new_construction_permit")
    north = quote(city, version, on=from_jalali(1405, 8, 1), zone=1).lines
    south = quote(city, version, on=from_jalali(1405, 8, 1), zone=20).lines
    fee = {line.rule_code: line.amount for line in north}["building.construction_permit_fee"]
    assert 100_000_000 <= fee <= 1_000_000_000
    assert sum(line.amount for line in north) > sum(line.amount for line in south)


def test_the_traffic_zone_fee_changes_on_1_mehr_1405_and_earlier_filings_keep_the_old_rate(
    loaded: Any, city: City
) -> None:
    version = service("traffic.traffic_zone_permit")

    def fee(on: date) -> int:
        return sum(line.amount for line in quote(city, version, on=on).lines)

    assert fee(from_jalali(1405, 6, 31)) < fee(from_jalali(1405, 7, 1))
    assert fee(from_jalali(1405, 1, 1)) == fee(from_jalali(1405, 6, 31))
    exempt = quote(city, version, on=from_jalali(1405, 8, 1), applicant_group="disabled")
    assert exempt.lines == []


@pytest.mark.parametrize(
    ("code", "record_kind", "records"),
    [
        ("fees.annual_renewal", "property", PROPERTIES),
        ("fees.annual_waste", "property", PROPERTIES),
        ("fees.annual_business", "business", BUSINESSES),
        ("fees.annual_vehicle", "vehicle", VEHICLES),
    ],
)
def test_annual_charges_are_positive_and_rise_each_year(
    loaded: Any, city: City, code: str, record_kind: str, records: list[dict[str, Any]]
) -> None:
    for record in records:
        amounts = [annual_amount(city, code, from_jalali(year, 1, 15), record_kind, record) for year in YEARS]
        assert 100_000 <= amounts[1] <= 200_000_000, (code, record, amounts)
        assert amounts[0] < amounts[1] < amounts[2], (code, record, amounts)


def test_paying_a_years_renewal_fee_takes_over_that_years_open_bill(
    loaded: Any, city: City, make_bill: Callable[..., Bill]
) -> None:
    on = from_jalali(1405, 8, 1)
    bill = make_bill(renewal_code="3-123-45-6-7-8", year=1405)
    renewal = service("fees.renewal_fee")
    annual = service("fees.annual_fee")
    assert quote(city, renewal, on=on, fiscal_year=1405).carry == [bill]
    assert quote(city, annual, on=on, from_year=1400, to_year=1405).carry == [bill]
    with pytest.raises(Conflict) as nothing:
        quote(city, renewal, on=on, fiscal_year=1404)
    assert nothing.value.code == "fee.nothing_owed"


def test_a_clearance_certificate_costs_a_small_fixed_fee(loaded: Any, city: City) -> None:
    version = service("fees.clearance_certificate")
    assert [line.amount for line in quote(city, version, on=from_jalali(1405, 8, 1)).lines] == [500_000]
