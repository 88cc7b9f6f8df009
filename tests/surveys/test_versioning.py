"""Templates are versioned: an edit after answers exist changes no stored answer."""

import pytest
from django.urls import reverse

from surveys.models import Answer, Invitation, Question
from surveys.services import QuestionSpec, template_save

from .conftest import answers_for, invite

pytestmark = pytest.mark.django_db


def test_a_template_edit_after_answers_exist_changes_no_stored_answer(
    client, alice, bob, incident_manager, template, programme
):
    # given alice's answer to version 1
    invitation, token = invite(programme, alice)
    client.post(reverse("surveys:answer", kwargs={"token": token}), answers_for(invitation, rating="2"))
    before = list(Answer.objects.values_list("pk", "question_id", "question__text", "rating", "yes"))

    # when the incident manager rewords the rating question and drops the others
    template_save(
        actor=incident_manager,
        template=template,
        name=template.name,
        intro="",
        questions=[QuestionSpec(kind="rating", text="Rate our service", required=True)],
    )

    # then alice's answers still point at the wording she answered
    assert list(Answer.objects.values_list("pk", "question_id", "question__text", "rating", "yes")) == before
    assert before[0][2] == "How satisfied are you?"
    # and a new invitation asks the new version
    later, _ = invite(programme, bob)
    assert later.template_version.number == 2
    assert list(later.template_version.questions.values_list("text", flat=True)) == ["Rate our service"]
    assert Invitation.objects.get(pk=invitation.pk).template_version.number == 1
    assert Question.objects.count() == 5
