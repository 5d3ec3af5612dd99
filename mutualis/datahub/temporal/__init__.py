"""Reading the attribute history: temporal queries and aggregation (NGSI-LD 4.5.7, 4.5.8,
4.5.19, 4.11, 5.7.3, 5.7.4, 6.3.10).

A temporal query names entities first (through `selectors`, so that tenancy is applied
once, in one place), then reads the history of their attributes: every series, one per
(entity, attribute, datasetId), of every entity of the page in ONE statement (a page of
1,000 entities is not 1,000 queries). Its conditions are on the columns of the unique
index (entity, attribute, dataset_id, observed_at) and the time range is given as literal
bounds, so that each series costs an index range scan and PostgreSQL plans only the month
partitions of the range. Aggregates are grouped by series and period in SQL; instances are
capped per series by a LATERAL LIMIT (PostgreSQL) or row_number() (SQLite).

Results stay in the internal form (expanded IRIs) until `render_*` compacts them with the
request's @context.
"""

from .reading import INSTANCE_PREFIX, read_entities
from .render import compact_instance, content_range, render_temporal_entity
from .request import (
    AGGR_METHODS,
    DEFAULT_MAX_INSTANCES,
    TIME_COLUMNS,
    TIMERELS,
    TemporalQuery,
    max_instances,
    parse_temporal_query,
)
from .series import Series, Target, TemporalEntity, TemporalResult, series_keys

__all__ = [
    "AGGR_METHODS",
    "DEFAULT_MAX_INSTANCES",
    "INSTANCE_PREFIX",
    "TIMERELS",
    "TIME_COLUMNS",
    "Series",
    "Target",
    "TemporalEntity",
    "TemporalQuery",
    "TemporalResult",
    "compact_instance",
    "content_range",
    "max_instances",
    "parse_temporal_query",
    "read_entities",
    "render_temporal_entity",
    "series_keys",
]
