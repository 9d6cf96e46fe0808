"""Multi-row INSERTs for bulk loads: no model instance per row and no per-field ORM work.

For loads of hundreds of thousands of rows (`seed_bench`, `audit_append_many`), where
`bulk_create` spends most of its time building model instances and compiling each value. The
values are passed as query parameters, never spliced into the SQL, and adapted per column as the
ORM would adapt them (dates, datetimes, JSON). Nothing is validated: the caller supplies rows
that satisfy the model's constraints, which the database still enforces.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from typing import Any, cast

from django.db import connection, models


def _adapter(field: models.Field) -> Callable[[Any], Any] | None:
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.JSONField):
        return lambda value: field.get_db_prep_save(value, connection)
    return None


def insert_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    batch_size: int = 2000,
    returning: bool = False,
) -> list[int]:
    """Insert `rows` (values in the order of `fields`, which are attribute names such as
    `school_id`) into the model's table, `batch_size` rows per statement.

    With `returning`, the new primary keys are returned in the order of the rows. They are
    sorted before being matched to the rows: within one statement both PostgreSQL and SQLite
    assign them in the order of the VALUES list, whatever order RETURNING reports them in.
    """
    meta = model._meta
    # Concrete fields, each with its column (the stubs allow a reverse relation, and no column).
    targets = [cast("models.Field[Any, Any]", meta.get_field(name)) for name in fields]
    adapters = [_adapter(field) for field in targets]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in targets)  # type: ignore[arg-type]
    # Only quoted table and column names go into the SQL; every value is a parameter.
    head = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "
    tail = f" RETURNING {quote(meta.pk.column)}" if returning else ""  # type: ignore[arg-type]
    one = "(" + ", ".join(["%s"] * len(targets)) + ")"
    limit = connection.features.max_query_params
    per = min(batch_size, limit // len(targets)) if limit else batch_size
    ids: list[int] = []
    source = iter(rows)
    with connection.cursor() as cursor:
        while chunk := list(islice(source, max(per, 1))):
            params = [
                adapt(value) if adapt is not None else value
                for row in chunk
                for adapt, value in zip(adapters, row, strict=True)
            ]
            cursor.execute(head + ", ".join([one] * len(chunk)) + tail, params)
            if returning:
                ids.extend(sorted(row[0] for row in cursor.fetchall()))
    return ids
