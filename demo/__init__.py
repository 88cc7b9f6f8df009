"""The demo organisation and its history, for every app: loaded by ``manage.py seed_demo`` (``make run``)
and reused by the benchmark (``bench/``) and the tests.

The glue layer, beside ``servicedesk``: it calls the services of every app, and no app imports it.
``seed`` loads the people, the catalogue, the register and six months of incidents, then each app's part
(``sla``, ``major``, ``intake``, ``knowledge``, ``portal``, ``reporting``, ``surveys``).
"""
