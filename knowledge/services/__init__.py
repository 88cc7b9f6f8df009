"""Every write of the knowledge app: ``articles`` (content, lifecycle, versions, links, reports) and
``quizzes`` (attempts, scores, assignments, reminders)."""
