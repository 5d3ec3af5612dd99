from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class StoredContext(models.Model):
    """A remote JSON-LD @context fetched once and kept, so that no request waits on the
    network twice for the same document (NGSI-LD 5.5.7: brokers cache contexts)."""

    url = models.URLField(_("URL"), max_length=1000, unique=True)
    document = models.JSONField(_("document"))
    fetched_at = models.DateTimeField(_("fetched"))
    expires_at = models.DateTimeField(_("expires"))
    size = models.PositiveIntegerField(_("size (bytes)"))

    class Meta:
        verbose_name = _("JSON-LD context")
        verbose_name_plural = _("JSON-LD contexts")

    def __str__(self) -> str:
        return self.url
