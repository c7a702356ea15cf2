"""One INSERT of one row without building a model instance or running Django's query compiler.

For the hottest writes only (a tracking-link click, a giveaway entry): building the model and
compiling its INSERT cost Django more than the database spent on it (docs/performance.md). The
statement is still made from the model's own fields, so columns and value conversion stay Django's,
and it is built once per process.
"""

import functools

from django.db import connections, router
from django.db.models import NOT_PROVIDED
from django.utils import timezone


def insert_row(model, values, *, returning_pk=False):
    """INSERT `values` ({field name: value}) as one row of `model`; the new primary key if asked.

    Fields not named get their Python-side default, as Model.save() would give them. Runs in the
    caller's transaction; database errors (an IntegrityError for a unique key) come through as Django's.
    """
    alias = router.db_for_write(model)
    connection = connections[alias]
    statement, fields, defaulted = insert_plan(model, alias, tuple(values))
    parameters = [field.get_db_prep_save(value, connection) for field, value in zip(fields, values.values(),
                                                                                    strict=True)]
    parameters += [field.get_db_prep_save(python_default(field), connection) for field in defaulted]
    returning = returning_pk and connection.features.can_return_columns_from_insert
    if returning:
        statement += f" RETURNING {connection.ops.quote_name(model._meta.pk.column)}"
    with connection.cursor() as cursor:
        cursor.execute(statement, parameters)
        if returning:
            return cursor.fetchone()[0]
        return cursor.lastrowid if returning_pk else None


@functools.cache
def insert_plan(model, alias, names):
    """(INSERT text, the fields named, the other fields it fills with Python-side defaults), once per process.

    Every concrete field is in the INSERT unless the database fills it itself (an auto primary key, a
    db_default, a generated column): a field added later with only a Python-side default is never
    written as NULL.
    """
    connection = connections[alias]
    fields = [model._meta.get_field(name) for name in names]
    named = {field.name for field in fields}
    defaulted = [field for field in model._meta.concrete_fields
                 if field.name not in named and not database_fills(model, field)]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields + defaulted)
    placeholders = ", ".join(["%s"] * (len(fields) + len(defaulted)))
    table = connection.ops.quote_name(model._meta.db_table)
    return f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", fields, defaulted  # noqa: S608


def database_fills(model, field):
    return (field is model._meta.auto_field or field.db_default is not NOT_PROVIDED
            or getattr(field, "generated", False))


def python_default(field):
    """The value Model.save() would write for a field nobody set."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return timezone.now()
    return field.get_default()


def insert_rows(model, names, rows):
    """INSERT many rows of `model`: `rows` are tuples of values for the fields `names` (all other fields
    must be filled by the database). For bulk writes of derived rows (credit), where building model
    instances cost more than the database spends: on PostgreSQL one COPY, elsewhere one executemany.
    Values must be plain Python values of the fields' types (ints, strings, Decimals, aware datetimes).
    """
    alias = router.db_for_write(model)
    connection = connections[alias]
    fields = [model._meta.get_field(name) for name in names]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            statement = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
            cursor.executemany(statement, [[field.get_db_prep_save(value, connection)
                                            for field, value in zip(fields, row, strict=True)] for row in rows])
