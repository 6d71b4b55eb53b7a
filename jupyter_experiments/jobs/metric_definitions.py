"""Validate SageMaker-style metric definitions and parse metric values out of job log lines.

A metric definition names a metric and gives a regular expression whose first capture group
(or the group named ``value``) captures the metric's value in a line of the job's output::

    [{"Name": "test:accuracy", "Regex": "Test Accuracy: (.*?)%;"}]

Definitions are validated before the job's process starts, so a typo fails fast instead of
silently recording nothing.
"""

from __future__ import annotations

import difflib
import logging
import re
import threading
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jupyter_experiments.errors import ValidationError

logger = logging.getLogger("jupyter_experiments.jobs")

NAME_KEY = "Name"
REGEX_KEY = "Regex"
VALID_KEYS = (NAME_KEY, REGEX_KEY)
MAX_METRIC_NAME_LENGTH = 255
VALUE_GROUP_NAME = "value"

# Maximum length of the repr of a user value quoted in an error or a log message.
MAX_QUOTED_CHARS = 200

# Unicode categories rejected in metric names: control characters (Cc), lone surrogates (Cs),
# which cannot be encoded, and the line and paragraph separators (Zl, Zp), which break a name
# across lines like a newline does.
_FORBIDDEN_NAME_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


@dataclass(frozen=True)
class MetricDefinition:
    """A validated metric definition: the metric's name and its compiled regular expression."""

    name: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class MetricPoint:
    """One metric value parsed from a log line.

    ``step`` counts the metric's accepted values from 0. ``timestamp`` is in seconds since
    the Unix epoch (UTC), taken when the line arrived.
    """

    name: str
    value: float
    step: int
    timestamp: float


def validate_metric_definitions(definitions: object) -> list[MetricDefinition]:
    """Validate SageMaker-style metric definitions and compile their regular expressions.

    ``None`` means no metric definitions and returns an empty list.

    Raises
    ------
    ValidationError
        If ``definitions`` is not a list of mappings, or a definition is invalid. A definition
        is invalid if it has an unknown key or a missing, empty or non-string ``Name`` or
        ``Regex``. It is also invalid if its regular expression does not compile or has no
        capture group, or if its name is invalid or used twice. The message names the
        definition's index and value and says how to fix it.
    """
    if definitions is None:
        return []
    if isinstance(definitions, (str, bytes, Mapping)) or not isinstance(definitions, Sequence):
        raise ValidationError(
            f"Invalid metric definitions {_quote(definitions)}: expected a list of mappings "
            f'such as [{{"Name": "train:loss", "Regex": "loss: (\\S+)"}}].'
        )

    validated: list[MetricDefinition] = []
    index_by_name: dict[str, int] = {}
    for index, definition in enumerate(definitions):
        metric = _validate_definition(index, definition)

        if metric.name in index_by_name:
            raise _definition_error(
                index,
                definition,
                f"duplicate name {metric.name!r}, already used by metric_definitions"
                f"[{index_by_name[metric.name]}]. Give each metric a unique name",
            )
        index_by_name[metric.name] = index
        validated.append(metric)
    return validated


def _validate_definition(index: int, definition: object) -> MetricDefinition:
    """Validate one definition and compile its regular expression."""
    if not isinstance(definition, Mapping):
        raise _definition_error(
            index,
            definition,
            f"expected a mapping with the keys {NAME_KEY!r} and {REGEX_KEY!r}",
        )

    for key in definition:
        if key not in VALID_KEYS:
            raise _definition_error(index, definition, _unknown_key_hint(key))

    name = _required_string(index, definition, NAME_KEY)
    _check_metric_name(index, definition, name)
    regex = _required_string(index, definition, REGEX_KEY)

    try:
        pattern = re.compile(regex)
    except re.error as exc:
        raise _definition_error(
            index,
            definition,
            f"the {REGEX_KEY} {_quote(regex)} does not compile ({exc}). Fix the regular expression",
        ) from exc
    if pattern.groups == 0:
        raise _definition_error(
            index,
            definition,
            f"the {REGEX_KEY} {_quote(regex)} has no capture group. Wrap the value in parentheses, "
            f"for example 'loss: (\\S+)'",
        )
    return MetricDefinition(name=name, pattern=pattern)


def _unknown_key_hint(key: object) -> str:
    """Return the error text for an unknown key, with the closest valid key if there is one."""
    message = f"unknown key {key!r}."
    matches = difflib.get_close_matches(str(key), VALID_KEYS, n=1, cutoff=0.5)
    if matches:
        message += f" Did you mean {matches[0]!r}?"
    return message + f" Valid keys are {NAME_KEY!r} and {REGEX_KEY!r}"


def _required_string(index: int, definition: Mapping[Any, Any], key: str) -> str:
    """Return ``definition[key]`` after checking that it is a non-empty string."""
    if key not in definition:
        raise _definition_error(index, definition, f"missing key {key!r}. Add it")
    value = definition[key]
    if not isinstance(value, str):
        raise _definition_error(
            index,
            definition,
            f"the {key} {_quote(value)} is a {type(value).__name__}, not a string. "
            f"Pass it as a string",
        )
    if not value.strip():
        raise _definition_error(index, definition, f"the {key} is empty. Give it a value")
    return value


def _check_metric_name(index: int, definition: Mapping[Any, Any], name: str) -> None:
    """Reject metric names that are too long or contain control characters."""
    if len(name) > MAX_METRIC_NAME_LENGTH:
        raise _definition_error(
            index,
            definition,
            f"the {NAME_KEY} has {len(name)} characters. Use at most {MAX_METRIC_NAME_LENGTH}",
        )

    for char in name:
        if unicodedata.category(char) in _FORBIDDEN_NAME_CATEGORIES:
            raise _definition_error(
                index,
                definition,
                f"the {NAME_KEY} {name!r} contains {char!r}, but metric names may not contain "
                f"control characters, surrogates or line separators. Remove it",
            )


def _definition_error(index: int, definition: object, problem: str) -> ValidationError:
    """Build the error for one invalid definition, naming its index and value."""
    return ValidationError(
        f"Invalid metric definition metric_definitions[{index}] = {_quote(definition)}: {problem}."
    )


def _quote(value: object) -> str:
    """Return the repr of a user value, shortened to ``MAX_QUOTED_CHARS``."""
    text = repr(value)
    if len(text) > MAX_QUOTED_CHARS:
        text = text[: MAX_QUOTED_CHARS - 3] + "..."
    return text


class MetricParser:
    """Parse metric points out of log lines with validated metric definitions.

    Every line is matched against every definition. When one regular expression matches a
    line several times, each match found by ``re.Pattern.finditer`` is a separate point, in
    order of position in the line, and each takes the metric's next step. Steps count each
    metric's accepted values from 0.

    The value is the group named ``value`` if the regular expression has one, else the first
    capture group. It is stripped and parsed with ``float()``, so scientific notation
    (``1.5e-3``), ``nan``, ``inf`` and ``-inf`` are accepted. A capture that is not a number is
    skipped and takes no step: the first one of each metric is logged as a warning, and all
    of them are counted in ``skipped``.

    ``parse_line`` is safe to call from several threads, for example one per output stream.
    """

    def __init__(self, definitions: Sequence[MetricDefinition]) -> None:
        self._definitions = tuple(definitions)

        # The value group is resolved once, because parse_line runs on every line of output.
        self._matchers: tuple[tuple[MetricDefinition, int | str], ...] = tuple(
            (d, VALUE_GROUP_NAME if VALUE_GROUP_NAME in d.pattern.groupindex else 1)
            for d in self._definitions
        )
        self._next_step: dict[str, int] = {d.name: 0 for d in self._definitions}
        self._skipped: dict[str, int] = {}
        self._lock = threading.Lock()

    @property
    def definitions(self) -> tuple[MetricDefinition, ...]:
        """The metric definitions, in the order lines are matched against them."""
        return self._definitions

    @property
    def skipped(self) -> dict[str, int]:
        """Count of captures skipped because they were not numbers, by metric name."""
        with self._lock:
            return dict(self._skipped)

    def parse_line(self, line: str, timestamp: float) -> list[MetricPoint]:
        """Return the metric points found in ``line``, stamped with ``timestamp``.

        Points come in the order of the definitions, then of the matches in the line.
        """
        points: list[MetricPoint] = []
        with self._lock:
            for definition, group in self._matchers:
                for match in definition.pattern.finditer(line):
                    value = self._parse_value(definition, match.group(group))
                    if value is None:
                        continue

                    step = self._next_step[definition.name]
                    self._next_step[definition.name] = step + 1
                    points.append(MetricPoint(definition.name, value, step, timestamp))
        return points

    def _parse_value(self, definition: MetricDefinition, captured: str | None) -> float | None:
        """Return the captured text as a float, or None after recording it as skipped."""
        if captured is not None:
            try:
                return float(captured.strip())
            except ValueError:
                pass

        # A group that did not take part in the match captures None; count it as not a number.
        count = self._skipped.get(definition.name, 0) + 1
        self._skipped[definition.name] = count
        if count == 1:
            logger.warning(
                "Skipped a value of metric %r: the captured text %s is not a number "
                "(Regex %r). Further non-numeric values of this metric are only counted "
                "in MetricParser.skipped.",
                definition.name,
                _quote(captured),
                definition.pattern.pattern,
            )
        return None
