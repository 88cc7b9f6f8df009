"""Major and security incidents: declaration, communications log, review, the security checklist."""
