"""The load benchmark of SPEC §13 (``make bench``): a bulk loader, a load generator and a report.

Not a Django app: it drives the application from outside, as a client would, and loads data
in bulk under Django's settings only to prepare the bench database.
"""
