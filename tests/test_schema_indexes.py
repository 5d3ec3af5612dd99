"""Every index of the schema is there for a reason, and every foreign key is indexed.

Django indexes each foreign key by default. Most of ours are also the first column of a
composite index or unique constraint of their table (`ticket_member_state_id` starts with
the member): that index serves every lookup by the foreign key alone too (PostgreSQL and
SQLite both read a B-tree by its leading columns), so the key's own index only cost a write
on every insert, and space (at a million tickets, tens of MB per such index of the tickets
table). Those keys say `db_index=False`, with the index that serves them in a comment.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection, models

APPS = ("registry", "people", "servicedesk", "datahub", "insights", "jobs", "web", "backoffice")


def _our_models() -> list[type[models.Model]]:
    return [
        model
        # Django's own through tables of many-to-many fields (auto-created) are left as Django
        # makes them.
        for model in apps.get_models()
        if model._meta.app_label in APPS and model._meta.managed and not model._meta.proxy
    ]


def _leading_columns(model: type[models.Model]) -> dict[str, list[str]]:
    """{index or constraint name: its columns} of the plain B-tree indexes and unique
    constraints declared on `model` (a condition, an expression or an operator class makes
    an index serve other queries: those are left out)."""
    meta = model._meta
    found: dict[str, list[str]] = {}
    for index in meta.indexes:
        if (
            type(index) is models.Index
            and index.condition is None
            and not index.expressions
            and not index.opclasses
        ):
            found[index.name] = [meta.get_field(name.lstrip("-")).column for name in index.fields]
    for constraint in meta.constraints:
        if (
            isinstance(constraint, models.UniqueConstraint)
            and constraint.condition is None
            and not constraint.expressions
            and not constraint.opclasses
        ):
            found[constraint.name] = [meta.get_field(name).column for name in constraint.fields]
    for fields in meta.unique_together:
        found[f"unique_together {fields}"] = [meta.get_field(name).column for name in fields]
    return found


def _any_index_starts_with(model: type[models.Model], column: str) -> bool:
    meta = model._meta
    pk_columns = [field.column for field in getattr(meta.pk, "fields", [meta.pk])]
    if pk_columns[0] == column:
        return True
    starts = [cols[0] for cols in _leading_columns(model).values()]
    # A conditional index or one with an operator class still serves a key's lookups.
    starts += [meta.get_field(index.fields[0].lstrip("-")).column for index in meta.indexes if index.fields]
    starts += [
        meta.get_field(constraint.fields[0]).column
        for constraint in meta.constraints
        if isinstance(constraint, models.UniqueConstraint) and constraint.fields
    ]
    return column in starts


def test_no_field_index_repeats_the_start_of_another():
    repeated = []
    for model in _our_models():
        composite = _leading_columns(model)
        for field in model._meta.local_fields:
            if not field.db_index or field.unique or field.primary_key:
                continue
            covering = [name for name, columns in composite.items() if columns[0] == field.column]
            if covering:
                repeated.append(f"{model._meta.label}.{field.name}: {', '.join(covering)} starts with it")
    assert repeated == [], "set db_index=False on these fields:\n" + "\n".join(repeated)


def test_every_foreign_key_is_indexed():
    """A key without an index makes each delete of the row it points to read its whole
    table (ON DELETE checks and cascades), and each join by it a scan. A key the database
    does not check and Django does not follow on delete (`db_constraint=False`,
    `DO_NOTHING`: the insights' copies of tickets) reads nothing on delete: its indexes are
    the ones its own queries need."""
    bare = []
    for model in _our_models():
        for field in model._meta.local_fields:
            if not isinstance(field, models.ForeignKey) or field.db_index or field.unique:
                continue
            if not field.db_constraint and field.remote_field.on_delete is models.DO_NOTHING:
                continue
            if not _any_index_starts_with(model, field.column):
                bare.append(f"{model._meta.label}.{field.name}")
    assert bare == [], "foreign keys without an index:\n" + "\n".join(bare)


# (index name, kept whatever else exists (unique, or carrying INCLUDE columns), key columns with
# their operator class or collation); partial indexes and indexes on expressions are left out,
# as they serve other queries.
Index = tuple[str, bool, tuple[str, ...]]


def _postgresql_indexes(cursor, table: str) -> list[Index]:
    cursor.execute(
        "SELECT c.relname, i.indisunique, i.indnkeyatts, i.indkey::text, i.indclass::text FROM pg_index i"
        " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam"
        " WHERE i.indrelid = %s::regclass AND am.amname = 'btree' AND i.indpred IS NULL AND i.indexprs IS NULL",
        [connection.ops.quote_name(table)],
    )
    return [
        # An index carrying INCLUDE columns serves index-only scans its key alone would not:
        # counted as kept, as a unique one is.
        (
            name,
            unique or len(cols.split()) > keys,
            tuple(f"{col}/{cls}" for col, cls in zip(cols.split()[:keys], classes.split(), strict=True)),
        )
        for name, unique, keys, cols, classes in cursor.fetchall()
    ]


def _sqlite_indexes(cursor, table: str) -> list[Index]:
    cursor.execute(f"PRAGMA index_list({connection.ops.quote_name(table)})")
    found = []
    for _seq, name, unique, _origin, partial in cursor.fetchall():
        if partial:
            continue
        cursor.execute(f"PRAGMA index_xinfo({connection.ops.quote_name(name)})")
        # Key columns only (the rowid a SQLite index ends with is not one); cid -2: an expression.
        columns = [
            (cid, column, collation) for _n, cid, column, _desc, collation, key in cursor.fetchall() if key
        ]
        if any(cid == -2 for cid, _c, _k in columns):
            continue
        found.append(
            (name, bool(unique), tuple(f"{column}/{collation}" for _cid, column, collation in columns))
        )
    return found


@pytest.mark.django_db
def test_the_database_holds_no_index_another_one_starts_with():
    """What the migrations built, read from the database's catalogue: an index whose columns
    (with their operator classes or collations) begin another B-tree index of the same
    table is redundant, unless it enforces uniqueness."""
    read = _postgresql_indexes if connection.vendor == "postgresql" else _sqlite_indexes
    redundant = []
    checked = 0
    with connection.cursor() as cursor:
        for model in _our_models():
            indexes = read(cursor, model._meta.db_table)
            checked += len(indexes)
            for name, kept, columns in indexes:
                if kept:
                    continue
                for other, _unique, other_columns in indexes:
                    if other != name and other_columns[: len(columns)] == columns:
                        redundant.append(f"{model._meta.db_table}: {name} is the start of {other}")
    assert checked > 100  # the catalogue was read (every table has its indexes)
    assert redundant == []
