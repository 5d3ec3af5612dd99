"""The back-office page of reply templates ("réponses types"): the operator's admins write
them, the rest of its staff read them (people/roles.py). Registered by servicedesk.admin;
scoped to the operator like the rest of the desk."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mutualis.backoffice.choices import ScopedRelatedFilter, choices

from .admin import OperatorOwnedAdmin
from .models import ReplyTemplate, Team
from .reply_placeholders import PLACEHOLDERS


def placeholders_help() -> str:
    """The help under the text: what it may hold, each placeholder with what it becomes,
    in the reader's language."""
    rows = format_html_join("", "<li><code>{}</code> – {}</li>", ((p.shown, p.meaning) for p in PLACEHOLDERS))
    return format_html(
        "{}<ul>{}</ul>{}",
        gettext(
            "Plain text. Placeholders, filled with the request’s details when an agent inserts the text:"
        ),
        rows,
        gettext(
            "Any other name between braces is refused. Inserting sends nothing: the agent reads, then sends."
        ),
    )


class ReplyTemplateForm(forms.ModelForm):
    class Meta:
        model = ReplyTemplate
        fields = ["operator", "title", "team", "is_active", "body"]
        widgets = {
            "title": forms.TextInput(attrs={"size": 60}),
            "body": forms.Textarea(attrs={"rows": 12, "cols": 90, "spellcheck": "true"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built here, not on the field: it names the placeholders in the reader's language.
        # (Staff who only read the page get no form field.)
        if "body" in self.fields:
            self.fields["body"].help_text = placeholders_help()


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(OperatorOwnedAdmin):
    form = ReplyTemplateForm
    list_display = ["title", "team", "is_active", "excerpt", "updated_at"]
    list_filter = ["is_active", ("team", ScopedRelatedFilter)]
    search_fields = ["title", "body"]
    list_select_related = ["team"]

    @admin.display(description=_("text"))
    def excerpt(self, obj: ReplyTemplate) -> str:
        return Truncator(obj.body).chars(90)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "team":
            kwargs["queryset"] = choices(Team, request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
