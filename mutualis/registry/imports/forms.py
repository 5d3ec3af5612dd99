"""The upload form of the imports page."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from mutualis.registry.models import ImportKind, ImportMode

from .reading import too_big_message

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What the file holds"),
        choices=ImportKind.choices,
        widget=forms.RadioSelect,
        initial=ImportKind.SITES,
    )
    mode = forms.ChoiceField(
        label=_("Mode"),
        choices=[
            (ImportMode.CREATE, _("Create new rows only: a row naming a recorded site or tag is an error")),
            (
                ImportMode.UPDATE,
                _("Create and update: rows naming a recorded site (by reference) or tag update it"),
            ),
        ],
        widget=forms.RadioSelect,
        initial=ImportMode.CREATE,
    )
    file = forms.FileField(
        label=_("File (CSV or Excel)"),
        help_text=_(
            "A CSV file (UTF-8 or Windows-1252 text, columns separated by ; , or tab) or an Excel workbook "
            "(.xlsx: its first sheet that is not empty is read). Nothing is imported before you confirm."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": f".csv,.txt,text/csv,.xlsx,{XLSX_CONTENT_TYPE}"}),
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        # The size is known from the request before the file is read.
        if upload.size is not None and upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(too_big_message(upload.size))
        return upload
