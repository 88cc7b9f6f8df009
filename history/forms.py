from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .mapping import FIELDS, mapping_from_text
from .models import ImportRun

MAPPING_FILE_MAX_BYTES = 256 * 1024


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV file (UTF-8, first line names the columns)"))
    source = forms.CharField(
        label=gettext_lazy("Source tool"),
        max_length=ImportRun.SOURCE_MAX_LENGTH,
        help_text=gettext_lazy(
            "Ticket ids are unique per source: importing the same source again skips them."
        ),
    )
    mapping_file = forms.FileField(
        label=gettext_lazy("Mapping file (JSON or YAML, optional)"),
        required=False,
        help_text=gettext_lazy("Without one, you pick the columns on the next page."),
    )

    def clean_mapping_file(self) -> dict[str, Any] | None:
        upload = self.cleaned_data.get("mapping_file")
        if not upload:
            return None
        if upload.size > MAPPING_FILE_MAX_BYTES:
            raise ValidationError(_("The mapping file is too large (at most 256 KiB)."))
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(_("The mapping file is not UTF-8 text.")) from None
        return mapping_from_text(text).as_dict()


class MappingForm(forms.Form):
    """One choice of column per field of an incident, from the file's own header."""

    date_format = forms.CharField(
        label=gettext_lazy("Date format"),
        required=False,
        max_length=40,
        help_text=gettext_lazy("Empty for ISO 8601 (2024-03-01 14:05); else e.g. %d/%m/%Y %H:%M."),
    )
    default_group = forms.CharField(
        label=gettext_lazy("Group for rows that name none"),
        required=False,
        max_length=100,
        help_text=gettext_lazy("Empty: the service desk."),
    )
    status_values = forms.CharField(
        label=gettext_lazy("Extra statuses"),
        required=False,
        max_length=2000,
        help_text=gettext_lazy(
            "One per line, source=state, e.g. “erledigt=closed” (resolved, closed or cancelled)."
        ),
    )

    def __init__(self, *args: Any, header: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("(not imported)")), *((c, c) for c in header)]
        for name, label in reversed(FIELDS.items()):
            self.fields = {
                f"col_{name}": forms.ChoiceField(label=label, choices=choices, required=False),
                **self.fields,
            }

    def clean_status_values(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for line in self.cleaned_data.get("status_values", "").splitlines():
            if not line.strip():
                continue
            source, sep, state = line.partition("=")
            if not sep:
                raise ValidationError(_("Write each status as source=state, e.g. “erledigt=closed”."))
            values[source.strip().lower()] = state.strip().lower()
        return values

    def mapping(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "columns": {name: data[f"col_{name}"] for name in FIELDS if data.get(f"col_{name}")},
            "date_format": data.get("date_format", ""),
            "default_group": data.get("default_group", ""),
            "status_values": data.get("status_values", {}),
        }


def initial_mapping(header: list[str], mapping: dict[str, Any]) -> dict[str, Any]:
    """The form's first values: the given mapping, else the columns named like a field."""
    columns = mapping.get("columns") or {}
    lower = {h.lower().replace(" ", "_"): h for h in header}
    initial: dict[str, Any] = {f"col_{name}": columns.get(name) or lower.get(name, "") for name in FIELDS}
    initial["date_format"] = mapping.get("date_format", "")
    initial["default_group"] = mapping.get("default_group", "")
    initial["status_values"] = "\n".join(f"{k}={v}" for k, v in (mapping.get("status_values") or {}).items())
    return initial
