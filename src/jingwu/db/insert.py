"""Insert new model rows with one plain ``INSERT … RETURNING id``, for the hot write paths.

``Model.save()`` and ``bulk_create()`` build their SQL anew for every call; on the intake
path that costs more than running the statement. :func:`insert` builds the statement once
per model, database and number of rows, and only converts the values on each call, exactly
as the ORM does (``Field.pre_save`` — ``auto_now`` included — then ``get_db_prep_save``).
The primary keys come back through ``RETURNING`` (SQLite 3.35+, PostgreSQL) and are set on
the instances, which are then saved instances like any other.

It sends no signals and runs no ``save()`` override: it is for models without either, or for
callers that send ``pre_save``/``post_save`` themselves (the intake does, for its incidents).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections
from django.db.models import Model

_SQL: dict[tuple[str, type[Model], int], tuple[str, list[Any]]] = {}


def _statement(alias: str, model: type[Model], rows: int) -> tuple[str, list[Any]]:
    key = (alias, model, rows)
    found = _SQL.get(key)
    if found is None:
        conn = connections[alias]
        meta = model._meta
        fields = [f for f in meta.concrete_fields if f is not meta.pk]
        cols = ", ".join(conn.ops.quote_name(f.column) for f in fields)
        one = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql = (
            f"INSERT INTO {conn.ops.quote_name(meta.db_table)} ({cols}) "
            f"VALUES {', '.join([one] * rows)} RETURNING {conn.ops.quote_name(meta.pk.column)}"
        )
        found = _SQL[key] = (sql, fields)
    return found


def insert(objs: Sequence[Model], using: str = "default") -> None:
    """Insert unsaved instances of one model (auto primary key) in one statement."""
    if not objs:
        return
    model = type(objs[0])
    sql, fields = _statement(using, model, len(objs))
    conn = connections[using]
    params = [f.get_db_prep_save(f.pre_save(obj, True), conn) for obj in objs for f in fields]
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        ids = cursor.fetchall()
    for obj, (pk,) in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = using
