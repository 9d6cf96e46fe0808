"""Related rows read with the row they belong to, in the same query: on a page that lists
twenty-five entries with their pupils, or a pupil with their parents, a list per row costs no
query of its own. Both databases build the lists (JSONB_AGG and STRING_AGG on PostgreSQL,
JSON_GROUP_ARRAY and GROUP_CONCAT on SQLite)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import (
    Aggregate,
    CharField,
    Expression,
    JSONField,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.db.models.functions import JSONObject

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler


class Joined(Aggregate):
    """Text values joined with commas: STRING_AGG on PostgreSQL, GROUP_CONCAT on SQLite."""

    function = "STRING_AGG"
    template = "%(function)s(%(expressions)s, ',')"
    output_field = CharField()

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, Any]:
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", **extra_context)


class JSONList(Aggregate):
    """The values of one expression for each row of a group, as a JSON list (in no set order)."""

    function = "JSONB_AGG"
    output_field = JSONField()

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, Any]:
        return super().as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra_context)


def per_row(rows: QuerySet, column: str, value: Any) -> Subquery:
    """For each outer row, `value` (an aggregate) over the `rows` whose `column` is its primary
    key, grouped in the database; None where there are none."""
    grouped = rows.filter(**{column: OuterRef("pk")}).order_by().values(column)
    return Subquery(grouped.annotate(value=value).values("value")[:1])


def rows_of(rows: QuerySet, column: str, **fields: str | Expression) -> Subquery:
    """For each outer row, `rows` whose `column` is its primary key, as a list of
    {name: value} (`fields`, each a column or an expression); None where there are none."""
    return per_row(rows, column, JSONList(JSONObject(**fields)))
