"""Specific errors: each names the file it is about and what is wrong with it."""

from __future__ import annotations

from pathlib import Path


class SynecgError(Exception):
    """Base class of the project's errors."""


class RecordError(SynecgError):
    """One record is unusable (quarantined by the readers, never dropped silently)."""

    def __init__(self, path: str | Path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class DatasetError(SynecgError):
    """A dataset as a whole is unusable (no metadata table, no records...)."""

    def __init__(self, path: str | Path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class ContractError(SynecgError):
    """A file between two stages does not follow its contract (shape, dtype, columns)."""

    def __init__(self, path: str | Path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")
