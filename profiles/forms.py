from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import Profile, time_zone_names


class PreferencesForm(forms.ModelForm):
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        help_text=_("Pages and mail to you are written in this language."),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        help_text=_("Dates and times are shown to you in this zone. Business calendars keep their own."),
    )

    class Meta:
        model = Profile
        fields = ["language", "time_zone"]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        language_field = self.fields["language"]
        zone_field = self.fields["time_zone"]
        assert isinstance(language_field, forms.ChoiceField) and isinstance(zone_field, forms.ChoiceField)
        language_field.choices = [("", _("As my browser asks"))] + [
            (code, name) for code, name in settings.LANGUAGES
        ]
        zone_field.choices = [("", _("The organisation's (%(zone)s)") % {"zone": settings.TIME_ZONE})] + [
            (name, name.replace("_", " ")) for name in time_zone_names()
        ]
