"""A trigram index on the applicant's searchable name, on PostgreSQL only (SQLite has none).

Staff search finds a name anywhere in it (``LIKE '%…%'``), which no B-tree serves; at a million
cases a rare name was a scan of the whole table (docs/performance.md). ``pg_trgm`` ships with
PostgreSQL and is a trusted extension: the database owner may create it.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

CREATE = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS case_applicant_name_trgm ON cases_case USING gin (applicant_name gin_trgm_ops)",
)
DROP = ("DROP INDEX IF EXISTS case_applicant_name_trgm",)


def _run(statements: tuple[str, ...]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_search_indexes")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP), elidable=False)]
