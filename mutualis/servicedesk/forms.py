"""Web forms of the service desk: list filters, declaring, replying, the staff's actions.

Every choice offered comes through a tenancy door (`visible_to(scope)`), so a tampered
value (another member's site, another operator's technician) fails validation like a
value that does not exist.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q, QuerySet
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from mutualis.lib.numbers import whole_number
from mutualis.people.models import Membership, User
from mutualis.people.roles import OPERATOR_ROLES, Role
from mutualis.people.tenancy import Scope
from mutualis.registry.models import Asset, AssetModel, Member, Site, SiteKind
from mutualis.web.choices import NamedChoiceField, PathChoiceField
from mutualis.web.date_fields import CalendarDateField

from .answers import AssetChoiceField, site_assets
from .attachments import ALLOWED_EXTENSIONS, CheckedFile, check_uploads, clean_name
from .lifecycle import allowed_targets, label
from .models import Category, DeskSettings, IncidentType, Priority, Team, Ticket, TicketState
from .selectors import COUNTED_INCIDENTS

STATE_CHOICES = [
    ("", _("All")),
    ("open", _("Open (not yet resolved)")),
    *((value, capfirst(name)) for value, name in TicketState.choices),
]
PRIORITY_CHOICES = [("", _("All")), *Priority.choices]


def catalogue_categories(scope: Scope) -> QuerySet[Category]:
    """The operator's categories, to filter lists by. The catalogue is the operator's and
    its members see it when they declare, so member users may filter by it too."""
    if scope.operator_id is None:
        return Category.objects.none()
    return Category.objects.filter(operator_id=scope.operator_id, is_active=True).select_related(
        "parent", "parent__parent"
    )


def operator_staff(scope: Scope) -> QuerySet[User]:
    """The people tickets can be assigned to: the operator's own staff, by name."""
    memberships = (
        Membership.objects.visible_to(scope).active().filter(member__isnull=True, role__in=OPERATOR_ROLES)
    )
    return User.objects.filter(pk__in=memberships.values("user_id")).order_by("full_name", "pk")


def site_people(scope: Scope, site: Site) -> QuerySet[User]:
    """The people who follow a site's tickets (its member's, and the site's own contacts),
    for the service desk naming who called."""
    memberships = (
        Membership.objects.visible_to(scope)
        .active()
        .filter(member_id=site.member_id)
        .filter(~Q(role=Role.SITE_CONTACT) | Q(sites=site))
    )
    return User.objects.filter(pk__in=memberships.values("user_id")).order_by("full_name", "pk")


def _offer_staff(form: forms.Form, scope: Scope, *first: tuple[str, Any]) -> dict[str, User]:
    """Offer the operator's staff in the form's "assignee" choice, after the `first`
    choices (me, nobody…); return them by the value their choice posts."""
    staff = {str(u.pk): u for u in operator_staff(scope)}
    people = [(pk, u.full_name or u.email) for pk, u in staff.items()]
    form.fields["assignee"].choices = [*first, *people]  # type: ignore[attr-defined]
    return staff


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.full_name or obj.email)


class _Filters(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    state = forms.ChoiceField(label=_("State"), required=False, choices=STATE_CHOICES)
    priority = forms.ChoiceField(label=_("Priority"), required=False, choices=PRIORITY_CHOICES)
    category = PathChoiceField(
        label=_("Category"), required=False, queryset=Category.objects.none(), empty_label=_("All")
    )
    # Declared within a period: also the drill-down of the incidentology figures (insights).
    created_after = CalendarDateField(label=_("Declared from"), required=False)
    created_before = CalendarDateField(label=_("Declared until"), required=False)

    def __init__(self, scope: Scope, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scope = scope
        self.fields["category"].queryset = catalogue_categories(scope)  # type: ignore[attr-defined]

    def filters(self) -> dict[str, Any]:
        """The valid filters; an invalid value (a tampered URL) is ignored, not an error page."""
        if not self.is_valid():
            return {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        return self.cleaned_data


class TicketFilterForm(_Filters):
    """The ticket list: a member's users filter by their sites, the operator's by member."""

    site = NamedChoiceField(
        label=_("Site"), required=False, queryset=Site.objects.none(), empty_label=_("All")
    )
    member = NamedChoiceField(
        label=_("Member"), required=False, queryset=Member.objects.none(), empty_label=_("All")
    )
    # Set by links rather than boxes: "all of them" under an asset's incidents, and a row
    # of the recurring failures (insights), whose list must hold exactly the tickets the
    # row counted. Hidden, and said among the filters in use.
    asset = forms.ModelChoiceField(
        label=_("Equipment"), required=False, queryset=Asset.objects.none(), widget=forms.HiddenInput
    )
    model = forms.ModelChoiceField(
        label=_("Model"), required=False, queryset=AssetModel.objects.all(), widget=forms.HiddenInput
    )
    incident_type = forms.ModelChoiceField(
        label=_("Incident type"),
        required=False,
        queryset=IncidentType.objects.none(),
        widget=forms.HiddenInput,
    )
    exact_category = forms.ModelChoiceField(
        label=_("Category, without the ones under it"),
        required=False,
        queryset=Category.objects.none(),
        widget=forms.HiddenInput,
    )
    # The staff's figures filter by these too (members' users have no such boxes).
    site_kind = forms.ModelChoiceField(
        label=_("Kind of site"), required=False, queryset=SiteKind.objects.all(), widget=forms.HiddenInput
    )
    team = forms.ModelChoiceField(
        label=_("Team"), required=False, queryset=Team.objects.none(), widget=forms.HiddenInput
    )
    counted = forms.ChoiceField(
        label=_("Requests"),
        required=False,
        choices=[
            ("", _("All")),
            (
                COUNTED_INCIDENTS,
                _("only those counted as incidents (no merged duplicate, no cancelled request)"),
            ),
        ],
        widget=forms.HiddenInput,
    )

    def __init__(self, scope: Scope, *args: Any, **kwargs: Any) -> None:
        super().__init__(scope, *args, **kwargs)
        self.fields["asset"].queryset = Asset.objects.visible_to(scope)  # type: ignore[attr-defined]
        # The operator's catalogue, inactive types and categories too: their tickets are
        # still there to list.
        if scope.operator_id is not None:
            types = IncidentType.objects.filter(operator_id=scope.operator_id).labelled()
            self.fields["incident_type"].queryset = types  # type: ignore[attr-defined]
            categories = Category.objects.filter(operator_id=scope.operator_id).labelled()
            self.fields["exact_category"].queryset = categories  # type: ignore[attr-defined]
        linked = ["model", "incident_type", "exact_category", "counted"]
        if scope.is_operator_staff:
            # Every member's sites: a link names one (no box, the list would be too long).
            self.fields["site"].widget = forms.HiddenInput()
            self.fields["site"].queryset = Site.objects.visible_to(scope)  # type: ignore[attr-defined]
            self.fields["member"].queryset = Member.objects.visible_to(scope).only("id", "name")  # type: ignore[attr-defined]
            self.fields["team"].queryset = Team.objects.visible_to(scope)  # type: ignore[attr-defined]
            linked += ["site", "site_kind", "team"]
        else:
            for name in ("member", "site_kind", "team"):
                del self.fields[name]
            self.fields["site"].queryset = Site.objects.visible_to(scope).only("id", "name")  # type: ignore[attr-defined]
        # A value set by a link is kept (hidden) when the person filters further; one no
        # link set is not there at all, or its empty value would ride along every search.
        for name in linked:
            if not self.data.get(name):
                del self.fields[name]


class DeskFilterForm(_Filters):
    """The desk's queues: who, where, what, how old."""

    member = NamedChoiceField(
        label=_("Member"), required=False, queryset=Member.objects.none(), empty_label=_("All")
    )
    site_kind = NamedChoiceField(
        label=_("Kind of site"), required=False, queryset=SiteKind.objects.all(), empty_label=_("All")
    )
    # Any team's queue, for those who dispatch without being in the team (the tabs hold
    # one's own teams).
    team = NamedChoiceField(
        label=_("Team"), required=False, queryset=Team.objects.none(), empty_label=_("All")
    )
    assignee = forms.ChoiceField(label=_("Assigned to"), required=False)
    older_than_days = forms.IntegerField(
        label=_("Declared more than … days ago"), required=False, min_value=1, max_value=3650
    )
    deadline = forms.ChoiceField(
        label=_("Deadlines"),
        required=False,
        choices=[("", _("All")), ("near", _("Deadline near")), ("missed", _("Deadline missed"))],
    )

    def __init__(self, scope: Scope, *args: Any, **kwargs: Any) -> None:
        super().__init__(scope, *args, **kwargs)
        self.fields["member"].queryset = Member.objects.visible_to(scope).only("id", "name")  # type: ignore[attr-defined]
        self.fields["team"].queryset = Team.objects.visible_to(scope)  # type: ignore[attr-defined]
        self.staff = _offer_staff(self, scope, ("", _("Anyone")), ("me", _("Me")), ("none", _("Nobody")))

    def clean_assignee(self) -> Any:
        value = self.cleaned_data.get("assignee", "")
        return self.staff.get(value, value)


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class FilesField(forms.Field):
    """Several files in one input, each checked by content (attachments.check_uploads)
    before anything is kept; the limits are the operator's."""

    widget = MultipleFileInput

    def __init__(self, *, settings: DeskSettings, **kwargs: Any) -> None:
        self.max_bytes = settings.max_attachment_mb * 1_000_000
        self.max_count = settings.max_attachments
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            _("Photos, PDF, office documents or text; up to %(count)d files of %(size)d MB each.")
            % {"count": self.max_count, "size": settings.max_attachment_mb},
        )
        super().__init__(**kwargs)
        self.widget.attrs["accept"] = ",".join(f".{ext}" for ext in ALLOWED_EXTENSIONS)

    def clean(self, value: Any) -> list[CheckedFile]:
        uploads = [f for f in (value or []) if f]
        if not uploads:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        return check_uploads(uploads, max_bytes=self.max_bytes, max_count=self.max_count)


def chosen_names(uploads: list[UploadedFile]) -> list[str]:
    """The names of the files chosen in a file box, as they would be kept."""
    return [clean_name(upload.name or "") for upload in uploads if upload]


def _quoted(names: list[str]) -> str:
    """File names, quoted and joined for a sentence."""
    return ", ".join(gettext("“%(name)s”") % {"name": name} for name in names)


def ask_files_again(form: forms.Form, field: str = "files") -> None:
    """A form sent back to be corrected comes without the files it was sent with: no
    browser refills a file box. Say so at that box, naming them, so that they are chosen
    again rather than lost without a word (WCAG 3.3.1). A refused file already has its
    message there."""
    if field in form.errors:
        return
    names = chosen_names(form.files.getlist(form.add_prefix(field)))
    if names:
        message = ngettext(
            "Choose the file %(names)s again: a form sent back to be corrected cannot keep it.",
            "Choose the files %(names)s again: a form sent back to be corrected cannot keep them.",
            len(names),
        ) % {"names": _quoted(names)}
        form.add_error(field, ValidationError(message, code="choose_again"))


def say_files_not_kept(
    form: forms.Form, names: list[str], field: str = "files", *, other_sent: bool = False
) -> None:
    """A page shown again with nothing sent (a template inserted, or the other box's send
    refused), or the page that follows the other box's send (`other_sent`: the reply sent,
    the note not added, or the other way round), cannot keep the files chosen in `form`'s
    file box either. Say so at that box, first in the hint it is described by, naming them
    to be chosen again: a hint, not an error, as nothing was refused (WCAG 3.3.2)."""
    if not names:
        return
    count, quoted = len(names), _quoted(names)
    if not other_sent:
        message = ngettext(
            "Choose the file %(names)s again: the page shown again cannot keep it.",
            "Choose the files %(names)s again: the page shown again cannot keep them.",
            count,
        )
    elif form.prefix == NoteForm.prefix:
        message = ngettext(
            "Choose the file %(names)s again for the note: only the reply was sent, "
            "and the page that follows cannot keep it.",
            "Choose the files %(names)s again for the note: only the reply was sent, "
            "and the page that follows cannot keep them.",
            count,
        )
    else:
        message = ngettext(
            "Choose the file %(names)s again for the reply: only the note was added, "
            "and the page that follows cannot keep it.",
            "Choose the files %(names)s again for the reply: only the note was added, "
            "and the page that follows cannot keep them.",
            count,
        )
    box = form.fields[field]
    box.help_text = format_html("<strong>{}</strong> {}", message % {"names": quoted}, box.help_text)


def _files_field(operator_id: int, label: Any) -> FilesField:
    return FilesField(settings=DeskSettings.for_operator(operator_id), label=label)


class DeclareForm(forms.Form):
    """What every declaration asks; the type's own questions are a second form (answers)."""

    # Each "required" says what to type (WCAG 3.3.3, RGAA 11.11), not only that it is missing.
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        help_text=_("In a few words, what is wrong."),
        error_messages={"required": _("Give the ticket a short title saying what is wrong.")},
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What happened, since when, what you already tried."),
    )

    def __init__(
        self, scope: Scope, site: Site, incident_type: IncidentType, *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["title"].initial = incident_type.name
        # The type's questions may already ask for the equipment (an "asset" question);
        # otherwise a type naming a kind of equipment asks which one, here.
        asks_asset = any(f.kind == "asset" for f in incident_type.fields.all())
        if incident_type.asset_type_id and not asks_asset:
            self.fields["asset"] = AssetChoiceField(
                label=_("The equipment concerned"),
                queryset=site_assets(site, incident_type),
                required=incident_type.asset_required,
                empty_label="—",
                help_text=_("Its inventory tag is on the label stuck on it."),
            )
        self.fields["files"] = _files_field(site.operator_id, _("Files (photos, documents)"))
        if scope.is_operator_staff:
            self.fields["requester"] = PersonChoiceField(
                label=_("Who called"),
                queryset=site_people(scope, site),
                required=False,
                empty_label=_("Someone without an account (say who in the description)"),
            )


# A reply's or a note's text (its box's `maxlength`).
BODY_MAX_LENGTH = 10_000


class ReplyForm(forms.Form):
    prefix = "reply"
    body = forms.CharField(
        label=_("Your message"),
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Write a message.")},
    )

    def __init__(self, ticket: Ticket, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["files"] = _files_field(ticket.operator_id, _("Files"))


class NoteForm(ReplyForm):
    prefix = "note"

    def __init__(self, ticket: Ticket, *args: Any, **kwargs: Any) -> None:
        super().__init__(ticket, *args, **kwargs)
        self.fields["body"].label = _("Internal note")
        self.fields["body"].help_text = _("Seen by the operator's staff only, never by the member.")


class ReopenForm(forms.Form):
    prefix = "reopen"
    reason = forms.CharField(
        label=_("Why is the problem not solved?"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("Say what is still wrong, so that the technician knows what to look at.")
        },
    )


class TransitionForm(forms.Form):
    prefix = "state"
    to = forms.ChoiceField(
        label=_("New state"), error_messages={"required": _("Choose the ticket’s new state.")}
    )
    note = forms.CharField(
        label=_("Message to the member (optional)"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent as a public reply with the change, e.g. how the problem was solved."),
    )

    def __init__(self, ticket: Ticket, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Every state is accepted here so that an illegal one reaches the life cycle,
        # which refuses it with the message that says what is possible.
        offered = allowed_targets(ticket.state, staff=True)
        self.fields["to"].choices = [(s, label(s)) for s in offered] + [  # type: ignore[attr-defined]
            (s, label(s)) for s in TicketState.values if s not in offered
        ]
        self.offered = [(s, label(s)) for s in offered]


class AssignForm(forms.Form):
    prefix = "assign"
    assignee = PersonChoiceField(
        label=_("Technician"), required=False, queryset=User.objects.none(), empty_label=_("Nobody")
    )
    team = forms.ModelChoiceField(
        label=_("Team"), required=False, queryset=Team.objects.none(), empty_label=_("Unchanged")
    )

    def __init__(self, scope: Scope, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = operator_staff(scope)  # type: ignore[attr-defined]
        self.fields["team"].queryset = Team.objects.visible_to(scope).filter(is_active=True)  # type: ignore[attr-defined]


class RouteForm(forms.Form):
    prefix = "route"
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none())

    def __init__(self, scope: Scope, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.visible_to(scope).filter(is_active=True)  # type: ignore[attr-defined]


class PriorityForm(forms.Form):
    prefix = "priority"
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Priority.choices, coerce=int)


class IncidentTypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.category.path} > {obj.name}"


class ReclassifyForm(forms.Form):
    prefix = "reclassify"
    incident_type = IncidentTypeChoiceField(
        label=_("Incident type"),
        queryset=IncidentType.objects.none(),
        help_text=_("The category follows the type."),
    )

    def __init__(self, scope: Scope, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["incident_type"].queryset = (  # type: ignore[attr-defined]
            IncidentType.objects.active()
            .visible_to(scope)
            .select_related("category", "category__parent", "category__parent__parent")
            .order_by("category__position", "category__name", "position", "name")
        )


class LinkAssetForm(forms.Form):
    prefix = "link"
    inventory_tag = forms.CharField(
        label=_("Inventory tag"), max_length=64, help_text=_("Equipment of the ticket's member.")
    )


class UnlinkAssetForm(forms.Form):
    prefix = "unlink"
    asset = forms.ModelChoiceField(queryset=Asset.objects.none())

    def __init__(self, ticket: Ticket, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["asset"].queryset = ticket.assets.all()  # type: ignore[attr-defined]


class MergeForm(forms.Form):
    prefix = "merge"
    into = forms.IntegerField(
        label=_("Number of the ticket that goes on"),
        min_value=1,
        help_text=_("This ticket is closed as its duplicate; its equipment moves over."),
        # Each says what to type (WCAG 3.3.3, RGAA 11.11), not only what is wrong.
        error_messages={
            "required": _("Type the number of the ticket that goes on, such as 1024."),
            "invalid": _("Type a ticket number in digits, such as 1024."),
            "min_value": _("Type a ticket number in digits, such as 1024."),
        },
    )


class TicketNumbersField(forms.ModelMultipleChoiceField):
    """Tickets by number: a value that is no number the database can hold (a tampered form,
    99999999999999999999) is an invalid choice, not an overflow in the query."""

    def clean(self, value: Any) -> Any:
        for number in value if isinstance(value, list | tuple) else ():
            text = str(number)
            if whole_number(text) is None:
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": text}
                )
        return super().clean(value)


class BulkAssignForm(forms.Form):
    """The desk's bulk assignment: the ticked tickets, a technician and/or a team."""

    prefix = "bulk"  # the queue's filter form on the same page has its own "assignee"
    # By number, as everywhere people name tickets; only those the scope sees are valid.
    tickets = TicketNumbersField(queryset=Ticket.objects.none(), to_field_name="number")
    assignee = forms.ChoiceField(label=_("Technician"), required=False)
    team = forms.ModelChoiceField(
        label=_("Team"), required=False, queryset=Team.objects.none(), empty_label=_("Unchanged")
    )

    def __init__(self, scope: Scope, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tickets"].queryset = Ticket.objects.visible_to(scope)  # type: ignore[attr-defined]
        self.fields["tickets"].error_messages["required"] = _("Tick the tickets to assign.")
        self.fields["team"].queryset = Team.objects.visible_to(scope).filter(is_active=True)  # type: ignore[attr-defined]
        self.staff = _offer_staff(self, scope, ("", _("Unchanged")), ("none", _("Nobody")))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("assignee") and not data.get("team"):
            raise ValidationError(_("Choose a technician, a team, or both."))
        return data

    @property
    def person(self) -> User | None:
        return self.staff.get(self.cleaned_data.get("assignee", ""))


class CataloguePreviewForm(forms.Form):
    """The desk's preview of a catalogue: a kind of site, and optionally a member whose
    exceptions apply."""

    site_kind = forms.ModelChoiceField(
        label=_("Kind of site"), queryset=SiteKind.objects.filter(is_active=True), empty_label="—"
    )
    member = forms.ModelChoiceField(
        label=_("With the exceptions of the member"),
        required=False,
        queryset=Member.objects.none(),
        empty_label=_("None (the kind's catalogue)"),
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def __init__(self, scope: Scope, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = Member.objects.visible_to(scope).only("id", "name")  # type: ignore[attr-defined]
