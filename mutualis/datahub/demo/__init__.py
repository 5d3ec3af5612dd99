"""Demo data of the data hub: ~150 sensors in ~15 member communes, with 30 days of history.

For each chosen commune (a commune member with sites), in the member's own tenant:
air quality and noise stations at the town hall, traffic counters and street lights on the
street (the "voirie" site when there is one), energy meters of public buildings (town hall,
a school), the commune's existing chargers as EV charging stations, and along the Seine a
river gauge and flood sensors. Each sensor is an asset of the registry (created here, except
the chargers, which the demo fleet already holds) and an NGSI-LD entity of the Smart Data
Model of its kind (`smart_data_models`), tied to its site and asset through the hub's
registry relationships (`services.SITE_IRI` / `ASSET_IRI`).

Entities are written through the hub's batch verbs (`services.create_entities`), the
history through `history.record_many` in large batches: the same paths the API and MQTT
ingestion use, minus the per-request overhead. Values follow the shapes a city actually
sees: NO2 and noise peaking at rush hours, ozone in the afternoon, one particulate episode,
traffic counts with morning and evening peaks and quiet weekends, street lights switching at
dusk and dawn with a few lamps failing, chargers occupied during the day with an outage or
two, energy meters with day/night and weekend profiles, and one rain event lifting the
river and the flood sensors.

Re-running replaces the demo's entities, history and sensor assets (they are recognised by
the ":demo-" part of their ids and by their tag prefixes), never duplicating them. Everything
comes from a seeded `random.Random`; nothing is downloaded.

The pieces: `climate` (the clock, the weather, the rhythms of a town), `sensors` (the kinds
of sensor and their Smart Data Models), `series` (each kind's history), `towns` (which
communes, which sites, which sensors), `populate` (the registry assets, the entities and
their history, written through the hub's verbs).
"""

from .climate import MONTHLY_MEAN_TEMPERATURE, PARIS, WEEKDAY_ACTIVITY, WEEKEND_ACTIVITY
from .populate import DEFAULT_DAYS, DEFAULT_SEED, DemoHubSummary, build, remove_hub_data, remove_previous
from .sensors import DEMO_ID_MARK, SENSOR_KINDS

# What the rest of the project imports from `mutualis.datahub.demo`.
__all__ = [
    "DEFAULT_DAYS",
    "DEFAULT_SEED",
    "DEMO_ID_MARK",
    "MONTHLY_MEAN_TEMPERATURE",
    "PARIS",
    "SENSOR_KINDS",
    "WEEKDAY_ACTIVITY",
    "WEEKEND_ACTIVITY",
    "DemoHubSummary",
    "build",
    "remove_hub_data",
    "remove_previous",
]
