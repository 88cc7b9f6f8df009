"""Every routed URL of the URL conf, with real arguments: for the walks that must cover every page.

    from tests.routes import routes
    for route in routes(world):              # one URL per pattern
        client.get(route.url)
    for route in routes(world, every_value=True):   # every value of every argument (the canary)
        ...

``url_patterns()`` enumerates the URL conf recursively through its includes; ``routes(world)``
fills in each pattern's arguments from ``ARGUMENTS``, a table keyed by route name (a glob) and
parameter name, whose values come from the objects of the ``World`` (``tests/world.py``). A
pattern with an argument the table cannot fill raises ``UnfilledRoutes`` naming it: a new route
fails the walks until it is given arguments here, so it is covered the day it is added.

The API is small and meant to stay stable: ``Route(name, url, pattern, kwargs)``,
``routes(world, every_value=False)``, ``url_patterns()``, ``EXCLUDED``.
"""

from __future__ import annotations

import fnmatch
import itertools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests.world import World

# Route prefixes the walks leave out, each for a stated reason. Nothing else may be skipped.
EXCLUDED: dict[str, str] = {
    # Django's own admin: configuration for administrators, not a page of the product's roles;
    # its object-level access is the admin's (is_staff + model permissions), tested by Django.
    "admin/": "the Django admin",
}


@dataclass(frozen=True)
class Pattern:
    """One routed pattern: its full name (``namespace:name``, "" if unnamed), full route text,
    and its parameters with their converter names (``int``, ``str``, ``slug``, ``regex``)."""

    name: str
    route: str
    params: dict[str, str]
    callback: Any = field(compare=False, repr=False)


@dataclass(frozen=True)
class Route:
    """A concrete URL of one pattern."""

    name: str
    url: str
    pattern: str
    kwargs: dict[str, str] = field(default_factory=dict, compare=False)


class UnfilledRoutes(AssertionError):
    """Some routed patterns have arguments ``ARGUMENTS`` does not know how to fill."""


def _join_name(namespace: str, name: str | None) -> str:
    if not name:
        return ""
    return f"{namespace}:{name}" if namespace else name


def _params(pattern: Any) -> dict[str, str]:
    converters = getattr(pattern.pattern, "converters", None)
    if converters is not None and hasattr(pattern.pattern, "_route"):
        names = re.findall(r"<(?:(\w+):)?(\w+)>", pattern.pattern._route)
        return {name: conv or "str" for conv, name in names}
    return dict.fromkeys(pattern.pattern.regex.groupindex, "regex")


def url_patterns(urlconf: str | None = None) -> list[Pattern]:
    """Every ``URLPattern`` of the URL conf, through includes, in the order Django tries them,
    except the prefixes of ``EXCLUDED``."""

    def walk(
        entries: Sequence[Any], prefix: str, namespace: str, inherited: dict[str, str]
    ) -> Iterator[Pattern]:
        for entry in entries:
            route = prefix + str(entry.pattern)
            if any(route.startswith(excluded) for excluded in EXCLUDED):
                continue
            params = {**inherited, **_params(entry)}
            if isinstance(entry, URLResolver):
                ns = namespace
                if entry.namespace:
                    ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                yield from walk(entry.url_patterns, route, ns, params)
            elif isinstance(entry, URLPattern):
                yield Pattern(_join_name(namespace, entry.name), route, params, entry.callback)

    return list(walk(get_resolver(urlconf).url_patterns, "", "", {}))


# --- arguments -------------------------------------------------------------------------------------

Values = Callable[[World], Sequence[Any]]


def _incident_numbers(w: World) -> list[str]:
    """The canary incidents first (the walks look for their markers on every page that takes one)."""
    return [i.number for i in w.incidents.values()]


def _attachment_pks(w: World) -> list[int]:
    return [a.pk for a in w.attachments.values()]


def _password_reset(w: World) -> list[tuple[str, str]]:
    user = w.users["end_user"]
    return [(urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user))]


def _spike_pks(w: World) -> list[int]:
    # A spike of the world's open ordinary incidents (issue 24): made here, the world predates spikes.
    from django.utils import timezone

    from learning.models import Spike

    spike = Spike.objects.filter(words="world").first()
    if spike is None:
        now = timezone.now()
        spike = Spike.objects.create(kind=Spike.Kind.TEXT, words="world", started_at=now, last_seen_at=now)
    return [spike.pk]


def _import_run_pks(w: World) -> list[int]:
    # A finished dry run of a small CSV file (issue 24 §4): made here, the world predates imports.
    from django.core.files.base import ContentFile

    from history.models import ImportRun

    run = ImportRun.objects.filter(source="world").first()
    if run is None:
        run = ImportRun(source="world", original_name="world.csv", state=ImportRun.State.DONE)
        run.file.save("world.csv", ContentFile(b"Ticket,Summary,Opened\n1,Printer,2025-01-02\n"))
    return [run.pk]


def _table_names(w: World) -> list[str]:
    from reporting.views import DASHBOARD_TABLES

    return list(DASHBOARD_TABLES)


def _comment_pks(w: World) -> list[int]:
    from incidents.models import IncidentEvent

    return list(IncidentEvent.objects.filter(kind="comment").order_by("pk").values_list("pk", flat=True)[:1])


def _toolkit_pks(model: str) -> list[int]:
    from django.apps import apps

    return list(apps.get_model("toolkit", model).objects.order_by("pk").values_list("pk", flat=True)[:1])


# (route-name glob, parameter) -> the values, from the world. The first matching row wins, so
# specific rows come before the general ones. Every value is tried with ``every_value=True``;
# the first is used otherwise (choose it so that the page shows something).
ARGUMENTS: list[tuple[str, str, Values]] = [
    # knowledge articles are numbered too (KB...), under knowledge:article* and the API
    ("knowledge:article*", "number", lambda w: [w.objects["article"].number]),
    ("knowledge:version-diff", "number", lambda w: [w.objects["article"].number]),
    ("knowledge:self-solved", "number", lambda w: [w.objects["article"].number]),
    ("api:knowledge-article-detail", "number", lambda w: [w.objects["article"].number]),
    ("knowledge:version-diff", "version", lambda w: [w.objects["article_version"].number]),
    ("knowledge:article-transition", "action", lambda w: ["publish"]),
    ("knowledge:quiz*", "slug", lambda w: [w.objects["quiz"].slug]),
    ("knowledge:attempt", "pk", lambda w: [w.objects["attempt"].pk]),
    ("previews:page", "number", lambda w: [1]),  # an attachment preview's first page
    # every other ``number`` is an incident's
    ("*", "number", _incident_numbers),
    ("incidents:action", "action", lambda w: ["comment"]),
    ("incidents:attachment-download", "pk", _attachment_pks),
    ("incidents:comment-split", "pk", _comment_pks),
    ("incidents:sla-rule-*", "pk", lambda w: [w.objects["sla_rule"].pk]),
    ("api:sla-policy-rule-detail", "pk", lambda w: [w.objects["sla_rule"].pk]),
    ("api:sla-policy-detail", "slug", lambda w: [w.objects["sla_policy"].slug]),
    ("portal:watcher-remove", "user_id", lambda w: [w.objects["watcher"].pk]),
    ("intake:review-action", "pk", lambda w: [w.objects["inbound_message"].pk]),
    ("reporting:dashboard-export", "table", _table_names),
    ("reporting:review-action-status", "pk", lambda w: [w.objects["review_action"].pk]),
    ("*", "month", lambda w: [str(m) for m in w.months]),
    ("surveys:results-detail", "pk", lambda w: [w.objects["programme"].pk]),
    ("surveys:programme-edit", "pk", lambda w: [w.objects["programme"].pk]),
    ("surveys:comment-publish", "pk", lambda w: [w.objects["survey_answer"].pk]),
    ("surveys:template-edit", "pk", lambda w: [w.objects["survey_template"].pk]),
    ("surveys:action-edit", "pk", lambda w: [w.objects["improvement_action"].pk]),
    ("surveys:answer", "token", lambda w: [w.survey_token]),
    ("surveys:answer-mine", "pk", lambda w: [w.objects["invitation"].pk]),
    ("password_reset_confirm", "uidb64", lambda w: [_password_reset(w)[0][0]]),
    ("password_reset_confirm", "token", lambda w: [_password_reset(w)[0][1]]),
    ("meetings:plan", "pk", lambda w: [w.objects["training_plan"].pk]),
    ("meetings:item-read", "pk", lambda w: [w.objects["training_plan"].items.order_by("pk")[0].pk]),
    ("meetings:*", "pk", lambda w: [w.objects["session"].pk]),
    ("staffing:group", "slug", lambda w: [w.objects["group"].slug]),
    # the toolkit's templates and macros (demo/toolkit.py)
    ("toolkit:response-edit", "pk", lambda w: _toolkit_pks("ResponseTemplate")),
    ("toolkit:macro-*", "pk", lambda w: _toolkit_pks("Macro")),
    ("toolkit:routing-edit", "pk", lambda w: _toolkit_pks("RoutingRule")),
    ("toolkit:group-mode", "slug", lambda w: ["network"]),
    ("api:toolkit-macro-*", "pk", lambda w: _toolkit_pks("Macro")),
    ("api:view-detail", "pk", lambda w: [w.objects["saved_view"].pk]),
    # the API's catch-all for unknown paths
    ("api:not-found", "rest", lambda w: ["no-such-endpoint/"]),
    ("learning:spike-major", "pk", _spike_pks),
    # attachment previews (issue 23 §5): the same attachments as the download
    ("previews:*", "pk", _attachment_pks),
    ("surveys:template-translate", "pk", lambda w: [w.objects["survey_template"].pk]),
    ("surveys:template-translate", "language", lambda w: ["de"]),
    ("history:*", "pk", _import_run_pks),
]


def _values_for(name: str, param: str, world: World) -> Sequence[Any] | None:
    for glob, wanted, values in ARGUMENTS:
        if wanted == param and fnmatch.fnmatchcase(name, glob):
            return values(world)
    return None


def _fill(route: str, kwargs: dict[str, Any]) -> str:
    """The route text with its parameters replaced (path converters and regex groups alike)."""

    def path_param(match: re.Match[str]) -> str:
        return str(kwargs[match.group(2)])

    def regex_param(match: re.Match[str]) -> str:
        return str(kwargs[match.group(1)])

    url = re.sub(r"\(\?P<(\w+)>[^)]*\)", regex_param, route)
    url = re.sub(r"<(?:(\w+):)?(\w+)>", path_param, url)
    url = url.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\", "")
    return "/" + url


def routes(world: World, *, every_value: bool = False, urlconf: str | None = None) -> list[Route]:
    """A URL for every routed pattern (every combination of argument values with ``every_value``).

    Raises ``UnfilledRoutes`` naming each pattern that has an argument nobody can fill, and
    ``AssertionError`` if a filled URL resolves to another pattern than its own.
    """
    out: list[Route] = []
    unfilled: list[str] = []
    for pattern in url_patterns(urlconf):
        choices: dict[str, Sequence[Any]] = {}
        for param in pattern.params:
            values = _values_for(pattern.name, param, world)
            if not values:
                unfilled.append(f"{pattern.name or '(unnamed)'} {pattern.route!r}: no value for {param!r}")
                break
            choices[param] = values if every_value else values[:1]
        else:
            names = list(choices)
            for combination in itertools.product(*(choices[n] for n in names)):
                kwargs = {n: str(v) for n, v in zip(names, combination, strict=True)}
                url = _fill(pattern.route, kwargs)
                match = resolve(url.split("?", 1)[0], urlconf)
                same = match.view_name == pattern.name if pattern.name else match.func == pattern.callback
                assert same, f"{url} resolves to {match.route!r}, not to {pattern.route!r}"
                out.append(Route(pattern.name, url, pattern.route, kwargs))
    if unfilled:
        raise UnfilledRoutes(
            "Routes without arguments (give them values in tests/routes.py ARGUMENTS):\n  "
            + "\n  ".join(unfilled)
        )
    return out
