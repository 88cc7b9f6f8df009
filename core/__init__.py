"""The ground layer: what every app's API, web views and tasks share. It imports no app of this
project (import-linter enforces that: see ``[tool.importlinter]`` in pyproject.toml)."""
