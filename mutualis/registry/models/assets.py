from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mutualis.lib.calendar_bounds import within_calendar

from .operator import Operator
from .sites import Site

if TYPE_CHECKING:
    from mutualis.people.tenancy import Scope


class AssetType(models.Model):
    """Kind of equipment (tablet, camera, charger, sensor…): an editable list."""

    code = models.SlugField(_("code"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    # Used to budget renewals: how long the operator expects this kind of asset to last.
    expected_lifetime_months = models.PositiveIntegerField(
        _("expected lifetime (months)"), null=True, blank=True
    )
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("type of asset")
        verbose_name_plural = _("types of asset")

    def __str__(self) -> str:
        return self.name


class AssetModel(models.Model):
    """A manufacturer's model; failure rates are compared per model."""

    # No index of its own: asset_model_unique starts with it.
    asset_type = models.ForeignKey(
        AssetType, on_delete=models.PROTECT, related_name="models", verbose_name=_("type"), db_index=False
    )
    manufacturer = models.CharField(_("manufacturer"), max_length=100)
    name = models.CharField(_("model"), max_length=100)

    class Meta:
        ordering = ["manufacturer", "name"]
        verbose_name = _("model")
        verbose_name_plural = _("models")
        constraints = [
            models.UniqueConstraint(fields=["asset_type", "manufacturer", "name"], name="asset_model_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.manufacturer} {self.name}"


class AssetStatus(models.TextChoices):
    IN_STOCK = "in_stock", _("in stock")
    IN_SERVICE = "in_service", _("in service")
    IN_REPAIR = "in_repair", _("in repair")
    LOST = "lost", _("lost or stolen")
    RETIRED = "retired", _("retired")


# The asset life cycle, declared once and enforced by `registry.services.change_asset_status`.
# Retired is final: a retired asset that comes back is a new asset with a new tag.
ASSET_TRANSITIONS: dict[str, frozenset[str]] = {
    AssetStatus.IN_STOCK: frozenset(
        {AssetStatus.IN_SERVICE, AssetStatus.IN_REPAIR, AssetStatus.LOST, AssetStatus.RETIRED}
    ),
    AssetStatus.IN_SERVICE: frozenset(
        {AssetStatus.IN_STOCK, AssetStatus.IN_REPAIR, AssetStatus.LOST, AssetStatus.RETIRED}
    ),
    AssetStatus.IN_REPAIR: frozenset(
        {AssetStatus.IN_SERVICE, AssetStatus.IN_STOCK, AssetStatus.LOST, AssetStatus.RETIRED}
    ),
    AssetStatus.LOST: frozenset({AssetStatus.IN_STOCK, AssetStatus.IN_SERVICE, AssetStatus.RETIRED}),
    AssetStatus.RETIRED: frozenset(),
}


class AssetQuerySet(models.QuerySet["Asset"]):
    def visible_to(self, scope: Scope) -> AssetQuerySet:
        """The tenancy door for assets: through the site they stand at."""
        if scope.operator_id is None:
            return self.none()
        if scope.is_operator_staff:
            return self.filter(operator_id=scope.operator_id)
        qs = self.filter(site__member_id=scope.member_id)
        if scope.site_ids is not None:
            qs = qs.filter(site_id__in=scope.site_ids)
        return qs

    def with_list_related(self) -> AssetQuerySet:
        """What a list of assets displays, fetched in the same query."""
        return self.select_related("asset_type", "model", "site", "site__member")


class Asset(models.Model):
    # No index of its own: asset_operator_type_status starts with it.
    operator = models.ForeignKey(
        Operator, on_delete=models.PROTECT, related_name="+", editable=False, db_index=False
    )
    # No index of its own: asset_site_type starts with it.
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="assets", verbose_name=_("site"), db_index=False
    )
    asset_type = models.ForeignKey(
        AssetType, on_delete=models.PROTECT, related_name="assets", verbose_name=_("type")
    )
    model = models.ForeignKey(
        AssetModel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assets",
        verbose_name=_("model"),
    )
    inventory_tag = models.CharField(
        _("inventory tag"), max_length=64, help_text=_("Unique across the operator's whole fleet.")
    )
    serial_number = models.CharField(_("serial number"), max_length=128, blank=True)
    label = models.CharField(
        _("label"), max_length=200, blank=True, help_text=_("e.g. “Camera, north entrance”.")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=AssetStatus.choices, default=AssetStatus.IN_SERVICE
    )
    status_changed_at = models.DateTimeField(_("status since"), default=timezone.now)
    acquired_on = models.DateField(_("acquired on"), null=True, blank=True, validators=[within_calendar])
    acquisition_cost = models.DecimalField(
        _("acquisition cost (EUR, excl. VAT)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    warranty_ends_on = models.DateField(
        _("warranty ends on"), null=True, blank=True, validators=[within_calendar]
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("part of"),
        help_text=_("The equipment this one belongs to, e.g. the cabin of a telemedicine device."),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AssetQuerySet.as_manager()

    class Meta:
        ordering = ["inventory_tag"]
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        constraints = [
            models.UniqueConstraint(fields=["operator", "inventory_tag"], name="asset_tag_per_operator"),
        ]
        indexes = [
            # A site's page lists its equipment by type.
            models.Index(fields=["site", "asset_type"], name="asset_site_type"),
            # Fleet views for operator staff: tablets in repair, cameras in service…
            models.Index(fields=["operator", "asset_type", "status"], name="asset_operator_type_status"),
            # Technicians look equipment up by the serial number printed on it.
            models.Index(fields=["serial_number"], name="asset_serial"),
        ]

    def __str__(self) -> str:
        return f"{self.inventory_tag} ({self.asset_type})" if self.asset_type_id else self.inventory_tag

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The operator follows the site: the inventory tag is unique across it.
        self.operator_id = self.site.operator_id
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.site_id is not None and self.inventory_tag:
            # The (operator, tag) constraint is not checked by forms that do not show the
            # operator (it follows the site); check it here with a message naming the clash.
            clash = (
                Asset.objects.filter(operator_id=self.site.operator_id, inventory_tag=self.inventory_tag)
                .exclude(pk=self.pk)
                .select_related("site")
                .first()
            )
            if clash is not None:
                errors["inventory_tag"] = _(
                    "Inventory tag %(tag)s is already used by an asset at %(site)s."
                ) % {
                    "tag": self.inventory_tag,
                    "site": clash.site,
                }
        if (
            self.model is not None
            and self.asset_type_id is not None
            and self.model.asset_type_id != self.asset_type_id
        ):
            errors["model"] = _("%(model)s is a model of %(type)s, not of %(asset_type)s.") % {
                "model": self.model,
                "type": self.model.asset_type,
                "asset_type": self.asset_type,
            }
        if self.parent_id is not None:
            error = self._parent_error()
            if error:
                errors["parent"] = error
        error = self._parts_error()
        if error:
            errors["site"] = error
        if self.acquired_on and self.warranty_ends_on and self.warranty_ends_on < self.acquired_on:
            errors["warranty_ends_on"] = _("The warranty cannot end before the asset was acquired.")
        if errors:
            raise ValidationError(errors)

    def _parent_error(self) -> str | None:
        parent = self.parent
        if parent is None:
            return None
        if self.site_id is not None and parent.site.member_id != self.site.member_id:
            return str(_("The parent equipment belongs to another member."))
        seen = {self.pk}
        ancestor: Asset | None = parent
        while ancestor is not None:
            if ancestor.pk in seen:
                return str(_("Equipment cannot be part of itself."))
            seen.add(ancestor.pk)
            ancestor = ancestor.parent
        return None

    def _parts_error(self) -> str | None:
        """Moving equipment to another member's site would leave its parts, still at the
        old member, pointing at a parent their member's users cannot see."""
        if self.pk is None or self.site_id is None:
            return None
        strays = list(
            Asset.objects.filter(parent_id=self.pk)
            .exclude(site__member_id=self.site.member_id)
            .order_by("inventory_tag")
            .values_list("inventory_tag", flat=True)[:6]
        )
        if not strays:
            return None
        tags = ", ".join(strays[:5]) + (", …" if len(strays) > 5 else "")
        return str(
            _(
                "Parts of this equipment (%(tags)s) would stay at sites of another member: "
                "detach them from it first."
            )
            % {"tags": tags}
        )


class AssetStatusChange(models.Model):
    """One line of an asset's status history."""

    # No index of its own: asset_status_history starts with it.
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="status_changes", db_index=False)
    from_status = models.CharField(_("from"), max_length=16, choices=AssetStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=16, choices=AssetStatus.choices)
    changed_at = models.DateTimeField(_("when"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        indexes = [models.Index(fields=["asset", "-changed_at"], name="asset_status_history")]

    def __str__(self) -> str:
        return f"{self.asset_id}: {self.from_status or '∅'} → {self.to_status}"
