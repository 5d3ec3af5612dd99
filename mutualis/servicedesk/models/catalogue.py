"""The incident catalogue: what a member can declare, depending on the kind of its site.

A collège sees tablets and interactive projectors, a fire station its alerting and video
equipment: each IncidentType lists the kinds of site it is offered to, and a member may
have types added or hidden (CatalogueOverride). Each type carries its own form.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from mutualis.people.tenancy import OperatorDataQuerySet
from mutualis.registry.models import AssetType, Member, Operator, SiteKind

from .teams import Team


class Priority(models.IntegerChoices):
    # Lower is more urgent, so ordering by priority puts critical tickets first.
    CRITICAL = 1, _("P1 – critical")
    HIGH = 2, _("P2 – high")
    NORMAL = 3, _("P3 – normal")
    LOW = 4, _("P4 – low")


# The ancestors a category's name reads in one query (`path`): the catalogues we know are
# three levels deep; a deeper node still reads, a query per level beyond.
_PATH = "parent__parent__parent"


class CategoryQuerySet(OperatorDataQuerySet["Category"]):
    def labelled(self) -> CategoryQuerySet:
        """With the ancestors their names show ("Réseau > Wi-Fi"), for lists of choices."""
        return self.select_related(_PATH)


class Category(models.Model):
    """A node of the catalogue tree: "Tablette", "Vidéoprotection", "Réseau"…"""

    # No index of its own: category_name_per_parent starts with it.
    operator = models.ForeignKey(
        Operator, on_delete=models.PROTECT, related_name="+", verbose_name=_("operator"), db_index=False
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(fields=["operator", "parent", "name"], name="category_name_per_parent"),
        ]

    def __str__(self) -> str:
        return self.path

    @property
    def path(self) -> str:
        """ "Réseau > Wi-Fi": the category and its ancestors."""
        names = [self.name]
        node = self.parent
        while node is not None:
            names.append(node.name)
            node = node.parent
        return " > ".join(reversed(names))

    def clean(self) -> None:
        node, seen = self.parent, {self.pk}
        while node is not None:
            if node.pk in seen:
                raise ValidationError({"parent": _("A category cannot be inside itself.")})
            if node.operator_id != self.operator_id:
                raise ValidationError({"parent": _("The parent category belongs to another operator.")})
            seen.add(node.pk)
            node = node.parent


class IncidentTypeQuerySet(OperatorDataQuerySet["IncidentType"]):
    def active(self) -> IncidentTypeQuerySet:
        return self.filter(is_active=True, category__is_active=True)

    def labelled(self) -> IncidentTypeQuerySet:
        """With the category path their names show, for lists of choices."""
        return self.select_related(f"category__{_PATH}")


class IncidentType(models.Model):
    """What can go wrong: "écran cassé" under "Tablette"."""

    operator = models.ForeignKey(
        Operator, on_delete=models.PROTECT, related_name="+", verbose_name=_("operator")
    )
    # No index of its own: incident_type_name_per_category starts with it.
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        related_name="incident_types",
        verbose_name=_("category"),
        db_index=False,
    )
    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(
        _("description"), blank=True, help_text=_("Shown to the person declaring: when to choose this type.")
    )
    keywords = models.CharField(
        _("search words"),
        max_length=250,
        blank=True,
        help_text=_("Other words people use for it, to find it by search (e.g. vitre, fissure)."),
    )
    site_kinds = models.ManyToManyField(
        SiteKind, blank=True, related_name="incident_types", verbose_name=_("offered to kinds of site")
    )
    default_priority = models.PositiveSmallIntegerField(
        _("default priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    default_team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("default team"),
    )
    asset_type = models.ForeignKey(
        AssetType,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("type of equipment to pick"),
        help_text=_("The declaring person picks one of the site's assets of this type."),
    )
    asset_required = models.BooleanField(_("picking the equipment is required"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    objects = IncidentTypeQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("incident type")
        verbose_name_plural = _("incident types")
        constraints = [
            models.UniqueConstraint(fields=["category", "name"], name="incident_type_name_per_category"),
        ]

    def __str__(self) -> str:
        return f"{self.category.path} > {self.name}" if self.category_id else self.name

    def clean(self) -> None:
        if self.category_id and self.category.operator_id != self.operator_id:
            raise ValidationError({"category": _("The category belongs to another operator.")})
        if self.default_team_id and self.default_team and self.default_team.operator_id != self.operator_id:
            raise ValidationError({"default_team": _("The team belongs to another operator.")})
        if self.asset_required and not self.asset_type_id:
            raise ValidationError({"asset_required": _("Say which type of equipment must be picked.")})


class FormFieldKind(models.TextChoices):
    SHORT_TEXT = "short_text", _("short text")
    LONG_TEXT = "long_text", _("long text")
    CHOICE = "choice", _("one choice")
    MULTIPLE_CHOICE = "multiple_choice", _("several choices")
    NUMBER = "number", _("number")
    DATE = "date", _("date")
    YES_NO = "yes_no", _("yes or no")
    ASSET = "asset", _("equipment of the site")


class FormFieldQuerySet(OperatorDataQuerySet["FormField"]):
    operator_lookup = "incident_type__operator_id"


class FormField(models.Model):
    """A question an incident type asks, e.g. "Since when?" (date, required)."""

    # No index of its own: form_field_key_per_type starts with it.
    incident_type = models.ForeignKey(
        IncidentType,
        on_delete=models.CASCADE,
        related_name="fields",
        verbose_name=_("incident type"),
        db_index=False,
    )
    key = models.SlugField(_("key"), help_text=_("Stable name of the answer for exports and the API."))
    label = models.CharField(_("question"), max_length=200)
    kind = models.CharField(_("kind of answer"), max_length=20, choices=FormFieldKind.choices)
    required = models.BooleanField(_("required"), default=False)
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    choices = models.JSONField(
        _("choices"),
        default=list,
        blank=True,
        help_text=_("For one or several choices: the list of options."),
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    objects = FormFieldQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("form field")
        verbose_name_plural = _("form fields")
        constraints = [
            models.UniqueConstraint(fields=["incident_type", "key"], name="form_field_key_per_type")
        ]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        with_choices = self.kind in (FormFieldKind.CHOICE, FormFieldKind.MULTIPLE_CHOICE)
        choices = self.choices if isinstance(self.choices, list) else None
        if choices is None or not all(isinstance(c, str) and c.strip() for c in choices):
            raise ValidationError({"choices": _("Give the options as a list of texts.")})
        if with_choices and len(choices) < 2:
            raise ValidationError({"choices": _("Give at least two options.")})
        if not with_choices and choices:
            raise ValidationError({"choices": _("Only choice questions have options.")})
        if len(set(choices)) != len(choices):
            raise ValidationError({"choices": _("Each option must appear once.")})


class CatalogueOverrideQuerySet(OperatorDataQuerySet["CatalogueOverride"]):
    operator_lookup = "member__operator_id"


class CatalogueOverride(models.Model):
    """A member's exception to its site kinds' catalogue: a type added, or hidden."""

    # No index of its own: catalogue_override_unique starts with it.
    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        related_name="catalogue_overrides",
        verbose_name=_("member"),
        db_index=False,
    )
    incident_type = models.ForeignKey(
        IncidentType, on_delete=models.CASCADE, related_name="overrides", verbose_name=_("incident type")
    )
    enabled = models.BooleanField(
        _("offered"), help_text=_("Checked: offered on every site of the member. Unchecked: hidden from it.")
    )

    objects = CatalogueOverrideQuerySet.as_manager()

    class Meta:
        verbose_name = _("catalogue exception")
        verbose_name_plural = _("catalogue exceptions")
        constraints = [
            models.UniqueConstraint(fields=["member", "incident_type"], name="catalogue_override_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.member} – {self.incident_type}"
