"""Choice fields over a queryset whose options are read as values, not model instances.

A filter box offers a member's 80 sites, or the operator's 500 members on the desk: Django's
ModelChoiceField builds a model instance, a ModelChoiceIteratorValue and a label per option
on every page, which took 4 ms of the members' ticket list for the sites and 2.5 ms for 17
categories at a million tickets (docs/benchmarks-history.md). Here each option is one row of
`values_list`. Validation is ModelChoiceField's own: a posted value is still looked up in
the same queryset (the tenancy door), so nothing else changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.forms.models import ModelChoiceIterator


class _NamesIterator(ModelChoiceIterator):
    """(pk, name) of each row."""

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        yield from self.queryset.values_list("pk", "name")


class _PathsIterator(ModelChoiceIterator):
    """(pk, "Réseau > Wi-Fi") of each row of a tree (`name`, `parent`, `operator`): the names
    of its ancestors read with it, three levels up, in the same query; for a deeper tree
    (a row whose great-grandparent exists), the whole tree of the operator in one more."""

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        up = "parent__parent__parent"
        rows = list(
            self.queryset.values_list("pk", "name", "parent__name", "parent__parent__name", f"{up}_id")
        )
        if all(deeper is None for *_names, deeper in rows):
            for pk, *names, _deeper in rows:
                yield pk, " > ".join(reversed([name for name in names if name is not None]))
            return
        nodes = self.queryset.model._default_manager.filter(
            operator_id__in=self.queryset.values("operator_id")
        )
        tree = {pk: (name, parent) for pk, name, parent in nodes.values_list("pk", "name", "parent_id")}
        for pk, *_row in rows:
            path: list[str] = []
            node = pk
            while node in tree and len(path) <= len(tree):  # the bound guards against a cycle
                name, node = tree[node]
                path.append(name)
            yield pk, " > ".join(reversed(path))


class NamedChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField whose options show the rows' `name` (what the registry's and the
    desk's models print as)."""

    iterator = _NamesIterator


class PathChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField over a tree whose options show each node's path, as the desk's
    Category.path does."""

    iterator = _PathsIterator
