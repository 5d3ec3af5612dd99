"""CSV imports of sites and equipment: one row per uploaded file, kept for traceability.

Who imported what, when, in which mode, and what was rejected stays findable later: the
uploaded bytes are kept as a private file and the dry-run report (counts and every error)
as JSON. The import itself is done by `mutualis.registry.imports`.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .operator import Operator

if TYPE_CHECKING:
    from mutualis.people.tenancy import Scope


class ImportKind(models.TextChoices):
    SITES = "sites", _("sites")
    ASSETS = "assets", _("equipment")


class ImportMode(models.TextChoices):
    CREATE = "create", _("create new rows only")
    UPDATE = "update", _("create and update")


class ImportStatus(models.TextChoices):
    INVALID = "invalid", _("has errors")
    READY = "ready", _("ready to import")
    APPLIED = "applied", _("imported")
    FAILED = "failed", _("failed")


def private_files() -> Storage:
    """Local files under MEDIA_ROOT, which no URL pattern serves: the imports pages serve
    them to the operator's admins. Explicit, so that pointing the default storage at a
    public bucket later cannot publish the uploaded inventories."""
    return FileSystemStorage()


def import_upload_path(batch: ImportBatch, filename: str) -> str:
    # Never the uploader's file name: it may hold anything. The original is kept in file_name.
    return f"imports/{batch.operator_id}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.csv"


class ImportBatchQuerySet(models.QuerySet["ImportBatch"]):
    def visible_to(self, scope: Scope) -> ImportBatchQuerySet:
        """The tenancy door for imports: the operator's admins only, everyone else none."""
        if scope.operator_id is None or not scope.is_operator_admin:
            return self.none()
        return self.filter(operator_id=scope.operator_id)

    def earlier_import_of(self, batch: ImportBatch) -> ImportBatch | None:
        """The latest import of the very same bytes as `batch` that was applied: uploading a file
        a second time is often a mistake, and its rows would read as already there."""
        if not batch.sha256 or batch.status == ImportStatus.APPLIED:
            return None
        return (
            self.filter(operator_id=batch.operator_id, sha256=batch.sha256, status=ImportStatus.APPLIED)
            .exclude(pk=batch.pk)
            .order_by("-applied_at", "-pk")
            .first()
        )


class ImportBatch(models.Model):
    # No index of its own: import_operator_created starts with it.
    operator = models.ForeignKey(
        Operator,
        on_delete=models.PROTECT,
        related_name="import_batches",
        verbose_name=_("operator"),
        db_index=False,
    )
    kind = models.CharField(_("what the file holds"), max_length=16, choices=ImportKind.choices)
    mode = models.CharField(_("mode"), max_length=16, choices=ImportMode.choices, default=ImportMode.CREATE)
    file_name = models.CharField(_("file name"), max_length=255)
    file = models.FileField(_("file"), upload_to=import_upload_path, storage=private_files, max_length=255)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    # Finds the same file uploaded twice, whatever it was renamed to.
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
        help_text=_("Empty when imported from the command line."),
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    status = models.CharField(_("status"), max_length=16, choices=ImportStatus.choices)
    report = models.JSONField(_("report"), default=dict, blank=True)
    applied_at = models.DateTimeField(_("imported"), null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )

    objects = ImportBatchQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [
            # The imports page lists an operator's batches, newest first.
            models.Index(fields=["operator", "-created_at"], name="import_operator_created"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} – {self.file_name}"

    @property
    def error_count(self) -> int:
        return len(self.report.get("errors", []))
