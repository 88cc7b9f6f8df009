"""The static files storage of production: WhiteNoise's compressed manifest storage (hashed names, served with
a year-long immutable ``Cache-Control``), which keeps the plain names where collectstatic has not run at all
(``make bench`` serves production settings straight from the repository)."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def stored_name(self, name: str) -> str:
        if not self.hashed_files:  # no staticfiles.json: nothing was collected, nothing is hashed
            return name
        return super().stored_name(name)
