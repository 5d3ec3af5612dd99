"""What a back-office delete page says goes with a row, in a bounded number of queries.

Django's summary (`django.contrib.admin.utils.get_deleted_objects`, Django 5.2) loads every
related row and names each one: a query per row whose name reads another row (an SLA
policy's page made 130 queries for its 116 contracts, each naming its member), and a
category's or a team's page fetched, named, linked and checked its thousands of tickets one
by one (0.5-1.0 s at the demo's full scale, docs/benchmarks-history.md). Django also checks
the delete permission on the rows that *protect* the object, so that page told an operator
admin "your account may not delete tickets" when tickets only stood in the way.

Here each kind of row is named at most `SHOWN_PER_KIND` times and the rest counted ("… and
4,788 more tickets", linked to the back-office list of them all where that list has the
filter): the rows of a protecting relation (`on_delete=PROTECT`) are fetched that many at a
time, counted by the database, and the rows their names read are fetched once for all of
them. Rows the deletion takes along are still collected by Django's own collector (the
deletion deletes them all, the page must know them all) and named up to the same bound per
kind. Only rows that would be deleted need the delete permission.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import NestedObjects, quote
from django.db import models, router
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import ngettext

from mutualis.lib.wording import labelled, labelled_html

# Enough to recognise what a deletion touches; beyond, a count reads better than a list.
SHOWN_PER_KIND = 10


@dataclass(frozen=True)
class ProtectingKind:
    """Rows of one model standing in a deletion's way."""

    model: type[models.Model]
    shown: list[models.Model]  # the first SHOWN_PER_KIND of them
    total: int
    field: Any  # the foreign key through which they protect, when there is one


class BoundedCollector(NestedObjects):
    """Django's collector for delete pages, fetching only `SHOWN_PER_KIND` rows of each
    protecting relation and keeping the query that counts them all."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # model -> [(its foreign key, every protecting row through it, the first ones fetched)]
        self.protecting: dict[
            type[models.Model], list[tuple[Any, models.QuerySet[Any], models.QuerySet[Any]]]
        ] = defaultdict(list)

    def related_objects(
        self, related_model: type[models.Model], related_fields: Iterable[Any], objs: Any
    ) -> models.QuerySet[Any]:
        related_fields = list(related_fields)
        rows = super().related_objects(related_model, related_fields, objs)
        if not all(field.remote_field.on_delete is models.PROTECT for field in related_fields):
            return rows
        # The collector only needs one row to refuse the deletion (PROTECT raises with the
        # rows it was given); the page names a few and counts the rest.
        first = rows if rows.ordered else rows.order_by("pk")
        first = first[:SHOWN_PER_KIND]
        self.protecting[related_model].append((related_fields[0], rows, first))
        return first

    def protected_kinds(self) -> list[ProtectingKind]:
        """Per kind of protecting row: the first rows, in their model's order, and how many
        there are in all (one COUNT per kind)."""
        kinds = []
        for model, relations in self.protecting.items():
            shown: dict[Any, models.Model] = {}
            for _field, _rows, first in relations:
                for row in first:  # fetched already by the collector
                    shown.setdefault(row.pk, row)
            if not shown:
                continue
            fields = {field for field, _rows, _first in relations}
            if len(relations) == 1:
                total = relations[0][1].count()
            else:  # a row may protect through two relations: counted once
                everything = reduce(
                    or_, (models.Q(pk__in=rows.values("pk")) for _f, rows, _first in relations)
                )
                total = model._base_manager.using(self.using).filter(everything).count()
            field = fields.pop() if len(fields) == 1 else None
            kinds.append(ProtectingKind(model, list(shown.values())[:SHOWN_PER_KIND], total, field))
        return sorted(kinds, key=lambda kind: str(kind.model._meta.verbose_name_plural))

    def _nested(self, obj: Any, seen: set[Any], format_callback: Any) -> list[Any]:
        if obj in seen:
            return []
        seen.add(obj)
        children = _bounded(self.edges.get(obj, ()), lambda child: self._nested(child, seen, format_callback))
        ret = [format_callback(obj) if format_callback else obj]
        if children:
            ret.append(children)
        return ret

    def nested(self, format_callback: Any = None) -> list[Any]:
        seen: set[Any] = set()
        edges: dict[Any, list[models.Model]] = self.edges  # the roots are under None
        return _bounded(edges.get(None, ()), lambda root: self._nested(root, seen, format_callback))


def _bounded(rows: Iterable[models.Model], nest: Any) -> list[Any]:
    """`nest(row)` for the first SHOWN_PER_KIND rows of each kind, then how many more."""
    by_kind: dict[type[models.Model], list[models.Model]] = defaultdict(list)
    for row in rows:
        by_kind[type(row)].append(row)
    listed: list[Any] = []
    for model, kind_rows in by_kind.items():
        for row in kind_rows[:SHOWN_PER_KIND]:
            listed.extend(nest(row))
        if len(kind_rows) > SHOWN_PER_KIND:
            listed.append(more_of(model, len(kind_rows) - SHOWN_PER_KIND))
    return listed


def more_of(model: type[models.Model], count: int) -> str:
    """ "… and 4,788 more tickets", in the model's own words."""
    opts = model._meta
    return ngettext("… and %(count)s more %(name)s", "… and %(count)s more %(name)s", count) % {
        "count": number_format(count, force_grouping=True),
        "name": opts.verbose_name if count == 1 else opts.verbose_name_plural,
    }


def deletion_summary(
    objs: Sequence[models.Model], request: HttpRequest, admin_site: admin.AdminSite
) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
    """Django's `get_deleted_objects(objs, request, admin_site)`, bounded: what the
    deletion takes along (nested, SHOWN_PER_KIND per kind), how many of each kind, the
    kinds the person may not delete, and the rows that forbid the deletion."""
    if not objs:
        return [], {}, set(), []
    collector = BoundedCollector(using=router.db_for_write(objs[0]._meta.model), origin=objs)
    collector.collect(objs)

    # (Typed by django-stubs as keyed by name; Django keys it by model.)
    collected: dict[type[models.Model], set[models.Model]] = collector.model_objs  # type: ignore[assignment]
    perms_needed: set[str] = set()
    for model, rows in collected.items():
        if admin_site.is_registered(model):
            model_admin: admin.ModelAdmin[Any] = admin_site.get_model_admin(model)
            if not all(model_admin.has_delete_permission(request, row) for row in rows):
                perms_needed.add(str(model._meta.verbose_name))

    def name(row: models.Model) -> Any:
        opts = row._meta
        plain = labelled(str(capfirst(opts.verbose_name)), str(row))
        if not admin_site.is_registered(type(row)):
            return plain
        try:
            url = reverse(
                f"{admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[quote(row.pk)]
            )
        except NoReverseMatch:
            return plain
        return labelled_html(str(capfirst(opts.verbose_name)), format_html('<a href="{}">{}</a>', url, row))

    to_delete = collector.nested(name)
    protected: list[Any] = []
    for kind in collector.protected_kinds():
        protected.extend(_names(kind.shown, name))
        if kind.total > len(kind.shown):
            more = more_of(kind.model, kind.total - len(kind.shown))
            url = _list_of_all(kind, objs, request, admin_site)
            protected.append(format_html('<a href="{}">{}</a>', url, more) if url else more)
    model_count = {str(kind._meta.verbose_name_plural): len(rows) for kind, rows in collected.items()}
    return to_delete, model_count, perms_needed, protected


def _names(rows: list[models.Model], name: Any) -> list[Any]:
    """`name(row)` of each row, fetching the rows their names read once for all rather
    than once per row: a contract names its member, an incident type its category. Which
    rows those are, the first row's name shows (what it left in its relations' cache);
    the others' are then read by one query per relation."""
    if not rows:
        return []
    first = name(rows[0])
    read = _relations_read(rows[0])
    if read and len(rows) > 1:
        # Rows whose relation is already there (the protecting one, selected) are skipped.
        models.prefetch_related_objects(rows[1:], *read)
    return [first, *(name(row) for row in rows[1:])]


def _relations_read(row: models.Model, prefix: str = "", depth: int = 3) -> list[str]:
    """The foreign keys of `row` fetched so far, and theirs, deepest first
    ("category__parent"), down to `depth` levels (a category's path reads three)."""
    lookups = []
    forward = {field.name for field in row._meta.concrete_fields if field.is_relation}
    for relation, related in row._state.fields_cache.items():
        if relation not in forward:
            continue  # a reverse one-to-one: it may lead back to where we came from
        if isinstance(related, models.Model) and depth > 1:
            lookups.extend(_relations_read(related, f"{prefix}{relation}__", depth - 1))
        lookups.append(f"{prefix}{relation}")
    return lookups


def _list_of_all(
    kind: ProtectingKind, objs: Sequence[models.Model], request: HttpRequest, admin_site: admin.AdminSite
) -> str | None:
    """The back-office list of every row of `kind` protecting the one row deleted, where
    that list offers the filter (the same address as its sidebar's) and the person may
    see it; None otherwise."""
    if kind.field is None or len(objs) != 1 or not admin_site.is_registered(kind.model):
        return None
    model_admin: admin.ModelAdmin[Any] = admin_site.get_model_admin(kind.model)
    target = kind.field.target_field
    lookup = f"{kind.field.name}__{target.name}__exact"  # RelatedFieldListFilter's parameter
    value = str(getattr(objs[0], target.attname))
    if not (model_admin.has_view_permission(request) and model_admin.lookup_allowed(lookup, value, request)):
        return None
    opts = kind.model._meta
    try:
        url = reverse(f"{admin_site.name}:{opts.app_label}_{opts.model_name}_changelist")
    except NoReverseMatch:
        return None
    return f"{url}?{urlencode({lookup: value})}"


class BoundedDeletionSummary(admin.ModelAdmin):
    """Delete pages (and the bulk delete action) naming a bounded number of rows per kind;
    put it before the base admin class."""

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        return deletion_summary(list(objs), request, self.admin_site)
