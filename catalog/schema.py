"""Columnar schemas of catalog snapshot tables, and record <-> table conversion.

Each table's columns are exactly the fields of its record in :mod:`catalog.models`, so that
validated records and the demo generator's columnar output land in the same Parquet layout.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final

import pyarrow as pa
from pydantic import BaseModel

from catalog.models import Course, DemandEntry, Institution, Session

_STR = pa.string()
_DICT = pa.dictionary(pa.int32(), pa.string())

DEMAND_SCHEMA: Final = pa.schema(
    [
        ("region_code", _STR),
        ("occupation_code", _STR),
        ("tier", _STR),
        ("subsidy_l5", pa.int32()),
        ("subsidy_l4", pa.int32()),
        ("subsidy_l3", pa.int32()),
        ("subsidy_l2", pa.int32()),
        ("subsidy_l1", pa.int32()),
        ("not_in_standard", pa.list_(pa.int8())),
        ("shortage_uplift_pct", pa.int16()),
        ("key_occupation", pa.bool_()),
        ("key_uplift_pct", pa.int16()),
        ("valid_from", pa.date32()),
        ("valid_to", pa.date32()),
        ("source", _STR),
    ]
)

INSTITUTION_SCHEMA: Final = pa.schema(
    [
        ("institution_id", _STR),
        ("name", _STR),
        ("type", _STR),
        ("grade", _STR),
        ("region_code", _STR),
        ("address", _STR),
        ("trained", pa.int32()),
        ("certified", pa.int32()),
        ("employed_3m", pa.int32()),
        ("employed_6m", pa.int32()),
        ("is_demo", pa.bool_()),
    ]
)

COURSE_SCHEMA: Final = pa.schema(
    [
        ("course_id", _STR),
        ("institution_id", _STR),
        ("title", _STR),
        ("occupation_code", _STR),
        ("level", _STR),
        ("mode", _STR),
        ("hours_total", pa.int32()),
        ("hours_practical", pa.int32()),
        ("fee", pa.int32()),
        ("subsidy_amount", pa.int32()),
        ("subsidy_basis", _STR),
        ("certificate", _STR),
        ("eligible_groups", pa.list_(_STR)),
        ("age_min", pa.int8()),
        ("age_max", pa.int8()),
        ("min_education", _STR),
        ("min_level", _STR),
        ("prerequisites", _STR),
        ("employment_service", _STR),
        ("partner_employers", pa.list_(_STR)),
        ("description", _STR),
        ("region_code", _STR),
        ("is_demo", pa.bool_()),
    ]
)

SESSION_SCHEMA: Final = pa.schema(
    [
        ("session_id", _STR),
        ("course_id", _STR),
        ("start_date", pa.date32()),
        ("end_date", pa.date32()),
        ("enrol_open", pa.date32()),
        ("enrol_close", pa.date32()),
        ("capacity", pa.int32()),
        ("seats_taken", pa.int32()),
        ("region_code", _STR),
        ("address", _STR),
        ("longitude", pa.float64()),
        ("latitude", pa.float64()),
    ]
)

# name -> (schema, record class, key columns)
TABLES: Final[dict[str, tuple[pa.Schema, type[BaseModel], tuple[str, ...]]]] = {
    "demand": (DEMAND_SCHEMA, DemandEntry, ("region_code", "occupation_code", "valid_from")),
    "institutions": (INSTITUTION_SCHEMA, Institution, ("institution_id",)),
    "courses": (COURSE_SCHEMA, Course, ("course_id",)),
    "sessions": (SESSION_SCHEMA, Session, ("session_id",)),
}


def _check_fields() -> None:
    for name, (schema, model, _) in TABLES.items():
        if list(schema.names) != list(model.model_fields):
            raise AssertionError(f"schema of {name!r} does not match {model.__name__}")


_check_fields()


def records_to_table(table: str, records: Iterable[BaseModel]) -> pa.Table:
    """Build a snapshot table from validated records."""
    schema = TABLES[table][0]
    rows = [r.model_dump(mode="python") for r in records]
    return pa.Table.from_pylist(rows, schema=schema)


def table_to_records(table: str, data: pa.Table) -> list[Any]:
    """Validate a snapshot table's rows back into records (for small tables or slices)."""
    model = TABLES[table][1]
    return [model.model_validate(row) for row in data.to_pylist()]


def empty_table(table: str) -> pa.Table:
    """An empty table with the right schema."""
    return TABLES[table][0].empty_table()


def conform(table: str, data: pa.Table) -> pa.Table:
    """Cast a table to its canonical schema and column order.

    Raises:
        ValueError: When a column is missing or cannot be cast.
    """
    schema = TABLES[table][0]
    missing = [n for n in schema.names if n not in data.column_names]
    if missing:
        raise ValueError(f"table {table!r} lacks columns {missing}")
    return data.select(schema.names).cast(schema)


def key_tuples(table: str, data: pa.Table) -> Sequence[tuple[Any, ...]]:
    """The key of every row, in row order."""
    keys = TABLES[table][2]
    cols = [data.column(k).to_pylist() for k in keys]
    return list(zip(*cols, strict=True))
