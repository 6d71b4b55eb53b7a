"""Tests for validating metric definitions and parsing metric points from log lines."""

from __future__ import annotations

import logging
import math
import threading

import pytest

from jupyter_experiments.errors import ValidationError
from jupyter_experiments.jobs.metric_definitions import (
    MetricDefinition,
    MetricParser,
    validate_metric_definitions,
)

LOGGER_NAME = "jupyter_experiments.jobs"


def make_parser(*definitions: tuple[str, str]) -> MetricParser:
    return MetricParser(
        validate_metric_definitions([{"Name": name, "Regex": regex} for name, regex in definitions])
    )


def validation_message(definitions: object) -> str:
    with pytest.raises(ValidationError) as raised:
        validate_metric_definitions(definitions)
    return str(raised.value)


# Validation


def test_validate_compiles_definitions() -> None:
    definitions = validate_metric_definitions(
        [
            {"Name": "test:accuracy", "Regex": "Test Accuracy: (.*?)%;"},
            {"Name": "train:loss", "Regex": r"loss=(\S+)"},
        ]
    )

    assert [d.name for d in definitions] == ["test:accuracy", "train:loss"]
    assert definitions[0].pattern.pattern == "Test Accuracy: (.*?)%;"
    assert isinstance(definitions[1], MetricDefinition)


def test_validate_none_is_empty() -> None:
    assert validate_metric_definitions(None) == []


def test_validate_accepts_tuple() -> None:
    definitions = validate_metric_definitions(({"Name": "loss", "Regex": "loss: (.*)"},))

    assert len(definitions) == 1


def test_validation_error_is_value_error() -> None:
    with pytest.raises(ValueError):
        validate_metric_definitions([{"Name": "loss"}])


@pytest.mark.parametrize("definitions", [{"Name": "a", "Regex": "(x)"}, "loss: (.*)", 42])
def test_validate_rejects_non_list(definitions: object) -> None:
    message = validation_message(definitions)

    assert message.startswith(f"Invalid metric definitions {definitions!r}")
    assert "expected a list of mappings" in message


def test_validate_rejects_non_mapping_item() -> None:
    message = validation_message([{"Name": "a", "Regex": "(x)"}, ["Name", "b"]])

    assert "metric_definitions[1] = ['Name', 'b']" in message
    assert "expected a mapping with the keys 'Name' and 'Regex'" in message


def test_validate_suggests_close_key() -> None:
    message = validation_message([{"Name": "loss", "Regx": "loss: (.*)"}])

    assert "metric_definitions[0]" in message
    assert "'Regx': 'loss: (.*)'" in message
    assert "unknown key 'Regx'. Did you mean 'Regex'?" in message


def test_validate_suggests_key_case() -> None:
    message = validation_message([{"name": "loss", "Regex": "loss: (.*)"}])

    assert "Did you mean 'Name'?" in message


def test_validate_unknown_key_without_match() -> None:
    message = validation_message([{"Name": "loss", "Regex": "(x)", "Unit": "%"}])

    assert "unknown key 'Unit'. Valid keys are 'Name' and 'Regex'." in message
    assert "Did you mean" not in message


@pytest.mark.parametrize("missing", ["Name", "Regex"])
def test_validate_rejects_missing_key(missing: str) -> None:
    definition = {"Name": "loss", "Regex": "loss: (.*)"}
    del definition[missing]

    message = validation_message([definition])

    assert f"missing key {missing!r}" in message


@pytest.mark.parametrize("key", ["Name", "Regex"])
@pytest.mark.parametrize("empty", ["", "   "])
def test_validate_rejects_empty_value(key: str, empty: str) -> None:
    definition = {"Name": "loss", "Regex": "loss: (.*)", key: empty}

    message = validation_message([definition])

    assert f"the {key} is empty" in message


@pytest.mark.parametrize("key", ["Name", "Regex"])
def test_validate_rejects_non_string_value(key: str) -> None:
    definition: dict[str, object] = {"Name": "loss", "Regex": "loss: (.*)", key: 3}

    message = validation_message([definition])

    assert f"the {key} 3 is a int, not a string" in message


def test_validate_rejects_bad_regex() -> None:
    message = validation_message([{"Name": "loss", "Regex": "loss: (\\d+"}])

    assert "does not compile" in message
    assert "missing ), unterminated subpattern" in message


def test_validate_rejects_regex_without_group() -> None:
    message = validation_message([{"Name": "loss", "Regex": "loss: \\d+"}])

    assert "has no capture group" in message


def test_validate_rejects_duplicate_name() -> None:
    message = validation_message(
        [
            {"Name": "loss", "Regex": "loss: (.*)"},
            {"Name": "acc", "Regex": "acc: (.*)"},
            {"Name": "loss", "Regex": "val_loss: (.*)"},
        ]
    )

    assert "metric_definitions[2]" in message
    assert "duplicate name 'loss', already used by metric_definitions[0]" in message


@pytest.mark.parametrize(
    "name", ["train/loss", "validation loss", "精度", "точность", "a" * 255, "x:y@z (%)"]
)
def test_validate_accepts_printable_name(name: str) -> None:
    definitions = validate_metric_definitions([{"Name": name, "Regex": "(x)"}])

    assert definitions[0].name == name


def test_validate_rejects_long_name() -> None:
    message = validation_message([{"Name": "a" * 256, "Regex": "(x)"}])

    assert "the Name has 256 characters. Use at most 255" in message


@pytest.mark.parametrize("name", ["a\nb", "tab\tname", "nul\x00", "del\x7f", "line\u2028sep"])
def test_validate_rejects_control_character(name: str) -> None:
    message = validation_message([{"Name": name, "Regex": "(x)"}])

    assert "may not contain control characters" in message


def test_validate_quotes_long_value_shortened() -> None:
    message = validation_message([{"Name": "loss", "Regex": "x" * 1000}])

    assert len(message) < 800


# Parsing


def test_parse_sagemaker_example() -> None:
    parser = make_parser(("test:accuracy", "Test Accuracy: (.*?)%;"))

    points = parser.parse_line("Epoch 1; Test Accuracy: 85.3%; done", 1700000000.5)

    assert len(points) == 1
    assert points[0].name == "test:accuracy"
    assert points[0].value == 85.3
    assert points[0].step == 0
    assert points[0].timestamp == 1700000000.5


def test_parse_no_match_returns_empty() -> None:
    parser = make_parser(("loss", r"loss: (\S+)"))

    assert parser.parse_line("accuracy: 0.9", 0.0) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1.5e-3", 1.5e-3), ("2E+05", 2e5), ("-3.25e1", -32.5), (".5", 0.5), ("7", 7.0)],
)
def test_parse_scientific_notation(text: str, expected: float) -> None:
    parser = make_parser(("loss", r"loss: (\S+)"))

    points = parser.parse_line(f"loss: {text}", 0.0)

    assert points[0].value == expected


def test_parse_nan() -> None:
    parser = make_parser(("loss", r"loss: (\S+)"))

    points = parser.parse_line("loss: nan", 0.0)

    assert math.isnan(points[0].value)


@pytest.mark.parametrize(("text", "sign"), [("inf", 1), ("-inf", -1), ("Infinity", 1)])
def test_parse_infinity(text: str, sign: int) -> None:
    parser = make_parser(("loss", r"loss: (\S+)"))

    points = parser.parse_line(f"loss: {text}", 0.0)

    assert points[0].value == sign * math.inf


def test_parse_strips_capture() -> None:
    parser = make_parser(("loss", "loss:(.*?);"))

    points = parser.parse_line("loss:   0.25  ;", 0.0)

    assert points[0].value == 0.25


def test_parse_skips_non_numeric_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    parser = make_parser(("loss", r"loss: (\S+)"))

    with caplog.at_level(logging.WARNING, logger=LOGGER_NAME):
        first = parser.parse_line("loss: abc", 0.0)
        second = parser.parse_line("loss: 12,5", 1.0)
        third = parser.parse_line("loss: 0.5", 2.0)

    warnings = [r for r in caplog.records if r.name == LOGGER_NAME]
    assert first == []
    assert second == []
    assert [(p.value, p.step) for p in third] == [(0.5, 0)]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    assert "'loss'" in warnings[0].getMessage()
    assert "'abc'" in warnings[0].getMessage()
    assert "loss: (\\\\S+)" in warnings[0].getMessage()
    assert parser.skipped == {"loss": 2}


def test_parse_warns_once_per_metric(caplog: pytest.LogCaptureFixture) -> None:
    parser = make_parser(("loss", r"loss: (\S+)"), ("acc", r"acc: (\S+)"))

    with caplog.at_level(logging.WARNING, logger=LOGGER_NAME):
        for _ in range(3):
            parser.parse_line("loss: x acc: y", 0.0)

    assert len([r for r in caplog.records if r.name == LOGGER_NAME]) == 2
    assert parser.skipped == {"loss": 3, "acc": 3}


def test_parse_skips_group_not_taking_part() -> None:
    parser = make_parser(("loss", r"loss(?:: (\d+))?"))

    points = parser.parse_line("loss", 0.0)

    assert points == []
    assert parser.skipped == {"loss": 1}


def test_parse_several_matches_on_one_line() -> None:
    parser = make_parser(("loss", r"loss: (\S+)"))

    points = parser.parse_line("loss: 1 loss: 2 loss: 3", 5.0)

    assert [p.value for p in points] == [1.0, 2.0, 3.0]
    assert [p.step for p in points] == [0, 1, 2]
    assert {p.timestamp for p in points} == {5.0}


def test_parse_steps_continue_across_lines() -> None:
    parser = make_parser(("loss", r"loss: (\S+)"))
    parser.parse_line("loss: 1 loss: 2", 0.0)

    points = parser.parse_line("loss: 3", 1.0)

    assert points[0].step == 2


def test_parse_steps_are_per_metric() -> None:
    parser = make_parser(("loss", r"loss: (\S+)"), ("acc", r"acc: (\S+)"))

    parser.parse_line("loss: 0.9", 0.0)
    parser.parse_line("loss: 0.8", 1.0)
    points = parser.parse_line("loss: 0.7 acc: 0.5", 2.0)

    assert [(p.name, p.step) for p in points] == [("loss", 2), ("acc", 0)]


def test_parse_skipped_value_takes_no_step() -> None:
    parser = make_parser(("loss", r"loss: (\S+)"))

    points = parser.parse_line("loss: 1 loss: bad loss: 3", 0.0)

    assert [(p.value, p.step) for p in points] == [(1.0, 0), (3.0, 1)]


def test_parse_named_value_group() -> None:
    parser = make_parser(("val:loss", r"(val|train) loss (?P<value>\S+)"))

    points = parser.parse_line("epoch 3: val loss 0.125", 0.0)

    assert points[0].value == 0.125


def test_parse_line_every_definition() -> None:
    parser = make_parser(("loss", r"loss=(\S+)"), ("any_number", r"=(\d+\.\d+)"))

    points = parser.parse_line("loss=0.5 acc=0.75", 0.0)

    assert [(p.name, p.value) for p in points] == [
        ("loss", 0.5),
        ("any_number", 0.5),
        ("any_number", 0.75),
    ]


def test_parse_non_latin_name_and_line() -> None:
    parser = make_parser(("精度", r"精度: (\S+)"))

    points = parser.parse_line("エポック 1 精度: 0.91", 0.0)

    assert points[0].name == "精度"
    assert points[0].value == 0.91


def test_parse_steps_unique_across_threads() -> None:
    parser = make_parser(("loss", r"loss: (\S+)"))
    steps: list[int] = []

    def parse_many() -> None:
        for _ in range(500):
            steps.extend(p.step for p in parser.parse_line("loss: 1", 0.0))

    threads = [threading.Thread(target=parse_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(steps) == list(range(2000))
