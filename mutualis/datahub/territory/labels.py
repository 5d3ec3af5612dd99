"""The Smart Data Models' terms and codes in the words of the interface.

The hub keeps SDM's English vocabulary (`pm25`, `intensity`, `defectiveLamp`); the territory
pages speak to elected officials and members' staff in French. Every attribute a page
shows has a name here, every code of an enumeration its words; an unknown one (a model
added later, a tenant's own value) is shown as sent. Values come from the NGSI-LD API,
which takes any JSON value: a list (a charger's socket types), an object or a boolean is
said in words too, never a crash.

Ratios (UN/CEFACT "C62", SDM's humidity, occupancy, dimming) are shown in percent.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from mutualis.insights.charts import number
from mutualis.lib.wording import labelled

from ..smart_data_models import SdmAttribute

RATIO = "C62"

ATTRIBUTE_LABELS = {
    "pm10": pgettext_lazy("sensor attribute", "PM10 particles"),
    "pm25": pgettext_lazy("sensor attribute", "PM2.5 fine particles"),
    "no2": pgettext_lazy("sensor attribute", "nitrogen dioxide (NO2)"),
    "o3": pgettext_lazy("sensor attribute", "ozone (O3)"),
    "temperature": pgettext_lazy("sensor attribute", "temperature"),
    "relativeHumidity": pgettext_lazy("sensor attribute", "relative humidity"),
    "airQualityIndex": pgettext_lazy("sensor attribute", "air quality index"),
    "airQualityLevel": pgettext_lazy("sensor attribute", "air quality"),
    "LAeq": pgettext_lazy("sensor attribute", "noise level (LAeq)"),
    "LAmax": pgettext_lazy("sensor attribute", "peak noise level (LAmax)"),
    "sonometerClass": pgettext_lazy("sensor attribute", "sound level meter class"),
    "intensity": pgettext_lazy("sensor attribute", "vehicles counted"),
    "averageVehicleSpeed": pgettext_lazy("sensor attribute", "average speed"),
    "occupancy": pgettext_lazy("sensor attribute", "lane occupancy"),
    "congested": pgettext_lazy("sensor attribute", "congestion"),
    "laneId": pgettext_lazy("sensor attribute", "lane"),
    "laneDirection": pgettext_lazy("sensor attribute", "direction of traffic"),
    "status": pgettext_lazy("sensor attribute", "state"),
    "powerState": pgettext_lazy("sensor attribute", "lighting"),
    "illuminanceLevel": pgettext_lazy("sensor attribute", "light level"),
    "powerConsumption": pgettext_lazy("sensor attribute", "power drawn"),
    "locationCategory": pgettext_lazy("sensor attribute", "location"),
    "height": pgettext_lazy("sensor attribute", "water height"),
    "flow": pgettext_lazy("sensor attribute", "flow rate"),
    "currentLevel": pgettext_lazy("sensor attribute", "water level"),
    "measuredDistance": pgettext_lazy("sensor attribute", "measured distance"),
    "floodLevelStatus": pgettext_lazy("sensor attribute", "flood level"),
    "referenceLevel": pgettext_lazy("sensor attribute", "reference level"),
    "alertLevel": gettext_lazy("alert level"),
    "dangerLevel": gettext_lazy("danger level"),
    "availableCapacity": pgettext_lazy("sensor attribute", "free charging points"),
    "capacity": pgettext_lazy("sensor attribute", "charging points"),
    "socketType": pgettext_lazy("sensor attribute", "socket types"),
    "allowedVehicleType": pgettext_lazy("sensor attribute", "vehicle types"),
    "totalActiveEnergyImport": pgettext_lazy("sensor attribute", "energy meter reading"),
    "totalActivePower": pgettext_lazy("sensor attribute", "power drawn"),
    "phaseType": pgettext_lazy("sensor attribute", "phases"),
}

# The codes of the enumerations the pages show, in words. One table for every model: no
# code has two meanings across them.
CODE_LABELS = {
    # Street lights (status, powerState) and chargers (status): the dashboards' own words.
    "ok": gettext_lazy("working"),
    "defectiveLamp": gettext_lazy("defective lamp"),
    "columnIssue": gettext_lazy("column issue"),
    "brokenLantern": gettext_lazy("broken lantern"),
    "working": gettext_lazy("available"),
    "almostFull": gettext_lazy("available (one point left)"),
    "almostEmpty": gettext_lazy("available"),
    "empty": gettext_lazy("available"),
    "full": gettext_lazy("occupied"),
    "outOfService": gettext_lazy("out of service"),
    "withIncidence": gettext_lazy("incident"),
    "Normal": gettext_lazy("normal"),
    "Alert": gettext_lazy("alert"),
    "Danger": gettext_lazy("danger"),
    "on": pgettext_lazy("sensor reading", "on"),
    "off": pgettext_lazy("sensor reading", "off"),
    "low": pgettext_lazy("sensor reading", "dimmed"),
    "bootingUp": pgettext_lazy("sensor reading", "starting"),
    # Air quality level (SDM's own scale, not the ATMO index the dashboards compute).
    "good": pgettext_lazy("sensor reading", "good"),
    "moderate": pgettext_lazy("sensor reading", "moderate"),
    "unhealthyForSensitiveGroups": pgettext_lazy("sensor reading", "poor for sensitive people"),
    "unhealthy": pgettext_lazy("sensor reading", "poor"),
    "veryUnhealthy": pgettext_lazy("sensor reading", "very poor"),
    "hazardous": pgettext_lazy("sensor reading", "hazardous"),
    # Traffic lanes, meters.
    "forward": pgettext_lazy("sensor reading", "forward"),
    "backward": pgettext_lazy("sensor reading", "backward"),
    "singlePhase": pgettext_lazy("sensor reading", "single-phase"),
    "threePhase": pgettext_lazy("sensor reading", "three-phase"),
    # Where a street light stands.
    "bridge": pgettext_lazy("sensor reading", "bridge"),
    "centralIsland": pgettext_lazy("sensor reading", "central island"),
    "facade": pgettext_lazy("sensor reading", "facade"),
    "garden": pgettext_lazy("sensor reading", "garden"),
    "park": pgettext_lazy("sensor reading", "park"),
    "parking": pgettext_lazy("sensor reading", "car park"),
    "pedestrianPath": pgettext_lazy("sensor reading", "footpath"),
    "playground": pgettext_lazy("sensor reading", "playground"),
    "road": pgettext_lazy("sensor reading", "road"),
    "sidewalk": pgettext_lazy("sensor reading", "pavement"),
    "tunnel": pgettext_lazy("sensor reading", "tunnel"),
    # Vehicles a charger takes (socket types are trade names, shown as sent).
    "bicycle": pgettext_lazy("sensor reading", "bicycle"),
    "bus": pgettext_lazy("sensor reading", "bus"),
    "car": pgettext_lazy("sensor reading", "car"),
    "caravan": pgettext_lazy("sensor reading", "caravan"),
    "motorcycle": pgettext_lazy("sensor reading", "motorcycle"),
    "motorscooter": pgettext_lazy("sensor reading", "scooter"),
    "truck": pgettext_lazy("sensor reading", "truck"),
    "Other": pgettext_lazy("sensor reading", "other"),
}


def attribute_label(term: str) -> str:
    return str(ATTRIBUTE_LABELS.get(term, term))


def code_label(code: Any) -> str:
    """A value that is not a number, in words: a code of an enumeration, a list of them, a
    yes or no; anything else as sent."""
    if code is None:
        return "–"
    if isinstance(code, bool):
        return _("yes") if code else _("no")
    if isinstance(code, list | tuple):
        return ", ".join(code_label(item) for item in code) or "–"
    if isinstance(code, dict):
        return ", ".join(labelled(str(key), code_label(value)) for key, value in code.items()) or "–"
    if isinstance(code, Hashable) and code in CODE_LABELS:
        return str(CODE_LABELS[code])
    return str(code)


def is_ratio(attribute: SdmAttribute | None) -> bool:
    return attribute is not None and attribute.unit_code == RATIO


def unit(attribute: SdmAttribute | None) -> str:
    """The unit a page shows the attribute's numbers in."""
    if attribute is None:
        return ""
    return "%" if is_ratio(attribute) else attribute.unit_symbol


def scaled(attribute: SdmAttribute | None, value: float | None) -> float | None:
    """A number in the unit the page shows (a ratio of 0.8 is 80 %)."""
    if value is None or not is_ratio(attribute):
        return value
    return value * 100


def reading(attribute: SdmAttribute | None, value: Any) -> str:
    """A reading as the page says it: a number with its unit, or words."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        symbol = unit(attribute)
        return f"{number(scaled(attribute, value))} {symbol}".strip()
    return code_label(value)


def named(attribute: SdmAttribute, value: Any) -> str:
    """ "<attribute>: <reading>", in the page's language."""
    return _("%(attribute)s: %(value)s") % {
        "attribute": attribute_label(attribute.name),
        "value": reading(attribute, value),
    }
