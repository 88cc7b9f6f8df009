"""The in-app inbox, mail preferences, and delivery of notifications by mail."""
