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
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

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
    return [(value, str(label)) for value, label in Level.choices]


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
        help_text=gettext_lazy("Type a name, username or e-mail address and pick the person."),
        widget=forms.TextInput(attrs={"list": "caller-options", "autocomplete": "off"}),
        label=gettext_lazy("Caller"),
    )
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.PHONE, label=gettext_lazy("Channel"))
    category = forms.ChoiceField(required=False, label=gettext_lazy("Category"))
    subcategory = forms.ChoiceField(required=False, label=gettext_lazy("Subcategory"))
    service = forms.ChoiceField(required=False, label=gettext_lazy("Service"))
    impact = forms.TypedChoiceField(
        choices=level_choices, coerce=int, initial=Level.MEDIUM, label=gettext_lazy("Impact")
    )
    urgency = forms.TypedChoiceField(
        choices=level_choices, coerce=int, initial=Level.MEDIUM, label=gettext_lazy("Urgency")
    )
    title = forms.CharField(max_length=Incident.TITLE_MAX_LENGTH, label=gettext_lazy("Title"))
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("Markdown is allowed."),
        label=gettext_lazy("Description"),
    )
    attachments = MultipleFileField(required=False, label=gettext_lazy("Attachments"))

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

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, label=gettext_lazy("Version"))
    title = forms.CharField(max_length=Incident.TITLE_MAX_LENGTH, label=gettext_lazy("Title"))
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 8}), label=gettext_lazy("Description")
    )
    impact = forms.TypedChoiceField(choices=level_choices, coerce=int, label=gettext_lazy("Impact"))
    urgency = forms.TypedChoiceField(choices=level_choices, coerce=int, label=gettext_lazy("Urgency"))
    category = forms.ChoiceField(required=False, label=gettext_lazy("Category"))
    subcategory = forms.ChoiceField(required=False, label=gettext_lazy("Subcategory"))
    service = forms.ChoiceField(required=False, label=gettext_lazy("Service"))
    problem_reference = forms.CharField(
        max_length=Incident.REFERENCE_MAX_LENGTH, required=False, label=gettext_lazy("Problem reference")
    )
    change_reference = forms.CharField(
        max_length=Incident.REFERENCE_MAX_LENGTH, required=False, label=gettext_lazy("Change reference")
    )

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
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, label=gettext_lazy("Version"))

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
    assigned_to = forms.ChoiceField(label=gettext_lazy("Person"))

    def __init__(self, *args: Any, context: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _field(self, "assigned_to").choices = [
            *EMPTY,
            *((u.get_username(), u.get_full_name() or u.get_username()) for u in context["members"]),
        ]


class EscalateForm(VersionedForm):
    assignment_group = forms.ChoiceField(label=gettext_lazy("Escalate to"))
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=Incident.ESCALATION_REASON_MAX_LENGTH,
        label=gettext_lazy("Reason"),
    )

    def __init__(self, *args: Any, context: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _field(self, "assignment_group").choices = group_choices_by_tier(
            context["groups"], exclude=context["incident"].assignment_group_id
        )


class ConsultForm(VersionedForm):
    group = forms.ChoiceField(label=gettext_lazy("Consulted group"))
    question = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=Consultation.QUESTION_MAX_LENGTH,
        label=gettext_lazy("Question"),
    )

    def __init__(self, *args: Any, context: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _field(self, "group").choices = [
            *EMPTY,
            *((g.slug, g.name) for g in context["groups"] if g.is_consulted),
        ]


class HoldForm(VersionedForm):
    reason = forms.ChoiceField(choices=[*EMPTY, *HoldReason.choices], label=gettext_lazy("Reason"))
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=Incident.NOTE_MAX_LENGTH,
        label=gettext_lazy("Note"),
    )


class ResolveForm(VersionedForm):
    resolution_code = forms.ChoiceField(
        choices=[*EMPTY, *ResolutionCode.choices], label=gettext_lazy("Resolution code")
    )
    resolution_notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=Incident.RESOLUTION_NOTES_MAX_LENGTH,
        label=gettext_lazy("Resolution notes"),
    )


class ReopenForm(VersionedForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=Incident.REASON_MAX_LENGTH,
        label=gettext_lazy("Reason"),
    )


class CloseForm(VersionedForm):
    close_notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=Incident.NOTE_MAX_LENGTH,
        label=gettext_lazy("Close notes"),
    )


class CancelForm(VersionedForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=Incident.REASON_MAX_LENGTH,
        label=gettext_lazy("Reason"),
    )
    duplicate_of = forms.CharField(
        required=False,
        max_length=Incident.NUMBER_MAX_LENGTH,
        label=gettext_lazy("Duplicate of"),
        help_text=gettext_lazy("Incident number, e.g. INC0000123."),
    )


class MergeForm(VersionedForm):
    into = forms.CharField(
        max_length=Incident.NUMBER_MAX_LENGTH,
        label=_("Merge into"),
        help_text=_("The incident this one duplicates: its comments, files, watchers and links move there."),
    )


class LinkForm(VersionedForm):
    parent = forms.CharField(
        required=False,
        max_length=Incident.NUMBER_MAX_LENGTH,
        help_text=gettext_lazy("Parent incident number, or empty."),
        label=gettext_lazy("Parent"),
    )
    duplicate_of = forms.CharField(
        required=False,
        max_length=Incident.NUMBER_MAX_LENGTH,
        help_text=gettext_lazy("Incident number, or empty."),
        label=gettext_lazy("Duplicate of"),
    )


class MajorForm(VersionedForm):
    """The incident manager declares at once; anyone else proposes, and the incident manager decides."""

    major_incident = forms.BooleanField(required=False, label=gettext_lazy("Major incident"))
    # Not "reason": other forms of the page have one, and ids must stay unique for labels.
    why = forms.CharField(
        required=False,
        max_length=2000,
        label=gettext_lazy("Why it is major"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Who and what is affected."),
    )


class CommentForm(forms.Form):
    """Comments never conflict with other edits, so they carry no version."""

    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label=gettext_lazy("Comment"),
        max_length=Incident.COMMENT_MAX_LENGTH,
    )
    public = forms.TypedChoiceField(
        choices=[
            ("0", gettext_lazy("Internal work note")),
            ("1", gettext_lazy("Public (the caller sees it)")),
        ],
        coerce=lambda v: v == "1",
        initial="0",
        label=gettext_lazy("Visible to"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.pop("context", None)
        super().__init__(*args, **kwargs)


class AttachForm(forms.Form):
    uploads = MultipleFileField(label=gettext_lazy("Files"))
    public = forms.BooleanField(
        required=False, initial=True, label=gettext_lazy("The caller may see these files")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.pop("context", None)
        super().__init__(*args, **kwargs)


class AnswerForm(forms.Form):
    consultation = forms.IntegerField(widget=forms.HiddenInput, label=gettext_lazy("Consultation"))
    answer = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=Consultation.ANSWER_MAX_LENGTH,
        label=gettext_lazy("Answer"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.pop("context", None)
        super().__init__(*args, **kwargs)


# --- queues ----------------------------------------------------------------------------------


class QueueFilterForm(forms.Form):
    """Queue filters. Values are slugs, usernames and codes, as in the API."""

    q = forms.CharField(required=False, max_length=Incident.SEARCH_MAX_LENGTH, label=gettext_lazy("Search"))
    status = forms.ChoiceField(
        required=False,
        choices=[("", gettext_lazy("Any status")), *Status.choices],
        label=gettext_lazy("Status"),
    )
    priority = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", gettext_lazy("Any priority")), *Priority.choices],
        label=gettext_lazy("Priority"),
    )
    group = forms.ChoiceField(required=False, label=gettext_lazy("Group"))
    assignee = forms.CharField(required=False, max_length=150, label=gettext_lazy("Assignee (username)"))
    category = forms.ChoiceField(required=False, label=gettext_lazy("Category"))
    service = forms.ChoiceField(required=False, label=gettext_lazy("Service"))
    channel = forms.ChoiceField(
        required=False,
        choices=[("", gettext_lazy("Any channel")), *Channel.choices],
        label=gettext_lazy("Channel"),
    )
    sla_state = forms.ChoiceField(
        required=False,
        label=gettext_lazy("SLA"),
        choices=[("", gettext_lazy("Any SLA state")), *SlaState.choices],
    )
    created_after = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label=gettext_lazy("Created after")
    )
    created_before = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label=gettext_lazy("Created before")
    )
    # The reports' drill-downs (reporting) land here with these.
    resolved_after = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label=gettext_lazy("Resolved after")
    )
    resolved_before = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label=gettext_lazy("Resolved before")
    )
    closed_after = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label=gettext_lazy("Closed after")
    )
    closed_before = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label=gettext_lazy("Closed before")
    )
    backlog_on = forms.DateField(
        required=False,
        label=gettext_lazy("Open at the end of"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    tier = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[
            ("", gettext_lazy("Any tier")),
            (1, gettext_lazy("Tier 1")),
            (2, gettext_lazy("Tier 2")),
            (3, gettext_lazy("Tier 3")),
        ],
        label=gettext_lazy("Tier"),
    )
    first_contact = forms.ChoiceField(
        required=False,
        label=gettext_lazy("First-contact resolution"),
        choices=[
            ("", gettext_lazy("Any")),
            ("yes", gettext_lazy("Resolved at first contact")),
            ("no", gettext_lazy("Not at first contact")),
        ],
    )
    reopened = forms.ChoiceField(
        required=False,
        choices=[
            ("", gettext_lazy("Any")),
            ("yes", gettext_lazy("Reopened")),
            ("no", gettext_lazy("Never reopened")),
        ],
        label=gettext_lazy("Reopened"),
    )
    tag = forms.CharField(required=False, max_length=40, label=_("Tag"))

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
            ("", _("Any group")),
            *((g.slug, g.name) for g in groups if not g.is_consulted),
        ]
        _field(self, "category").choices = [
            ("", _("Any category")),
            *((c.parent.slug + "/" + c.slug if c.parent else c.slug, str(c)) for c in categories),
        ]
        _field(self, "service").choices = [("", _("Any service")), *((s.slug, s.name) for s in services)]
        bootstrap(self)


class BulkForm(forms.Form):
    """Bulk moves on a queue: each selected incident carries the version the user saw."""

    operation = forms.ChoiceField(
        choices=[("assign", gettext_lazy("Assign to person")), ("move", gettext_lazy("Move to group"))],
        label=gettext_lazy("Operation"),
    )
    assigned_to = forms.CharField(required=False, max_length=150, label=gettext_lazy("Person (username)"))
    assignment_group = forms.ChoiceField(required=False, label=gettext_lazy("Group"))

    def __init__(self, *args: Any, groups: Sequence[SupportGroup], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _field(self, "assignment_group").choices = group_choices_by_tier(groups)
        bootstrap(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("operation") == "assign" and not data.get("assigned_to"):
            self.add_error("assigned_to", _("Name the person to assign to."))
        if data.get("operation") == "move" and not data.get("assignment_group"):
            self.add_error("assignment_group", _("Choose the group to move to."))
        return data
