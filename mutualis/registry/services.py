"""Writes to the registry. Pages, the back-office, API endpoints, imports and commands all
call these verbs; none writes registry tables another way."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Asset, AssetStatus, AssetStatusChange, AssetType, Member, Site, SiteKind
from .models.assets import ASSET_TRANSITIONS
from .models.territory import Commune

if TYPE_CHECKING:
    from mutualis.people.models import User


class IllegalTransition(ValidationError):  # noqa: N818 - the domain term; it is a ValidationError
    """An asset status change the life cycle does not allow."""


@transaction.atomic
def create_site(
    *, member: Member, kind: SiteKind, name: str, commune: Commune, by: User | None = None, **fields: Any
) -> Site:
    site = Site(
        member=member, kind=kind, name=name, commune=commune, operator_id=member.operator_id, **fields
    )
    site.full_clean()
    site.save()
    return site


@transaction.atomic
def register_asset(
    *,
    site: Site,
    asset_type: AssetType,
    inventory_tag: str,
    by: User | None = None,
    status: str = AssetStatus.IN_SERVICE,
    note: str = "",
    **fields: Any,
) -> Asset:
    """Add an asset to the fleet, with the first line of its status history."""
    now = timezone.now()
    asset = Asset(
        site=site,
        asset_type=asset_type,
        inventory_tag=inventory_tag.strip(),
        operator_id=site.operator_id,
        status=status,
        status_changed_at=now,
        **fields,
    )
    # The (operator, tag) constraint is checked by Asset.clean() with a clearer message.
    asset.full_clean(exclude=["operator"])
    asset.save()
    record_initial_status(asset=asset, by=by, note=note)
    return asset


def record_initial_status(*, asset: Asset, by: User | None = None, note: str = "") -> AssetStatusChange:
    """The first line of a new asset's status history."""
    return AssetStatusChange.objects.create(
        asset=asset,
        from_status="",
        to_status=asset.status,
        changed_at=asset.status_changed_at,
        changed_by=by,
        note=note,
    )


def check_transition(current: str, target: str) -> None:
    if target not in AssetStatus.values:
        raise IllegalTransition(_("%(status)s is not an asset status.") % {"status": target})
    if target == current:
        raise IllegalTransition(
            _("The asset is already %(status)s.") % {"status": AssetStatus(current).label}, code="same_status"
        )
    if target not in ASSET_TRANSITIONS[current]:
        allowed = ", ".join(str(AssetStatus(s).label) for s in sorted(ASSET_TRANSITIONS[current])) or _(
            "none"
        )
        raise IllegalTransition(
            _("An asset cannot go from %(current)s to %(target)s (allowed: %(allowed)s).")
            % {
                "current": AssetStatus(current).label,
                "target": AssetStatus(target).label,
                "allowed": allowed,
            },
            code="illegal_transition",
        )


@transaction.atomic
def change_asset_status(
    *, asset: Asset, status: str, by: User | None = None, note: str = "", at: datetime | None = None
) -> AssetStatusChange:
    """Move an asset through its life cycle; refused with a clear message when illegal."""
    locked = Asset.objects.select_for_update().get(pk=asset.pk)
    check_transition(locked.status, status)
    at = at or timezone.now()
    change = AssetStatusChange.objects.create(
        asset=locked, from_status=locked.status, to_status=status, changed_at=at, changed_by=by, note=note
    )
    Asset.objects.filter(pk=asset.pk).update(status=status, status_changed_at=at, updated_at=timezone.now())
    asset.status, asset.status_changed_at = status, at
    return change


@transaction.atomic
def move_asset(*, asset: Asset, site: Site, by: User | None = None) -> Asset:
    """Move an asset to another site of the same operator (a tablet changing school)."""
    if site.operator_id != asset.operator_id:
        raise ValidationError({"site": _("The new site belongs to another operator.")})
    asset.site = site
    asset.full_clean()
    asset.save(update_fields=["site", "updated_at"])
    return asset


# A site keeps its member (its assets, contacts and tickets belong to that member) and
# follows that member's operator; neither changes by editing the site.
_FIXED_SITE_FIELDS = frozenset({"member", "operator"})


@transaction.atomic
def update_site(*, site: Site, by: User | None = None, **fields: Any) -> Site:
    """Change a site's details, with the same checks as `create_site`."""
    fixed = _FIXED_SITE_FIELDS & fields.keys()
    if fixed:
        raise ValueError(f"A site's {', '.join(sorted(fixed))} cannot change.")
    for name, value in fields.items():
        setattr(site, name, value)
    site.full_clean()
    if fields:
        # Only the fields changed, as in update_asset: a full save would write back what
        # this request read of the others, undoing a change made meanwhile.
        site.save(update_fields=[*fields, "updated_at"])
    return site


@transaction.atomic
def update_asset(*, asset: Asset, by: User | None = None, **fields: Any) -> Asset:
    """Change an asset's details. The status only changes through `change_asset_status`,
    which keeps the history; a new `site` goes through `move_asset`."""
    if "status" in fields or "operator" in fields:
        raise ValueError("Change an asset's status with change_asset_status; its operator follows its site.")
    site = fields.pop("site", None)
    for name, value in fields.items():
        setattr(asset, name, value)
    if site is not None and site.pk != asset.site_id:
        # Set the other fields first: move_asset checks the whole asset (a new parent
        # included) against the new site.
        move_asset(asset=asset, site=site, by=by)
    else:
        # As in register_asset: Asset.clean() reports a tag clash more clearly.
        asset.full_clean(exclude=["operator"])
    if fields:
        # Only the fields changed: a full save would write back the status this request
        # read, undoing a status change made meanwhile that its history still shows.
        asset.save(update_fields=[*fields, "updated_at"])
    return asset
