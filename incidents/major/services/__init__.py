"""Writes of major and security incidents (the façade is ``incidents.services``)."""
