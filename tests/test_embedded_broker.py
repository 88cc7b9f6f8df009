"""The embedded broker hands a consumer whole messages only (servicedesk/broker.py).

Real kombu connections on a real folder, a producer process and a consumer, as the web server and
the worker are: kombu's own filesystem channel let the consumer take a message file between its
creation and its write, and the worker died of the empty read ("Unrecoverable error:
JSONDecodeError").
"""

from __future__ import annotations

import subprocess
import sys
from queue import Empty

from kombu import Connection

from servicedesk import broker

MESSAGES = 2000

PRODUCER = """
import sys, time
from kombu import Connection
from servicedesk import broker
broker.register()
with Connection("filesystem://", transport_options={"data_folder_out": sys.argv[1]}) as conn:
    for i in range(int(sys.argv[2])):
        conn.default_channel._put("q", {"body": i})
        time.sleep(0.0005)  # a pace the consumer keeps up with, so that it meets each new file
"""


def _connection(folder) -> Connection:
    return Connection(
        "filesystem://", transport_options={"data_folder_in": str(folder), "store_processed": False}
    )


def test_filesystem_urls_name_the_transport_that_writes_whole_messages():
    # given the Celery app loaded (it registers the transport)
    import servicedesk.celery  # noqa: F401

    # then filesystem:// is ours
    assert type(_connection("/tmp").transport) is broker.Transport


def test_a_consumer_polling_without_pause_never_reads_a_message_before_it_is_whole(tmp_path):
    broker.register()
    # when another process puts messages while this one takes them without pause
    producer = subprocess.Popen([sys.executable, "-c", PRODUCER, str(tmp_path), str(MESSAGES)])
    read: list[int] = []
    with _connection(tmp_path) as conn:
        channel = conn.default_channel
        assert isinstance(channel, broker.Channel)
        while len(read) < MESSAGES:
            try:
                read.append(channel._get("q")["body"])  # an empty or partial file fails here
            except Empty:
                if producer.poll() is not None and not list(tmp_path.glob("*.msg")):
                    break
    assert producer.wait(60) == 0

    # then every message arrived once and whole, and nothing was left behind
    assert sorted(read) == list(range(MESSAGES))
    assert not list(tmp_path.iterdir())
