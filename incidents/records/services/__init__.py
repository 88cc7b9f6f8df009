"""Writes to the incident record, one module per concern (the façade is ``incidents.services``)."""
