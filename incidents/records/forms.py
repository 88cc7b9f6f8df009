"""Browser forms. They only read and shape input; the services validate and write.

Pick-lists are built from rows the view has already loaded (``groups``, ``members``,
``categories``, ``services``) so that a page renders them without one query per form, and
values are the API's (usernames, slugs): the view resolves them through the services'
look-ups, whose ``ValidationError`` comes back onto the form.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from django import forms

from escalation.choices import Level, Priority, Tier
from escalation.models import SupportGroup

from .models import (
    Category,
    Channel,
    Consultation,
    HoldReason,
    Incident,
    ResolutionCode,
    Service,
    SlaState,
    Status,
)

EMPTY = [("", "—")]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name (Django's documented recipe)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class CategorySelect(forms.Select):
    """Subcategory options carry their category's id, so the page can filter them as the category changes."""

    def __init__(self, *args: Any, parents: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parents = parents or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        parent = self.parents.get(str(value))
        if parent:
            option["attrs"]["data-parent"] = parent
        return option


def _field(form: Any, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


def bootstrap(form: forms.Form) -> None:
    """Bootstrap classes for forms rendered field by field (crispy does this for the others)."""
    for field in form.fields.values():
        widget = field.widget
        css = "form-select" if isinstance(widget, forms.Select) else "form-control"
        if not isinstance(widget, forms.HiddenInput | forms.CheckboxInput):
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


def level_choices() -> list[tuple[int, str]]:
    return list(Level.choices)


def group_choices_by_tier(groups: Iterable[SupportGroup], *, exclude: int | None = None) -> list[Any]:
    """Support groups as <optgroup>s by tier, for the escalation picker."""
    by_tier: dict[int, list[tuple[str, str]]] = {}
    for g in groups:
        if g.is_consulted or g.pk == exclude or g.tier is None:
            continue
        by_tier.setdefault(g.tier, []).append((g.slug, g.name))
    return [*EMPTY, *((Tier(t).label, options) for t, options in sorted(by_tier.items()))]


class CategoryFieldsMixin:
    """Category and subcategory as two selects, the second filtered by the first in the page."""

    fields: dict[str, forms.Field]

    def setup_categories(self, categories: Sequence[Category]) -> None:
        tops = [c for c in categories if c.parent_id is None]
        subs = [c for c in categories if c.parent_id is not None]
        names = {c.pk: c.name for c in tops}
        _field(self, "category").choices = [*EMPTY, *((str(c.pk), c.name) for c in tops)]
        _field(self, "subcategory").choices = [
            *EMPTY,
            *((str(c.pk), f"{names.get(c.parent_id or 0, '')} › {c.name}") for c in subs),
        ]
        self.fields["subcategory"].widget = CategorySelect(
            attrs={"data-subcategory-of": "id_category"},
            parents={str(c.pk): str(c.parent_id) for c in subs},
        )
        self.fields["subcategory"].widget.choices = _field(self, "subcategory").choices
        self._categories = {str(c.pk): c for c in categories}

    def category_object(self, key: str) -> Category | None:
        return self._categories.get(self.cleaned_data.get(key) or "")  # type: ignore[attr-defined]


class IncidentCreateForm(CategoryFieldsMixin, forms.Form):
    caller = forms.CharField(
        max_length=150,
        help_text="Type a name, username or e-mail address and pick the person.",
        widget=forms.TextInput(attrs={"list": "caller-options", "autocomplete": "off"}),
    )
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.PHONE)
    category = forms.ChoiceField(required=False)
    subcategory = forms.ChoiceField(required=False)
    service = forms.ChoiceField(required=False)
    impact = forms.TypedChoiceField(choices=level_choices, coerce=int, initial=Level.MEDIUM)
    urgency = forms.TypedChoiceField(choices=level_choices, coerce=int, initial=Level.MEDIUM)
    title = forms.CharField(max_length=Incident.TITLE_MAX_LENGTH)
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 6}), help_text="Markdown is allowed."
    )
    attachments = MultipleFileField(required=False)

    def __init__(
        self, *args: Any, categories: Sequence[Category], services: Sequence[Service], **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.setup_categories(categories)
        _field(self, "service").choices = [*EMPTY, *((s.slug, s.name) for s in services)]
        self._services = {s.slug: s for s in services}

    def service_object(self) -> Service | None:
        return self._services.get(self.cleaned_data.get("service") or "")


class IncidentEditForm(CategoryFieldsMixin, forms.Form):
    """The descriptive fields. Who is not in the owning group edits title and description only."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    title = forms.CharField(max_length=Incident.TITLE_MAX_LENGTH)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 8}))
    impact = forms.TypedChoiceField(choices=level_choices, coerce=int)
    urgency = forms.TypedChoiceField(choices=level_choices, coerce=int)
    category = forms.ChoiceField(required=False)
    subcategory = forms.ChoiceField(required=False)
    service = forms.ChoiceField(required=False)
    problem_reference = forms.CharField(max_length=Incident.REFERENCE_MAX_LENGTH, required=False)
    change_reference = forms.CharField(max_length=Incident.REFERENCE_MAX_LENGTH, required=False)

    OWNER_ONLY = (
        "impact",
        "urgency",
        "category",
        "subcategory",
        "service",
        "problem_reference",
        "change_reference",
    )

    def __init__(
        self,
        *args: Any,
        categories: Sequence[Category],
        services: Sequence[Service],
        full: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.setup_categories(categories)
        _field(self, "service").choices = [*EMPTY, *((s.slug, s.name) for s in services)]
        self._services = {s.slug: s for s in services}
        if not full:
            for name in self.OWNER_ONLY:
                del self.fields[name]

    def changes(self) -> dict[str, Any]:
        """The cleaned values in the form ``incident_update`` takes."""
        data = self.cleaned_data
        out: dict[str, Any] = {name: data[name] for name in ("title", "description") if name in data}
        if "impact" in self.fields:
            out["impact"] = data["impact"]
            out["urgency"] = data["urgency"]
            out["category"] = self.category_object("category")
            out["subcategory"] = self.category_object("subcategory")
            out["service"] = self._services.get(data.get("service") or "")
            out["problem_reference"] = data["problem_reference"]
            out["change_reference"] = data["change_reference"]
        return out


# --- one form per lifecycle action; each carries the version the user saw -----------------


class VersionedForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.pop("context", None)
        super().__init__(*args, **kwargs)


class TakeForm(VersionedForm):
    pass


class StartForm(VersionedForm):
    pass


class ResumeForm(VersionedForm):
    pass


class AssignForm(VersionedForm):
    assigned_to = forms.ChoiceField(label="Person")

    def __init__(self, *args: Any, context: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _field(self, "assigned_to").choices = [
            *EMPTY,
            *((u.get_username(), u.get_full_name() or u.get_username()) for u in context["members"]),
        ]


class EscalateForm(VersionedForm):
    assignment_group = forms.ChoiceField(label="Escalate to")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=Incident.ESCALATION_REASON_MAX_LENGTH
    )

    def __init__(self, *args: Any, context: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _field(self, "assignment_group").choices = group_choices_by_tier(
            context["groups"], exclude=context["incident"].assignment_group_id
        )


class ConsultForm(VersionedForm):
    group = forms.ChoiceField(label="Consulted group")
    question = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=Consultation.QUESTION_MAX_LENGTH
    )

    def __init__(self, *args: Any, context: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _field(self, "group").choices = [
            *EMPTY,
            *((g.slug, g.name) for g in context["groups"] if g.is_consulted),
        ]


class HoldForm(VersionedForm):
    reason = forms.ChoiceField(choices=[*EMPTY, *HoldReason.choices])
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=Incident.NOTE_MAX_LENGTH
    )


class ResolveForm(VersionedForm):
    resolution_code = forms.ChoiceField(choices=[*EMPTY, *ResolutionCode.choices])
    resolution_notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=Incident.RESOLUTION_NOTES_MAX_LENGTH
    )


class ReopenForm(VersionedForm):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=Incident.REASON_MAX_LENGTH)


class CloseForm(VersionedForm):
    close_notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=Incident.NOTE_MAX_LENGTH
    )


class CancelForm(VersionedForm):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=Incident.REASON_MAX_LENGTH)
    duplicate_of = forms.CharField(
        required=False,
        max_length=Incident.NUMBER_MAX_LENGTH,
        label="Duplicate of",
        help_text="Incident number, e.g. INC0000123.",
    )


class LinkForm(VersionedForm):
    parent = forms.CharField(
        required=False, max_length=Incident.NUMBER_MAX_LENGTH, help_text="Parent incident number, or empty."
    )
    duplicate_of = forms.CharField(
        required=False, max_length=Incident.NUMBER_MAX_LENGTH, help_text="Incident number, or empty."
    )


class MajorForm(VersionedForm):
    """The incident manager declares at once; anyone else proposes, and the incident manager decides."""

    major_incident = forms.BooleanField(required=False, label="Major incident")
    # Not "reason": other forms of the page have one, and ids must stay unique for labels.
    why = forms.CharField(
        required=False,
        max_length=2000,
        label="Why it is major",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Who and what is affected.",
    )


class CommentForm(forms.Form):
    """Comments never conflict with other edits, so they carry no version."""

    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label="Comment", max_length=Incident.COMMENT_MAX_LENGTH
    )
    public = forms.TypedChoiceField(
        choices=[("0", "Internal work note"), ("1", "Public (the caller sees it)")],
        coerce=lambda v: v == "1",
        initial="0",
        label="Visible to",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.pop("context", None)
        super().__init__(*args, **kwargs)


class AttachForm(forms.Form):
    uploads = MultipleFileField(label="Files")
    public = forms.BooleanField(required=False, initial=True, label="The caller may see these files")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.pop("context", None)
        super().__init__(*args, **kwargs)


class AnswerForm(forms.Form):
    consultation = forms.IntegerField(widget=forms.HiddenInput)
    answer = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=Consultation.ANSWER_MAX_LENGTH
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.pop("context", None)
        super().__init__(*args, **kwargs)


# --- queues ----------------------------------------------------------------------------------


class QueueFilterForm(forms.Form):
    """Queue filters. Values are slugs, usernames and codes, as in the API."""

    q = forms.CharField(required=False, max_length=Incident.SEARCH_MAX_LENGTH, label="Search")
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *Status.choices])
    priority = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, choices=[("", "Any priority"), *Priority.choices]
    )
    group = forms.ChoiceField(required=False, label="Group")
    assignee = forms.CharField(required=False, max_length=150, label="Assignee (username)")
    category = forms.ChoiceField(required=False)
    service = forms.ChoiceField(required=False)
    channel = forms.ChoiceField(required=False, choices=[("", "Any channel"), *Channel.choices])
    sla_state = forms.ChoiceField(
        required=False, label="SLA", choices=[("", "Any SLA state"), *SlaState.choices]
    )
    created_after = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    created_before = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    # The reports' drill-downs (reporting) land here with these.
    resolved_after = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    resolved_before = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    closed_after = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    closed_before = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    backlog_on = forms.DateField(
        required=False, label="Open at the end of", widget=forms.DateInput(attrs={"type": "date"})
    )
    tier = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Any tier"), (1, "Tier 1"), (2, "Tier 2"), (3, "Tier 3")],
    )
    first_contact = forms.ChoiceField(
        required=False,
        label="First-contact resolution",
        choices=[("", "Any"), ("yes", "Resolved at first contact"), ("no", "Not at first contact")],
    )
    reopened = forms.ChoiceField(
        required=False, choices=[("", "Any"), ("yes", "Reopened"), ("no", "Never reopened")]
    )

    def __init__(
        self,
        *args: Any,
        groups: Sequence[SupportGroup],
        categories: Sequence[Category],
        services: Sequence[Service],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _field(self, "group").choices = [
            ("", "Any group"),
            *((g.slug, g.name) for g in groups if not g.is_consulted),
        ]
        _field(self, "category").choices = [
            ("", "Any category"),
            *((c.parent.slug + "/" + c.slug if c.parent else c.slug, str(c)) for c in categories),
        ]
        _field(self, "service").choices = [("", "Any service"), *((s.slug, s.name) for s in services)]
        bootstrap(self)


class BulkForm(forms.Form):
    """Bulk moves on a queue: each selected incident carries the version the user saw."""

    operation = forms.ChoiceField(choices=[("assign", "Assign to person"), ("move", "Move to group")])
    assigned_to = forms.CharField(required=False, max_length=150, label="Person (username)")
    assignment_group = forms.ChoiceField(required=False, label="Group")

    def __init__(self, *args: Any, groups: Sequence[SupportGroup], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _field(self, "assignment_group").choices = group_choices_by_tier(groups)
        bootstrap(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("operation") == "assign" and not data.get("assigned_to"):
            self.add_error("assigned_to", "Name the person to assign to.")
        if data.get("operation") == "move" and not data.get("assignment_group"):
            self.add_error("assignment_group", "Choose the group to move to.")
        return data
