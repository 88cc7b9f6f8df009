"""Bring history in: rows of another tool become read-only incidents, in batches (issue 24 §4).

The rows arrive as an iterator of ``(row number, {field: value})``, whatever their source (a CSV file
read a line at a time, django-helpdesk's tables read with a cursor): nothing holds the whole file.
Each batch is checked, matched against what an earlier run brought in (by the source's ticket id),
and written with one ``bulk_create`` in its own transaction, so a run that stops half-way leaves
whole batches behind and the next run goes on where it stopped.

What is written is history: no SLA clock (no policy, no due time, nothing for the sweep), no
event in the outbox (so no mail, no survey, no watcher), the original dates kept. Incidents get
the product's numbers (INC...), allocated as one block per batch; the source's id is kept beside
the number and shown on the incident's page.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from escalation.defaults import SERVICE_DESK_SLUG
from escalation.models import SupportGroup
from incidents.models import Category, Incident, IncidentEvent, PriorityMatrixEntry, Service

from .mapping import HISTORY_STATUSES, Mapping
from .models import ImportedComment

BATCH_SIZE = 2000
SAMPLES_KEPT = 200  # refused rows listed one by one in the report; the rest are counted by reason
NAMES_KEPT = 100  # names listed per kind of thing created
PLACEHOLDER_CALLER = "history-import"
EXTERNAL_ID_MAX_LENGTH = 100
NAME_MAX_LENGTH = 100
# django-helpdesk's titles of a follow-up that only say what kind it is: not repeated above its text.
BARE_TITLES = {
    "comment",
    "followup",
    "follow-up",
    "updated",
    "resolved",
    "closed",
    "reopened",
    "ticket opened",
}

Row = tuple[int, dict[str, Any]]


class RowRefused(Exception):
    """One row cannot be brought in: ``reason`` is counted, ``detail`` shown for the sampled rows."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail or reason


@dataclass
class Outcome:
    processed: int = 0
    created: int = 0
    unchanged: int = 0
    refused: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    samples: list[dict[str, Any]] = field(default_factory=list)
    would_create: dict[str, list[str]] = field(default_factory=dict)
    placeholder_callers: int = 0
    comments: int = 0  # comments brought in (a dry run: that would be)
    comments_refused: int = 0

    def refuse(self, row: int, external_id: str, error: RowRefused) -> None:
        self.refused += 1
        self.reasons[error.reason] += 1
        if len(self.samples) < SAMPLES_KEPT:
            self.samples.append({"row": row, "id": external_id, "reason": error.detail})

    def report(self) -> dict[str, Any]:
        return {
            "reasons": dict(self.reasons.most_common()),
            "samples": self.samples,
            "would_create": self.would_create,
            "placeholder_callers": self.placeholder_callers,
            "comments": self.comments,
            "comments_refused": self.comments_refused,
        }


@dataclass
class Clean:
    row: int
    external_id: str
    title: str
    description: str
    opened_at: datetime
    status: str
    resolved_at: datetime | None
    closed_at: datetime | None
    priority: int | None
    category: str
    subcategory: str
    service: str
    group: str
    caller: str
    assigned_to: str
    resolution_notes: str
    # The source's comments (django-helpdesk's follow-ups): {"id", "date", "title", "comment", "public",
    # "username", "email", "name"}; a CSV file has none.
    comments: list[dict[str, Any]] = field(default_factory=list)


def _text(values: dict[str, Any], name: str, max_length: int, *, required: bool = False) -> str:
    raw = values.get(name)
    text = "" if raw is None else str(raw).strip()
    if "\x00" in text:
        raise RowRefused(
            _("“%(field)s” contains a NUL character.") % {"field": name},
        )
    if required and not text:
        raise RowRefused(_("“%(field)s” is empty.") % {"field": name})
    if len(text) > max_length:
        raise RowRefused(
            _("“%(field)s” is longer than %(max)s characters.") % {"field": name, "max": max_length},
            _("“%(field)s” is %(length)s characters long; at most %(max)s are allowed.")
            % {"field": name, "length": len(text), "max": max_length},
        )
    return text


def parse_date(raw: Any, *, name: str, date_format: str, zone: ZoneInfo) -> datetime | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, datetime):
        value = raw
    else:
        text = str(raw).strip()
        if not text:
            return None
        try:
            value = datetime.strptime(text, date_format) if date_format else datetime.fromisoformat(text)
        except ValueError:
            expected = date_format or _("ISO 8601, e.g. 2024-03-01 14:05")
            raise RowRefused(
                _("“%(field)s” is not a date in the expected form (%(expected)s).")
                % {"field": name, "expected": expected},
                _("“%(field)s” is “%(value)s”, not a date in the expected form (%(expected)s).")
                % {"field": name, "value": text[:60], "expected": expected},
            ) from None
    if timezone.is_naive(value):
        value = value.replace(tzinfo=zone)
    return value


class Importer:
    """One run: converts, matches and writes rows, and counts what came of each."""

    def __init__(
        self,
        *,
        source: str,
        mapping: Mapping,
        dry_run: bool,
        progress: Callable[[Outcome], None] | None = None,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.source = source
        self.mapping = mapping
        self.dry_run = dry_run
        self.progress = progress
        self.batch_size = batch_size
        self.zone = ZoneInfo(settings.TIME_ZONE)
        self.outcome = Outcome()
        self._seen: set[str] = set()  # ids met in this run (a dry run writes nothing to find them by)
        self._seen_comments: set[str] = set()
        self._categories: dict[tuple[int | None, str], int | None] = {}
        self._services: dict[str, int | None] = {}
        self._groups: dict[str, tuple[int, int] | None] = {}
        self._users: dict[str, int | None] = {}
        self._placeholder: int | None = None
        self._levels = self._levels_by_priority()
        self._default_group = self._group_default()

    # -- the run ---------------------------------------------------------------------------------

    def run(self, rows: Iterable[Row]) -> Outcome:
        iterator = iter(rows)
        while batch := list(islice(iterator, self.batch_size)):
            self._batch(batch)
            if self.progress:
                self.progress(self.outcome)
        return self.outcome

    def _batch(self, batch: list[Row]) -> None:
        cleaned: list[Clean] = []
        for number, values in batch:
            self.outcome.processed += 1
            try:
                cleaned.append(self.clean(number, values))
            except RowRefused as error:
                self.outcome.refuse(
                    number, str(values.get("external_id") or "")[:EXTERNAL_ID_MAX_LENGTH], error
                )
        existing = dict(
            Incident.objects.filter(
                imported=True, import_source=self.source, external_id__in=[c.external_id for c in cleaned]
            ).values_list("external_id", "pk")
        )
        fresh: list[Clean] = []
        # Comments go to incidents imported before too: a follow-up missing there is brought in now.
        commented: list[tuple[int | None, Clean]] = []
        for clean in cleaned:
            if clean.external_id in existing or clean.external_id in self._seen:
                self.outcome.unchanged += 1
                if clean.comments and (self.dry_run or clean.external_id in existing):
                    commented.append((existing.get(clean.external_id), clean))
                continue
            self._seen.add(clean.external_id)
            fresh.append(clean)
        if self.dry_run:
            for clean in fresh:
                try:
                    self._references(clean)
                except RowRefused as error:
                    self.outcome.refuse(clean.row, clean.external_id, error)
                else:
                    self.outcome.created += 1
                    commented.append((None, clean))
            self._comments(commented)
            return
        with transaction.atomic():
            incidents = []
            for clean in fresh:
                try:
                    incidents.append(self._incident(clean))
                except RowRefused as error:
                    self.outcome.refuse(clean.row, clean.external_id, error)
            for incident, allocated in zip(incidents, self._numbers(len(incidents)), strict=True):
                incident.number = allocated
            Incident.objects.bulk_create(incidents, batch_size=self.batch_size)
            self.outcome.created += len(incidents)
            by_id = {clean.external_id: clean for clean in fresh}
            commented += [(i.pk, by_id[i.external_id]) for i in incidents if by_id[i.external_id].comments]
            self._comments(commented)

    # -- comments --------------------------------------------------------------------------------

    def _comments(self, commented: list[tuple[int | None, Clean]]) -> None:
        """The comments of these rows not brought in before (by the source's id), as comments of the
        incidents with their own dates; born published, so no subscriber (mail, watchers) ever sees them."""
        ids = [c["id"] for _, clean in commented for c in clean.comments]
        if not ids:
            return
        done = set(
            ImportedComment.objects.filter(source=self.source, external_id__in=ids).values_list(
                "external_id", flat=True
            )
        )
        events: list[IncidentEvent] = []
        keys: list[str] = []
        for incident_id, clean in commented:
            for comment in clean.comments:
                key = str(comment["id"])[:EXTERNAL_ID_MAX_LENGTH]
                if key in done or key in self._seen_comments:
                    continue
                self._seen_comments.add(key)
                try:
                    event = self._comment(incident_id, clean, comment)
                except RowRefused as error:
                    self.outcome.comments_refused += 1
                    self.outcome.reasons[_("A comment: %(reason)s") % {"reason": error.reason}] += 1
                    continue
                if event is not None:
                    events.append(event)
                    keys.append(key)
        if not self.dry_run:
            IncidentEvent.objects.bulk_create(events, batch_size=self.batch_size)
            ImportedComment.objects.bulk_create(
                [
                    ImportedComment(source=self.source, external_id=key, event=event)
                    for key, event in zip(keys, events, strict=True)
                ],
                batch_size=self.batch_size,
            )
        self.outcome.comments += len(events)

    def _comment(
        self, incident_id: int | None, clean: Clean, comment: dict[str, Any]
    ) -> IncidentEvent | None:
        """One comment as an event of the activity log; None for a follow-up with nothing to read (a bare
        change of status: its time is the incident's resolved or closed time already)."""
        text = _text(comment, "comment", Incident.COMMENT_MAX_LENGTH)
        title = _text(comment, "title", Incident.COMMENT_MAX_LENGTH)
        if not text:
            return None
        if title and title.lower() not in BARE_TITLES and title not in text:
            text = f"{title}\n\n{text}"[: Incident.COMMENT_MAX_LENGTH]
        date = parse_date(comment.get("date"), name="date", date_format="", zone=self.zone) or clean.opened_at
        label = comment.get("label") or f"{self.source} #{comment['id']}"
        changes: dict[str, Any] = {"imported_from": {"old": None, "new": label}}
        actor = None
        for who in (comment.get("username"), comment.get("email")):
            actor = actor or (self._user(str(who)) if who else None)
        if actor is None:
            author = comment.get("name") or comment.get("username") or comment.get("email")
            if author:
                changes["written_by"] = {"old": None, "new": str(author)[:NAME_MAX_LENGTH]}
        return IncidentEvent(
            incident_id=incident_id or 0,  # 0: a dry run's, never saved
            kind=IncidentEvent.Kind.COMMENT,
            actor_id=actor,
            created_at=date,
            public=bool(comment.get("public")),
            body=text,
            changes=changes,
            version=1,
            notified_at=timezone.now(),
        )

    # -- one row ---------------------------------------------------------------------------------

    def clean(self, number: int, values: dict[str, Any]) -> Clean:
        external_id = _text(values, "external_id", EXTERNAL_ID_MAX_LENGTH, required=True)
        title = _text(values, "title", Incident.TITLE_MAX_LENGTH, required=True)
        description = _text(values, "description", Incident.DESCRIPTION_MAX_LENGTH)
        notes = _text(values, "resolution_notes", Incident.RESOLUTION_NOTES_MAX_LENGTH)
        fmt = self.mapping.date_format
        opened_at = parse_date(values.get("opened_at"), name="opened_at", date_format=fmt, zone=self.zone)
        if opened_at is None:
            raise RowRefused(_("“%(field)s” is empty.") % {"field": "opened_at"})
        resolved_at = parse_date(
            values.get("resolved_at"), name="resolved_at", date_format=fmt, zone=self.zone
        )
        closed_at = parse_date(values.get("closed_at"), name="closed_at", date_format=fmt, zone=self.zone)
        status = self._status(values)
        if status in ("resolved", "closed"):
            resolved_at = resolved_at or closed_at or opened_at
        if status == "closed":
            closed_at = closed_at or resolved_at
        else:
            closed_at = None if status == "resolved" else closed_at
        for name, moment in (("resolved_at", resolved_at), ("closed_at", closed_at)):
            if moment is not None and moment < opened_at:
                raise RowRefused(
                    _("“%(field)s” is before “opened_at”.") % {"field": name},
                )
        if status == "cancelled":
            resolved_at = None
        subcategory = _text(values, "subcategory", NAME_MAX_LENGTH)
        category = _text(values, "category", NAME_MAX_LENGTH)
        if subcategory and not category:
            raise RowRefused(_("A subcategory is given without its category."))
        return Clean(
            row=number,
            external_id=external_id,
            title=title,
            description=description,
            opened_at=opened_at,
            status=status,
            resolved_at=resolved_at,
            closed_at=closed_at,
            priority=self._priority(values),
            category=category,
            subcategory=subcategory,
            service=_text(values, "service", NAME_MAX_LENGTH),
            group=_text(values, "group", NAME_MAX_LENGTH),
            caller=_text(values, "caller", 254),
            assigned_to=_text(values, "assigned_to", 254),
            resolution_notes=notes,
            comments=self._row_comments(values, external_id, resolved_at or opened_at),
        )

    def _row_comments(
        self, values: dict[str, Any], external_id: str, moment: datetime
    ) -> list[dict[str, Any]]:
        """django-helpdesk's follow-ups as they come; a CSV file's comments column as one internal comment,
        dated when the ticket was resolved (else opened), its id the ticket's."""
        raw = values.get("comments")
        if isinstance(raw, list):
            return raw
        text = _text(values, "comments", Incident.COMMENT_MAX_LENGTH)
        if not text:
            return []
        return [
            {
                "id": f"{external_id}#comments",
                "label": f"{self.source} #{external_id}",
                "date": moment,
                "comment": text,
                "public": False,
            }
        ]

    def _status(self, values: dict[str, Any]) -> str:
        raw = values.get("status")
        if raw is None or str(raw).strip() == "":
            return self.mapping.default_status
        status = self.mapping.status_for(str(raw))
        if status is None:
            raise RowRefused(
                _("The status is not one of history's (resolved, closed, cancelled): open or unknown."),
                _(
                    "The status “%(value)s” is not one of history's (resolved, closed, cancelled): map it in "
                    "“status_values”, or finish the ticket in its tool first."
                )
                % {"value": str(raw)[:40]},
            )
        return status

    def _priority(self, values: dict[str, Any]) -> int | None:
        raw = values.get("priority")
        if raw is None or str(raw).strip() == "":
            return None
        text = re.sub(r"^[Pp]", "", str(raw).strip())
        if not text.isdigit() or not 1 <= int(text) <= 5:
            raise RowRefused(
                _("The priority is not a number from 1 to 5."),
                _("The priority “%(value)s” is not a number from 1 to 5.") % {"value": str(raw)[:20]},
            )
        return int(text)

    # -- what a row names ------------------------------------------------------------------------

    def _incident(self, clean: Clean) -> Incident:
        category_id, subcategory_id, service_id, (group_id, tier) = self._references(clean)
        impact, urgency, priority = self._levels[clean.priority or 0]
        caller_id = self._user(clean.caller) if clean.caller else None
        if caller_id is None:
            self.outcome.placeholder_callers += 1
            caller_id = self._placeholder_caller()
        assignee = self._user(clean.assigned_to) if clean.assigned_to else None
        last = clean.closed_at or clean.resolved_at or clean.opened_at
        return Incident(
            title=clean.title,
            description=clean.description,
            caller_id=caller_id,
            reported_by_id=caller_id,
            category_id=category_id,
            subcategory_id=subcategory_id,
            service_id=service_id,
            impact=impact,
            urgency=urgency,
            priority=priority,
            status=clean.status,
            resolution_notes=clean.resolution_notes,
            assignment_group_id=group_id,
            assigned_to_id=assignee,
            max_tier_reached=tier,
            resolved_at=clean.resolved_at,
            closed_at=clean.closed_at,
            created_at=clean.opened_at,
            updated_at=last,
            imported=True,
            import_source=self.source,
            external_id=clean.external_id,
        )

    def _references(self, clean: Clean) -> tuple[int | None, int | None, int | None, tuple[int, int]]:
        category_id = self._category(None, clean.category) if clean.category else None
        subcategory_id = None
        if clean.subcategory:
            subcategory_id = self._category(category_id, clean.subcategory, parent_name=clean.category)
        service_id = self._service(clean.service) if clean.service else None
        group = self._group(clean.group) if clean.group else self._default_group
        if group is None:
            raise RowRefused(
                _("The group is not a support group that can own incidents."),
                _("“%(name)s” is a consulted group or inactive: it cannot own incidents.")
                % {"name": clean.group},
            )
        return category_id, subcategory_id, service_id, group

    def _created(self, kind: str, name: str) -> None:
        names = self.outcome.would_create.setdefault(kind, [])
        if len(names) < NAMES_KEPT and name not in names:
            names.append(name)

    def _category(self, parent_id: int | None, name: str, parent_name: str = "") -> int | None:
        key = (
            (parent_id, name.lower())
            if not (self.dry_run and parent_name)
            else (None, f"{parent_name}›{name}".lower())
        )
        if key in self._categories:
            return self._categories[key]
        found = None
        if parent_id is not None or not parent_name:
            qs = Category.objects.filter(parent_id=parent_id)
            found = (
                qs.annotate(lname=Lower("name"))
                .filter(lname=name.lower())
                .values_list("pk", flat=True)
                .first()
                or qs.filter(slug=slugify(name)[:100]).values_list("pk", flat=True).first()
            )
        if found is None:
            self._created(
                "subcategories" if parent_name else "categories",
                f"{parent_name} › {name}" if parent_name else name,
            )
            if not self.dry_run:
                slug = _free_slug(
                    slugify(name)[:90] or "imported", Category.objects.filter(parent_id=parent_id)
                )
                found = Category.objects.create(name=name, slug=slug, parent_id=parent_id).pk
        self._categories[key] = found
        return found

    def _service(self, name: str) -> int | None:
        key = name.lower()
        if key not in self._services:
            found = (
                Service.objects.annotate(lname=Lower("name"))
                .filter(lname=key)
                .values_list("pk", flat=True)
                .first()
                or Service.objects.filter(slug=slugify(name)[:100]).values_list("pk", flat=True).first()
            )
            if found is None:
                self._created("services", name)
                if not self.dry_run:
                    found = Service.objects.create(
                        name=name, slug=_free_slug(slugify(name)[:90] or "imported", Service.objects.all())
                    ).pk
            self._services[key] = found
        return self._services[key]

    def _group(self, name: str) -> tuple[int, int] | None:
        key = name.lower()
        if key not in self._groups:
            group = (
                SupportGroup.objects.annotate(lname=Lower("name")).filter(lname=key).first()
                or SupportGroup.objects.filter(slug=slugify(name)[:60]).first()
            )
            if group is None:
                self._created("groups", name)
                if not self.dry_run:
                    group = SupportGroup.objects.create(
                        name=name,
                        slug=_free_slug(slugify(name)[:50] or "imported", SupportGroup.objects.all()),
                        kind=SupportGroup.Kind.SUPPORT,
                        tier=1,
                    )
                self._groups[key] = (group.pk, group.tier or 1) if group else (0, 1)
            elif group.kind != SupportGroup.Kind.SUPPORT or not group.is_active:
                self._groups[key] = None
            else:
                self._groups[key] = (group.pk, group.tier or 1)
        return self._groups[key]

    def _group_default(self) -> tuple[int, int]:
        if self.mapping.default_group:
            group = self._group(self.mapping.default_group)
            if group is not None:
                return group
        desk = SupportGroup.objects.filter(slug=SERVICE_DESK_SLUG).values_list("pk", "tier").first()
        if desk is None:
            desk = (
                SupportGroup.objects.filter(kind=SupportGroup.Kind.SUPPORT).values_list("pk", "tier").first()
            )
        if desk is None:
            raise RowRefused(_("There is no support group to own imported incidents: create one first."))
        return desk[0], desk[1] or 1

    def _user(self, name: str) -> int | None:
        key = name.lower()
        if key not in self._users:
            users = get_user_model().objects.annotate(lu=Lower("username"), le=Lower("email"))
            self._users[key] = (
                users.filter(lu=key).values_list("pk", flat=True).first()
                or users.filter(le=key).values_list("pk", flat=True).first()
            )
        return self._users[key]

    def _placeholder_caller(self) -> int:
        if self._placeholder is None:
            user, created = get_user_model().objects.get_or_create(
                username=PLACEHOLDER_CALLER, defaults={"is_active": False, "first_name": "Imported"}
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            self._placeholder = user.pk
        return self._placeholder

    def _levels_by_priority(self) -> dict[int, tuple[int, int, int]]:
        """Impact and urgency for each priority: the first cell of the matrix that gives it."""
        levels: dict[int, tuple[int, int, int]] = {}
        for impact, urgency, priority in PriorityMatrixEntry.objects.order_by(
            "impact", "urgency"
        ).values_list("impact", "urgency", "priority"):
            levels.setdefault(priority, (impact, urgency, priority))
        fallback = {1: (1, 1), 2: (1, 2), 3: (2, 2), 4: (2, 3), 5: (3, 3)}
        for priority, (impact, urgency) in fallback.items():
            levels.setdefault(priority, (impact, urgency, priority))
        medium = (
            PriorityMatrixEntry.objects.filter(impact=2, urgency=2).values_list("priority", flat=True).first()
        )
        levels[0] = (2, 2, medium or 3)  # no priority in the row: medium impact and urgency
        return levels

    def _numbers(self, count: int) -> Iterator[str]:
        """A block of the product's numbers, taken from the one counter in this transaction."""
        if not count:
            return iter(())
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE incidents_counter SET value = value + %s WHERE name = %s RETURNING value",
                [count, "incident"],
            )
            row = cursor.fetchone()
        last = row[0] if row else count
        return (f"INC{n:07d}" for n in range(last - count + 1, last + 1))


def _free_slug(base: str, queryset: Any) -> str:
    slug, n = base, 1
    while queryset.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


__all__ = ["HISTORY_STATUSES", "Importer", "Outcome", "RowRefused", "parse_date"]
