import pytest

from servicedesk import celery_app

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _pong_from(worker, timeout: float = 5.0) -> bool:
    # Addressed to this worker only, and done at its first reply rather than at the timeout as
    # control.ping() without a destination would be.
    replies = celery_app.control.ping(destination=[worker.hostname], timeout=timeout)
    return any(worker.hostname in reply for reply in replies)


def test_it_answers_a_ping_from_the_test_process(celery_worker_process):
    assert _pong_from(celery_worker_process)


def test_it_answers_again_after_a_kill_and_a_restart(celery_worker_process):
    # given a worker that dies without cleaning up
    pid = celery_worker_process.process.pid
    celery_worker_process.kill()
    assert not celery_worker_process.running
    assert not _pong_from(celery_worker_process, timeout=1.0)

    # when it is started again
    celery_worker_process.restart()

    # then a new process answers (a ping is done at the first reply: the margin is for a loaded machine)
    assert celery_worker_process.process.pid != pid
    assert _pong_from(celery_worker_process, timeout=15.0)


def test_it_points_the_worker_at_the_test_database(celery_worker_process, settings):
    assert celery_worker_process.database_url.endswith("/" + settings.DATABASES["default"]["NAME"])
    assert settings.DATABASES["default"]["NAME"].startswith("test_")
