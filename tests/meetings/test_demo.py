"""The demo shows issue 26's point: a past review seminar with decisions, a coming knowledge-sharing
session, training plans part-done, and a staffing view with a visible shortfall."""

from __future__ import annotations

from django.utils import timezone

from escalation.access import access_for
from meetings import training
from meetings.models import Session, TrainingPlan
from staffing.selectors import overview


def test_the_demo_shows_sessions_training_and_a_shortfall(world, db):
    past = Session.objects.get(kind=Session.Kind.REVIEW)
    assert past.starts_at < timezone.now() and past.decisions.filter(action__isnull=False).count() == 2
    assert past.invitees.filter(attended=True).exists() and past.minutes
    assert Session.objects.filter(kind=Session.Kind.SHARING, starts_at__gt=timezone.now()).exists()
    plans = list(TrainingPlan.objects.filter(is_escalation_process=True))
    assert len(plans) == 3
    progress = [p for plan in plans for p in training.plan_progress(plan)]
    done = sum(p.done for p in progress)
    assert 0 < done < sum(len(p.dues) for p in progress)  # part-done
    loads = overview(access=access_for(world.user("manager")))
    assert any(load.shortfall_slots for load in loads)
