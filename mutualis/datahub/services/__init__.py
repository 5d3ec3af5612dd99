"""The write verbs of the context broker (NGSI-LD 5.6): one place each, keyword-only,
transactional. The API views, the batch operations, MQTT ingestion and the demo all call
these; none repeats their logic.

Each verb, in one transaction: writes the `Entity` rows (internal form, see
`mutualis.datahub.ngsild`), appends every attribute instance it wrote to the history
(`history.record_instances` / `record_many`: every attribute change is kept), and hands the
changes to the subscriptions and alert rules (`entities_changed`), which queue their
notifications as jobs so that none is lost if the transaction commits and the process dies.

- `entity`: one entity at a time (create, replace, append, update, merge, partial update,
  replace and delete an attribute, delete);
- `batch`: batches and sensor observations, in a constant number of queries per batch;
- `rows`: the entity rows read and written in set form;
- `readings`: the upsert of readings merged into the stored rows without reading them out;
- `links`: what the attributes say about the row (registry site and asset, bounding box);
- `changes`: what a write did (stamps, instances written, types).
"""

from .batch import (
    BatchResult,
    create_entities,
    delete_entities,
    merge_entities,
    record_observations,
    update_entities,
    upsert_entities,
)
from .entity import (
    append_attributes,
    create_entity,
    delete_attribute,
    delete_entity,
    merge_entity,
    partial_update_attribute,
    replace_attribute,
    replace_entity,
    update_attributes,
)
from .links import ASSET_IRI, ASSET_URN, SITE_IRI, SITE_URN, RegistryLinks

__all__ = [
    "ASSET_IRI",
    "ASSET_URN",
    "SITE_IRI",
    "SITE_URN",
    "BatchResult",
    "RegistryLinks",
    "append_attributes",
    "create_entities",
    "create_entity",
    "delete_attribute",
    "delete_entities",
    "delete_entity",
    "merge_entities",
    "merge_entity",
    "partial_update_attribute",
    "record_observations",
    "replace_attribute",
    "replace_entity",
    "update_attributes",
    "update_entities",
    "upsert_entities",
]
