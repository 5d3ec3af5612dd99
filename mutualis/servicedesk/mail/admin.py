"""The back-office pages of email out: the operator's wording of each notification
(operator admins edit, with checking and a preview; other staff read), and the outbox
(operator admins read what left, what failed, and what the recipients' servers reported
back)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mutualis.backoffice.site import ReadOnlyAdmin, ScopedAdmin

from ..models import EmailTemplate, NotificationEvent, OutboundEmail
from . import texts
from .rendering import VARIABLES, render_wording, sample_context, validate_template


class EmailTemplateForm(forms.ModelForm):
    # Set by the admin to the operator the admin acts for: a template is always theirs.
    operator_id: int | None = None

    class Meta:
        model = EmailTemplate
        fields = ["event", "language", "subject", "body"]
        widgets = {
            "subject": forms.TextInput(attrs={"size": 90}),
            "body": forms.Textarea(attrs={"rows": 20, "cols": 90, "spellcheck": "true"}),
        }
        help_texts = {
            "body": _(
                "Plain text. Variables are written {{ title }}; conditions "
                "{% if resolve_due %}…{% endif %}. The line inviting to reply above it is "
                "added at the top, and the link to choose one's notifications at the bottom."
            )
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.operator_id is None and self.operator_id is not None:
            self.instance.operator_id = self.operator_id

    def clean_subject(self) -> str:
        subject: str = self.cleaned_data["subject"]
        validate_template(subject)
        return subject

    def clean_body(self) -> str:
        body: str = self.cleaned_data["body"]
        validate_template(body)
        return body

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.operator_id is None:
            raise forms.ValidationError(_("Act for an operator to write its email templates."))
        taken = EmailTemplate.objects.filter(
            operator_id=self.instance.operator_id,
            event=cleaned.get("event"),
            language=cleaned.get("language"),
        ).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                _("This notification already has its own text in this language: edit that one.")
            )
        return cleaned


@admin.register(EmailTemplate)
class EmailTemplateAdmin(ScopedAdmin):
    """No row: the default text of texts.py is sent. Deleting a row (or the action below)
    brings the default back."""

    form = EmailTemplateForm
    list_display = ["event", "language", "subject", "updated_at"]
    list_filter = ["event", "language"]
    search_fields = ["subject", "body"]
    readonly_fields = ["preview", "variables"]
    fieldsets = [
        (None, {"fields": ["event", "language", "subject", "body"]}),
        (_("Preview, with made-up values"), {"fields": ["preview"]}),
        (_("Variables"), {"fields": ["variables"], "classes": ["collapse"]}),
    ]
    actions = ["reset_to_default"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"operator_id": request.scope.operator_id})  # type: ignore[attr-defined]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        """A new template starts from the default text of the notification and language
        asked for (`?event=resolved&language=fr`, the links of the list)."""
        initial = super().get_changeform_initial_data(request)
        asked = str(initial.get("event") or "")
        event = asked if asked in NotificationEvent.values else NotificationEvent.CREATED
        language = texts.language_of(str(initial.get("language") or texts.DEFAULT_LANGUAGE))
        wording = texts.default_wording(event, language)
        return {
            **initial,
            "event": event,
            "language": language,
            "subject": wording.subject,
            "body": wording.body,
        }

    @admin.display(description=_("preview"))
    def preview(self, obj: EmailTemplate | None) -> str:
        if obj is None or not obj.pk:
            return gettext("Save the template to see it with made-up values.")
        try:
            subject, body = render_wording(texts.Wording(obj.subject, obj.body), sample_context(obj.language))
        except Exception as exc:  # a template saved before a variable was renamed: say why
            return gettext("This template cannot be rendered: %(error)s") % {"error": exc}
        return format_html(
            '<p><strong>{}</strong></p><pre class="email-preview" style="white-space: pre-wrap">{}</pre>',
            subject,
            body,
        )

    @admin.display(description=_("available variables"))
    def variables(self, obj: EmailTemplate | None) -> str:
        rows = format_html_join("\n", "<dt><code>{{{{ {} }}}}</code></dt><dd>{}</dd>", VARIABLES.items())
        return format_html("<dl>{}</dl>", rows)

    @admin.action(description=_("Reset the selected templates to the default text"), permissions=["delete"])
    def reset_to_default(self, request: HttpRequest, queryset: QuerySet[EmailTemplate]) -> None:
        count, _deleted = queryset.delete()
        self.message_user(
            request,
            gettext("%(count)s template(s) reset: the default text is sent again.") % {"count": count},
            messages.SUCCESS,
        )

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        """The list, with every notification and language: the operator's own text, or
        the default with a link to write one."""
        response = super().changelist_view(request, extra_context)
        if isinstance(response, TemplateResponse) and response.context_data is not None:
            own = {
                (t.event, t.language): t.pk
                for t in self.get_queryset(request).only("pk", "event", "language")
            }
            response.context_data["overview"] = [
                (event, [(language, own.get((event.value, language))) for language in texts.LANGUAGES])
                for event in NotificationEvent
            ]
        return response


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdmin, ScopedAdmin):
    """What was sent, to whom, and what failed: read-only, for the operator's admins (the
    addresses of the members' people are in it)."""

    list_display = [
        "created_at",
        "ticket_number",
        "event",
        "to",
        "subject",
        "state",
        "attempts",
        "sent_at",
        "delivery",
    ]
    # A delivery report (bounce, mail/inbound_bounce.py) is how an email that left is
    # known not to have arrived: filter on it as on the state.
    list_filter = ["state", "delivery_action", "event"]
    search_fields = ["to", "subject", "=ticket__number", "=message_id"]
    list_select_related = ["ticket"]
    readonly_fields = [
        *(f.name for f in OutboundEmail._meta.fields if f.name != "context"),
        "delivery_reports",
    ]
    exclude = ["context"]

    @admin.display(description=_("ticket"), ordering="ticket__number")
    def ticket_number(self, obj: OutboundEmail) -> str:
        return f"n° {obj.ticket.number}"

    @admin.display(description=_("delivery report"), ordering="delivery_reported_at")
    def delivery(self, obj: OutboundEmail) -> str:
        """What the recipient's server reported (RFC 3464 Action, RFC 3463 status and the
        server's diagnostic), else the relay's refusal, else nothing."""
        if obj.delivery_action:
            return format_html(
                '<span data-delivery="{}">{}</span><br><code>{}</code> {}',
                obj.delivery_action,
                obj.get_delivery_action_display(),
                obj.delivery_status or "?",
                obj.delivery_diagnostic[:300],
            )
        return obj.last_error[:300] or "—"

    @admin.display(description=_("delivery reports received"))
    def delivery_reports(self, obj: OutboundEmail) -> str:
        """Links to the reports received about it, where set-aside mail is reviewed."""
        reports = obj.bounces.order_by("pk").only("pk", "received_at")[:20]
        if not reports:
            return "—"
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            (
                (
                    reverse("servicedesk:desk-mail-detail", args=[r.pk]),
                    date_format(localtime(r.received_at), "SHORT_DATETIME_FORMAT"),
                )
                for r in reports
            ),
        )

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser or request.scope.is_operator_admin)  # type: ignore[attr-defined]
