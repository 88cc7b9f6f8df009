"""The incident manager's pages: the template editor with its live preview, programmes with versions."""

import pytest
from django.urls import reverse

from surveys.models import Programme, SurveyTemplate

pytestmark = pytest.mark.django_db


def _questions(rows: list[dict]) -> dict:
    data = {
        "questions-TOTAL_FORMS": str(len(rows)),
        "questions-INITIAL_FORMS": "0",
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "10",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"questions-{i}-{key}"] = value
    return data


def test_the_editor_previews_unsaved_questions_and_saving_adds_a_version(client, incident_manager, template):
    client.force_login(incident_manager)
    rows = [
        {"text": "Rate us", "kind": "rating", "required": "on"},
        {"text": "Which office?", "kind": "choice", "choices": "Lyon\nLeeds"},
        {"text": "", "kind": "rating"},
    ]
    preview = client.post(
        reverse("surveys:template-preview"), {"intro": "Hi <b>there</b>", **_questions(rows)}
    )
    html = preview.content.decode()
    assert preview.status_code == 200 and "Rate us" in html and "Leeds" in html
    assert "<b>there</b>" not in html  # escaped

    edit = reverse("surveys:template-edit", kwargs={"pk": template.pk})
    assert client.get(edit).status_code == 200
    saved = client.post(edit, {"name": template.name, "intro": "", **_questions(rows)})
    assert saved.status_code == 302
    version = SurveyTemplate.objects.get().current_version()
    assert version.number == 2 and list(version.questions.values_list("text", flat=True)) == [
        "Rate us",
        "Which office?",
    ]

    one_option = client.post(
        edit, {"name": template.name, **_questions([{"text": "Pick", "kind": "choice", "choices": "Only"}])}
    )
    assert one_option.status_code == 400 and "needs at least two options" in one_option.content.decode()


def test_editing_a_programme_bumps_its_version_and_bad_input_is_a_400(
    client, incident_manager, manager, programme
):
    client.force_login(manager)
    url = reverse("surveys:programme-edit", kwargs={"pk": programme.pk})
    assert client.get(url).status_code == 403
    client.force_login(incident_manager)
    base = {
        "name": programme.name,
        "kind": "transactional",
        "template": programme.template_id,
        "link_valid_days": "14",
        "reminder_days_before_expiry": "3",
        "trigger": "closed",
        "sample_percent": "40",
        "period_days": "91",
        "departments": "Finance, Sales",
        "priorities": ["1", "2"],
    }
    assert client.post(url, base).status_code == 302
    programme = Programme.objects.get()
    assert programme.version == 2 and programme.trigger == "closed"
    assert programme.departments == ["Finance", "Sales"] and programme.priorities == [1, 2]
    bad = client.post(url, {**base, "sample_percent": "250"})
    assert bad.status_code == 400 and "at most 100" in bad.content.decode()
    assert client.get(reverse("surveys:programmes")).status_code == 200
