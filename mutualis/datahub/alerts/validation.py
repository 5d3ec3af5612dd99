"""What makes an alert rule usable, checked when operator staff save it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from mutualis.registry.models import Site
from mutualis.servicedesk.catalogue import is_offered

from .. import smart_data_models as sdm
from ..models import Entity
from ..models.alerts import RECOVERY_MINUTES_MAX, RECOVERY_MINUTES_MIN, AlertRule, Comparison, RuleKind

# Naming every site would make an unreadable message; a few are enough to act on.
_NAMED_SITES = 5


def check_rule(rule: AlertRule) -> None:
    """Raise a ValidationError naming each field to fix."""
    errors: dict[str, str] = {}
    sdm_type = sdm.BY_IRI.get(rule.entity_type)
    attribute = None
    if sdm_type is None:
        errors["entity_type"] = _("Choose a type of sensor from the list.")
    else:
        attribute = next((a for a in sdm_type.attributes if a.iri == rule.attribute), None)
        if attribute is None:
            errors["attribute"] = _("%(type)s sensors have no such attribute: choose one of theirs.") % {
                "type": sdm_type.name
            }
    if rule.kind == RuleKind.THRESHOLD:
        errors.update(_threshold_errors(rule, attribute))
    elif rule.kind == RuleKind.STATE:
        errors.update(_state_errors(rule, attribute))
    elif rule.kind == RuleKind.SILENCE and not rule.silence_minutes:
        errors["silence_minutes"] = _("Say after how many minutes without data the alert fires.")
    recovery = rule.recovery_minutes
    if recovery is None or not RECOVERY_MINUTES_MIN <= recovery <= RECOVERY_MINUTES_MAX:
        errors["recovery_minutes"] = _(
            "Give a delay from 1 minute to 24 hours: a number of minutes between 1 and 1,440. "
            "Values must stay normal this long before the alert ends (15 minutes suit most sensors)."
        )
    if rule.kind != RuleKind.THRESHOLD and rule.aggregation != "latest":
        errors["aggregation"] = _("Only a threshold rule can compare a daily mean.")
    if rule.incident_type_id is not None and not errors:
        problem = _incident_type_problem(rule)
        if problem:
            errors["incident_type"] = problem
    if errors:
        raise ValidationError(errors)


def _threshold_errors(rule: AlertRule, attribute: sdm.SdmAttribute | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if attribute is not None and attribute.kind not in (sdm.Kind.NUMBER, sdm.Kind.INTEGER):
        errors["attribute"] = _(
            "A threshold needs a measured number; %(name)s is not one: use a state rule."
        ) % {"name": attribute.name}
    if not rule.comparison:
        errors["comparison"] = _("Say whether the alert fires above or below the threshold.")
    if rule.threshold is None:
        errors["threshold"] = _("Give the threshold.")
    elif rule.clear_value is not None and rule.comparison:
        above = rule.comparison == Comparison.ABOVE
        if above and rule.clear_value > rule.threshold:
            errors["clear_value"] = _(
                "The alert fires above %(threshold)s: it must end at or below that value, not at %(clear)s."
            ) % {"threshold": rule.threshold, "clear": rule.clear_value}
        if not above and rule.clear_value < rule.threshold:
            errors["clear_value"] = _(
                "The alert fires below %(threshold)s: it must end at or above that value, not at %(clear)s."
            ) % {"threshold": rule.threshold, "clear": rule.clear_value}
    return errors


def _state_errors(rule: AlertRule, attribute: sdm.SdmAttribute | None) -> dict[str, str]:
    values = rule.alerting_values
    if not values:
        return {"state_values": _("List the values that fire the alert, separated by commas.")}
    if attribute is not None and attribute.values:
        unknown = sorted(values - set(attribute.values))
        if unknown:
            return {
                "state_values": _("%(name)s never takes %(unknown)s; its values are: %(known)s.")
                % {
                    "name": attribute.name,
                    "unknown": ", ".join(unknown),
                    "known": ", ".join(attribute.values),
                }
            }
    return {}


def _incident_type_problem(rule: AlertRule) -> str:
    """Why tickets could not be opened with this type for the rule's sensors, or ""."""
    incident_type = rule.incident_type
    if incident_type.operator_id != rule.operator_id:
        return _("Choose an incident type of your own catalogue.")
    if not incident_type.is_active:
        return _("“%(type)s” is no longer in use: choose another type.") % {"type": incident_type}
    sensors = Entity.objects.filter(tenant__operator_id=rule.operator_id, type=rule.entity_type)
    site_ids = sensors.exclude(site=None).values_list("site_id", flat=True).distinct()
    sites = Site.objects.filter(pk__in=site_ids).select_related("kind").order_by("name")
    refused = [site for site in sites if not is_offered(site, incident_type)]
    if refused:
        named = ", ".join(str(site) for site in refused[:_NAMED_SITES])
        more = len(refused) - _NAMED_SITES
        if more > 0:
            named += " " + _("and %(count)s more") % {"count": more}
        return _(
            "“%(type)s” is not offered to the sites of these sensors (%(sites)s): offer it to their "
            "kind of site in the catalogue, or choose another type."
        ) % {"type": incident_type, "sites": named}
    if incident_type.asset_required and sensors.exclude(site=None).filter(asset=None).exists():
        return _(
            "“%(type)s” requires the equipment, but some of these sensors are not linked to an asset "
            "of the registry: link them, or choose a type that does not require it."
        ) % {"type": incident_type}
    return ""
