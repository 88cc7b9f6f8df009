"""The incident record: numbering, priority, lifecycle and its moves, the activity log with its
hook and outbox, comments, consultations, attachments, watchers, queues, and the incident pages and API."""
