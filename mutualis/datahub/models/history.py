from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AttributeInstance(models.Model):
    """One past value of one attribute of one entity (NGSI-LD 4.5.13, temporal evolution).

    The hot path (sensor observations) is a plain numeric Property: `number` holds the
    value, `unit_code` its unit and `value` stays null. Anything else (text, objects,
    relationships, geo, sub-attributes) keeps the whole instance, in the internal form, in
    `value`.

    The primary key is the instance's own identity, (entity, attribute, datasetId,
    observedAt): a redelivered observation (MQTT QoS 1, a retried batch) is the same row,
    so writing it again is a no-op, and the key's index is the one every temporal query
    walks (one series, a time range). There is no surrogate id: it was a second index
    (a third of the history's index space) and a sequence that no reader used (migration
    0007, measured in docs/benchmarks-history.md). On PostgreSQL the table is partitioned by month of
    `observed_at` (migration 0002), which the key contains, as partitioning requires.
    """

    pk = models.CompositePrimaryKey("entity", "attribute", "dataset_id", "observed_at")
    tenant_id = models.BigIntegerField()
    # No foreign key constraint: deleting an entity removes its history with one DELETE,
    # not a cascade Django walks row by row, and partitioned history stays cheap to write.
    # No index of its own: the primary key starts with it.
    entity = models.ForeignKey(
        "datahub.Entity", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    attribute = models.ForeignKey(
        "datahub.Attribute", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    # "" for the default instance (no datasetId).
    dataset_id = models.CharField(max_length=512, blank=True, default="")
    # The instance's observedAt, or when it was received if it has none
    # (`has_observed_at` false): every instance has a place on the time axis.
    observed_at = models.DateTimeField()
    has_observed_at = models.BooleanField(default=True)
    recorded_at = models.DateTimeField(_("recorded"))
    number = models.FloatField(null=True, blank=True)
    unit_code = models.CharField(max_length=16, blank=True, default="")
    value = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = _("attribute instance")
        verbose_name_plural = _("attribute instances")

    def __str__(self) -> str:
        return f"{self.entity_id}/{self.attribute_id}@{self.observed_at:%Y-%m-%dT%H:%M:%S}"
