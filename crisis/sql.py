"""One UPDATE that says what it wrote: `UPDATE ... SET ..., version = version + 1 WHERE ... RETURNING ...`.

Django 5.2's `save()` and `QuerySet.update()` cannot return columns, so a state change that bumps a
counter had to be an UPDATE and then a SELECT to learn the new value: two round trips on every call
and team change of the hot path (POST a call, triage, offer). PostgreSQL and SQLite (3.35+) both
answer RETURNING, so one statement does both. Values go through each field's own
`get_db_prep_save`, exactly as `save()` would write them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connections, models, router


def update_returning(
    model: type[models.Model],
    pk: Any,
    *,
    values: Mapping[str, Any],
    increment: str | None = None,
    where_in: Mapping[str, Iterable[Any]] | None = None,
    returning: Iterable[str] = (),
) -> dict[str, Any] | None:
    """Write `values` (field names) to row `pk`, add 1 to `increment`, return the `returning` fields.

    `where_in` makes it conditional (`status IN (...)`): None comes back when no row matched, so the
    caller knows it lost a race. The returned values are converted as Django would load them.
    """
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    qn = connection.ops.quote_name
    sets, params = [], []
    for name, value in values.items():
        field = meta.get_field(name)
        sets.append(f"{qn(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    if increment:
        column = qn(meta.get_field(increment).column)
        sets.append(f"{column} = {column} + 1")
    where, where_params = [f"{qn(meta.pk.column)} = %s"], [pk]
    for name, allowed in (where_in or {}).items():
        allowed = list(allowed)
        where.append(f"{qn(meta.get_field(name).column)} IN ({', '.join(['%s'] * len(allowed))})")
        where_params += [meta.get_field(name).get_db_prep_value(v, connection) for v in allowed]
    fields = [meta.get_field(name) for name in returning] or [meta.pk]
    # Identifiers come from the model's own metadata, quoted; every value is a parameter.
    sql = f"UPDATE {qn(meta.db_table)} SET {', '.join(sets)} WHERE {' AND '.join(where)} "  # noqa: S608
    sql += f"RETURNING {', '.join(qn(f.column) for f in fields)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params + where_params)
        row = cursor.fetchone()
    if row is None:
        return None
    out = {}
    for field, raw in zip(fields, row, strict=True):
        value = raw
        for converter in connection.ops.get_db_converters(field.get_col(meta.db_table)) + field.get_db_converters(
            connection
        ):
            value = converter(value, field.get_col(meta.db_table), connection)
        out[field.attname] = value
    return out
