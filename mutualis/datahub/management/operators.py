"""The operator a data hub command works for: named by its slug, or the only one."""

from __future__ import annotations

from django.core.management.base import CommandError

from mutualis.registry.models import Operator


def operator_from_option(slug: str) -> Operator:
    operators = Operator.objects.all()
    if slug:
        operators = operators.filter(slug=slug)
    found = list(operators[:2])
    if len(found) != 1:
        raise CommandError("Name the operator with --operator <slug> (none or several found).")
    return found[0]
