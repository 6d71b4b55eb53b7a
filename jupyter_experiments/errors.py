"""Exceptions raised by jupyter-experiments.

Every rejected input raises a subclass of :class:`ValidationError`, which is a ``ValueError``,
so callers that already catch ``ValueError`` keep working.
"""


class ExperimentsError(Exception):
    """Base class of every error raised by jupyter-experiments."""


class ValidationError(ExperimentsError, ValueError):
    """An input breaks a rule; the message names the value, the rule and the fix."""


class NotFoundError(ExperimentsError, LookupError):
    """An experiment, trial or trial component with the given name does not exist."""


class ConflictError(ExperimentsError):
    """The request conflicts with the store: a duplicate name, or a delete blocked by children."""


class SchemaVersionError(ExperimentsError):
    """The database schema is older or newer than this version of the package."""
