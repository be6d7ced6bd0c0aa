"""One UPDATE that says what it wrote: `UPDATE ... SET ..., version = version + 1 WHERE ... RETURNING ...`.

Django 5.2's `save()` and `QuerySet.update()` cannot return columns, so a state change that bumps a
counter had to be an UPDATE and then a SELECT to learn the new value: two round trips on every call
and team change of the hot path (POST a call, triage, offer). PostgreSQL and SQLite (3.35+) both
answer RETURNING, so one statement does both. Values go through each field's own
`get_db_prep_save`, exactly as `save()` would write them.

`CompiledOne`: a read the hot path makes on every request (an API token with its user and role permissions),
compiled once per process. Building and compiling that queryset cost ~1.4 ms of Python per request, three
times what PostgreSQL took to answer it; the statement and the ORM's own row loading are kept and re-run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.db import connections, models, router
from django.db.models.query import QuerySet, get_related_populators


def update_returning(
    model: type[models.Model],
    pk: Any,
    *,
    values: Mapping[str, Any],
    increment: str | None = None,
    increment_by: int = 1,
    where_in: Mapping[str, Iterable[Any]] | None = None,
    returning: Iterable[str] = (),
) -> dict[str, Any] | None:
    """Write `values` (field names) to row `pk`, add `increment_by` (1) to `increment`, return the `returning` fields.

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
        sets.append(f"{column} = {column} + {int(increment_by)}")  # an int: nothing from outside in the text
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


class CompiledOne:
    """`build(value)` is a queryset of `model` whose only varying parameter is `value`; `get(value)` runs its SQL,
    compiled once per database alias, and loads the first row as the queryset would (select_related rows,
    annotations, each column's converters): the same instance, without building and compiling the query again."""

    # What `build` is given at compile time, to find the parameter's position: no real value can equal it.
    _MARK = "\x00compiled-one-parameter\x00"

    def __init__(self, model: type[models.Model], build: Callable[[Any], QuerySet]):
        self.model, self.build = model, build
        self._compiled: dict[str, tuple] = {}

    def _compile(self, alias: str) -> tuple:
        queryset = self.build(self._MARK).order_by()[:1]
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        params = list(params)
        if params.count(self._MARK) != 1:
            raise ValueError("CompiledOne: the query must take its value exactly once, as a parameter.")
        select, klass_info = compiler.select, compiler.klass_info
        first, last = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        fields = [column[0].target.attname for column in select[first:last]]
        converters = compiler.get_converters([column[0] for column in select])
        populators = get_related_populators(klass_info, select, alias)
        annotations = list(compiler.annotation_col_map.items())
        return sql, params, params.index(self._MARK), compiler, converters, first, last, fields, populators, annotations

    def get(self, value: Any) -> models.Model | None:
        alias = router.db_for_read(self.model)
        if alias not in self._compiled:
            self._compiled[alias] = self._compile(alias)
        sql, params, at, compiler, converters, first, last, fields, populators, annotations = self._compiled[alias]
        params = params.copy()
        params[at] = value
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        if converters:
            row = next(iter(compiler.apply_converters([row], converters)))
        # As django.db.models.query.ModelIterable loads a row.
        obj = self.model.from_db(alias, fields, row[first:last])
        for populator in populators:
            populator.populate(row, obj)
        for name, position in annotations:
            setattr(obj, name, row[position])
        return obj
