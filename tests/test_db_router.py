"""The read replica: reporting's figures and the dashboard read from it when it is configured; writes,
other reads and migrations stay on the primary; without DATABASE_REPLICA_URL nothing changes."""

from __future__ import annotations

import pytest
from django.test.utils import override_settings

from core.replica import replica_reads, replica_reads_allowed
from escalation.access import access_for
from incidents.models import Incident
from reporting import selectors, services
from reporting.periods import Month
from servicedesk.db_router import ReplicaRouter
from tests.factories import make_user

pytestmark = pytest.mark.django_db


class Recorder:
    """Ahead of the real router: notes, for every ORM read, the model and whether it was marked for the
    replica, then lets the next router decide."""

    seen: list[tuple[str, bool]] = []

    def db_for_read(self, model, **hints):
        self.seen.append((model._meta.label, replica_reads_allowed()))


def test_without_a_replica_every_read_stays_on_the_primary():
    router = ReplicaRouter()
    with replica_reads():
        assert router.db_for_read(Incident) is None
    assert router.db_for_write(Incident) == "default"


def test_the_router_sends_only_marked_reads_to_the_replica_and_never_migrates_it():
    router = ReplicaRouter()
    with override_settings(DATABASES={"default": {}, "replica": {}}):
        assert router.db_for_read(Incident) is None
        with replica_reads():
            assert router.db_for_read(Incident) == "replica"
            assert router.db_for_write(Incident) == "default"
        assert router.db_for_read(Incident) is None
    assert router.allow_migrate("replica", "incidents") is False
    assert router.allow_migrate("default", "incidents") is None


@override_settings(DATABASE_ROUTERS=["tests.test_db_router.Recorder", "servicedesk.db_router.ReplicaRouter"])
def test_the_dashboard_and_the_reports_figures_mark_their_reads_for_the_replica_and_other_reads_do_not():
    # when the dashboard is computed, a month's report generated, and an incident read elsewhere
    access = access_for(make_user("manager", roles=["Manager"]))
    Recorder.seen = []
    selectors.dashboard(access=access)
    assert services.report_generate(month=Month.current().previous()) is not None
    dashboard_and_report = list(Recorder.seen)
    Recorder.seen = []
    list(Incident.objects.all()[:1])
    # then every read of incidents for the figures was marked, and the plain read was not
    incident_reads = [marked for label, marked in dashboard_and_report if label == "incidents.Incident"]
    assert incident_reads and all(incident_reads)
    assert Recorder.seen == [("incidents.Incident", False)]
