"""The back-office page of reply templates ("réponses types"): the operator's admins write
them all; a supervisor writes those of the teams they run (`Team.objects.supervised_by`)
and reads those for every team, never seeing other teams'; the rest of the staff read them
(people/roles.py). Registered by servicedesk.admin; scoped to the operator like the rest of
the desk. A row the person may not see is a 404, as on the desk's pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mutualis.backoffice.choices import ScopedRelatedFilter, choices
from mutualis.people.roles import Role

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


def supervised_teams(request: HttpRequest) -> frozenset[int] | None:
    """The ids of the operator's teams whose templates `request`'s supervisor writes, or
    None when the person is no supervisor (the role table alone then decides). Read once
    per request: the list asks for every row."""
    scope = request.scope  # type: ignore[attr-defined]
    if request.user.is_superuser or scope.role != Role.SUPERVISOR:
        return None
    cached: frozenset[int] | None = getattr(request, "_supervised_teams", None)
    if cached is None:
        teams = Team.objects.supervised_by(request.user).visible_to(scope)  # type: ignore[arg-type]
        cached = frozenset(teams.values_list("pk", flat=True))
        request._supervised_teams = cached  # type: ignore[attr-defined]
    return cached


class TeamFilter(ScopedRelatedFilter):
    """The filter by team: a supervisor's own teams only."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        found = super().field_choices(field, request, model_admin)
        teams = supervised_teams(request)
        return found if teams is None else [(pk, name) for pk, name in found if int(pk) in teams]


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(OperatorOwnedAdmin):
    form = ReplyTemplateForm
    list_display = ["title", "team", "is_active", "excerpt", "updated_at"]
    list_filter = ["is_active", ("team", TeamFilter)]
    search_fields = ["title", "body"]
    list_select_related = ["team"]

    @admin.display(description=_("text"))
    def excerpt(self, obj: ReplyTemplate) -> str:
        return Truncator(obj.body).chars(90)

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        teams = supervised_teams(request)
        found = super().get_queryset(request)
        # A supervisor sees the templates for every team (to read) and their teams' own.
        return found if teams is None else found.filter(Q(team__isnull=True) | Q(team_id__in=teams))

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        # Django's admin answers a row it cannot find with a redirect and "does not exist";
        # here, as on the desk's pages, another operator's or another team's is a 404.
        found = super().get_object(request, object_id, from_field)
        if found is None:
            raise Http404
        return found

    def _writes(self, request: HttpRequest, action: str, obj: ReplyTemplate | None) -> bool:
        if not self._allows(request, action):
            return False
        teams = supervised_teams(request)
        if teams is None:
            return True
        # Templates for every team stay the operator admins'.
        return obj.team_id in teams if obj is not None else bool(teams)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._writes(request, "add", None)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._writes(request, "change", obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._writes(request, "delete", obj)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "team":
            kwargs["queryset"] = choices(Team, request)
            teams = supervised_teams(request)
            if teams is not None:
                kwargs["queryset"] = kwargs["queryset"].filter(pk__in=teams)
                kwargs["required"] = True
                kwargs["help_text"] = _("One of the teams you supervise: offered to its members only.")
                kwargs["error_messages"] = {
                    "required": _(
                        "Choose one of your teams: templates for every team are written by "
                        "the operator’s administrators."
                    )
                }
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
