"""Whose language and zone: the reader's on pages (the middleware), the recipient's in mail (in_locale_of).

A person's preferences are read once at sign-in into their session; pages then read no database row for them.
Until a person chooses a language, pages follow the browser (LocaleMiddleware) and the language the browser
last asked for is remembered, so that mail to a caller who never chose one is still in the language they read.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import trans_real

from .models import Profile

SESSION_KEY = "profiles.locale"


@dataclass(frozen=True)
class Locale:
    language: str
    time_zone: str

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


def _saved(profile: Profile | None) -> dict[str, str]:
    if profile is None:
        return {"language": "", "time_zone": "", "browser_language": ""}
    return {
        "language": profile.language,
        "time_zone": profile.time_zone,
        "browser_language": profile.browser_language,
    }


def _resolve(saved: dict[str, str]) -> Locale:
    language = saved["language"] or saved["browser_language"] or settings.LANGUAGE_CODE
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    return Locale(language=language, time_zone=saved["time_zone"] or settings.TIME_ZONE)


def default_locale() -> Locale:
    return Locale(language=settings.LANGUAGE_CODE, time_zone=settings.TIME_ZONE)


def locale_of(user: Any) -> Locale:
    """The language and zone to write to ``user`` in (a user, a user id, or None for the organisation's)."""
    if user is None:
        return default_locale()
    user_id = user if isinstance(user, int) else getattr(user, "pk", None)
    if user_id is None:
        return default_locale()
    return _resolve(_saved(Profile.objects.filter(user_id=user_id).first()))


def locales_of(user_ids: set[int] | frozenset[int]) -> dict[int, Locale]:
    """Each user's language and zone in one query (the organisation's for those without a profile)."""
    found = {p.user_id: _resolve(_saved(p)) for p in Profile.objects.filter(user_id__in=user_ids)}
    return {pk: found.get(pk) or default_locale() for pk in user_ids}


def locale_of_address(address: str) -> Locale:
    """The language and zone of the person with this mail address; the organisation's for a stranger."""
    user = (
        get_user_model().objects.filter(email__iexact=address.strip()).order_by("pk").first()
        if address
        else None
    )
    return locale_of(user)


# How many strings each language's catalogue remembers having translated (``_remembering``): far more
# than the product's mails and reports use; a dynamic string beyond them evicts the least used.
TRANSLATED_REMEMBERED = 4096


def _remembering(language: str) -> None:
    """Have Django's catalogue for ``language`` remember what it translated. Its ``gettext`` looks a
    string up in each catalogue it merged (six) and then in each fallback, twice when it is missing,
    as every English string is: the escalation drain's mails spent a fifth of their rendering there
    (issue 25 §5). The answer for one catalogue object never changes; a change of ``LANGUAGES`` or
    ``LOCALE_PATHS`` makes Django build new objects, which start afresh."""
    catalogue = trans_real.translation(language)
    if "gettext" not in vars(catalogue):  # once per catalogue object
        catalogue.gettext = functools.lru_cache(maxsize=TRANSLATED_REMEMBERED)(catalogue.gettext)  # type: ignore[method-assign]


@contextmanager
def in_locale(locale: Locale) -> Iterator[Locale]:
    _remembering(locale.language)
    with translation.override(locale.language), timezone.override(locale.zone):
        yield locale


@contextmanager
def in_locale_of(user: Any = None, *, address: str = "") -> Iterator[Locale]:
    """Render what is inside in the recipient's language and time zone (mails, reports), not the sender's."""
    locale = locale_of(user) if user is not None else locale_of_address(address)
    with in_locale(locale):
        yield locale


def remember_on_sign_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = _saved(Profile.objects.filter(user=user).first())


def remember(request: HttpRequest, profile: Profile) -> None:
    """After the person changes their preferences: the next page follows them."""
    request.session[SESSION_KEY] = _saved(profile)


class PreferencesMiddleware:
    """After LocaleMiddleware and authentication: the signed-in person's chosen language and time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # No session cookie, nobody signed in: nothing to read (health checks stay free).
        if settings.SESSION_COOKIE_NAME not in request.COOKIES or not request.user.is_authenticated:
            _remembering(translation.get_language())
            return self.get_response(request)
        saved = request.session.get(SESSION_KEY)
        if saved is None:
            saved = _saved(Profile.objects.filter(user=request.user).first())
            request.session[SESSION_KEY] = saved
        if saved["language"] in dict(settings.LANGUAGES):
            translation.activate(saved["language"])
            request.LANGUAGE_CODE = saved["language"]
        else:
            browser = translation.get_language()
            # A browser that asks for nothing in particular gets the default, and nothing is written.
            if browser and browser != (saved["browser_language"] or settings.LANGUAGE_CODE):
                Profile.objects.update_or_create(user=request.user, defaults={"browser_language": browser})
                request.session[SESSION_KEY] = {**saved, "browser_language": browser}
        # Pages translate as mails do: a queue of 25 rows casts some 500 lazy labels, each looked up
        # in every catalogue and fallback when it is English (a sixth of the queue page's time at 1 M).
        _remembering(translation.get_language())
        zone = saved["time_zone"]
        if zone:
            try:
                timezone.activate(zoneinfo.ZoneInfo(zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                zone = ""
        try:
            return self.get_response(request)
        finally:
            if zone:
                timezone.deactivate()
