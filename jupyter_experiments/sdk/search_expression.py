"""Search expressions in the form of the SageMaker SDK, compiled to SQL by the store."""

from __future__ import annotations

import copy
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ValidationError


class Operator(str, enum.Enum):
    """Comparison of a filter."""

    EQUALS = "Equals"
    NOT_EQUALS = "NotEquals"
    GREATER_THAN = "GreaterThan"
    GREATER_THAN_OR_EQUAL = "GreaterThanOrEqualTo"
    LESS_THAN = "LessThan"
    LESS_THAN_OR_EQUAL = "LessThanOrEqualTo"
    CONTAINS = "Contains"
    EXISTS = "Exists"
    NOT_EXISTS = "NotExists"
    IN = "In"


class BooleanOperator(str, enum.Enum):
    """How the parts of a search expression combine."""

    AND = "And"
    OR = "Or"


@dataclass
class Filter:
    """A condition on one property, such as ``Filter("Parameters.lr", Operator.LESS_THAN, 0.1)``.

    Properties: ``DisplayName``, ``TrialComponentName``, ``Parents.TrialName``,
    ``Parents.ExperimentName``, ``Tags.<key>``, ``Parameters.<name>``, ``Metrics.<name>.<stat>``
    (Min, Max, Avg, StdDev, Last, First, Count), ``Status``, ``CreationTime`` and
    ``LastModifiedTime``.
    """

    name: str
    operator: Operator | str = Operator.EQUALS
    value: Any = None

    def to_dict(self) -> dict[str, Any]:
        """Return the filter as plain data."""
        operator = self.operator.value if isinstance(self.operator, Operator) else self.operator
        if operator not in {member.value for member in Operator}:
            raise ValidationError(
                f"Invalid operator {operator!r} in the filter on {self.name!r}: use one of "
                f"{', '.join(member.value for member in Operator)}."
            )
        result: dict[str, Any] = {"Name": self.name, "Operator": operator}
        if operator not in ("Exists", "NotExists"):
            value = self.value
            if isinstance(value, enum.Enum):
                value = value.value
            result["Value"] = list(value) if isinstance(value, (list, tuple, set)) else value
        return result


@dataclass
class NestedFilter:
    """Filters that must all hold for the same related record, such as one parent trial."""

    property_name: str
    filters: Sequence[Filter]

    def to_dict(self) -> dict[str, Any]:
        """Return the nested filter as plain data."""
        return {
            "NestedPropertyName": self.property_name,
            "Filters": [item.to_dict() for item in self.filters],
        }


@dataclass
class SearchExpression:
    """Filters, nested filters and sub-expressions joined by one boolean operator.

    Sub-expressions nest without a depth limit, so ``(a AND b) OR (c AND (d OR e))`` is one
    expression. :meth:`to_dict` builds new data; the expression itself is never changed.
    """

    filters: Sequence[Filter] | None = None
    nested_filters: Sequence[NestedFilter] | None = None
    sub_expressions: Sequence[SearchExpression] | None = None
    boolean_operator: BooleanOperator | str = BooleanOperator.AND

    def to_dict(self) -> dict[str, Any]:
        """Return the expression as plain data, the form the store and the REST API take."""
        operator = self.boolean_operator
        operator = operator.value if isinstance(operator, BooleanOperator) else operator
        result: dict[str, Any] = {"Operator": operator}
        if self.filters:
            result["Filters"] = [item.to_dict() for item in self.filters]
        if self.nested_filters:
            result["NestedFilters"] = [item.to_dict() for item in self.nested_filters]
        if self.sub_expressions:
            result["SubExpressions"] = [item.to_dict() for item in self.sub_expressions]
        return result

    # The SageMaker SDK's name for the same method.
    to_boto = to_dict


def expression_to_dict(
    expression: SearchExpression | dict[str, Any] | None,
) -> dict[str, Any] | None:
    """Return plain data for a SearchExpression or a copy of a mapping; None stays None."""
    if expression is None:
        return None
    if isinstance(expression, SearchExpression):
        return expression.to_dict()
    if isinstance(expression, dict):
        return copy.deepcopy(expression)
    raise ValidationError(
        f"Invalid search expression {expression!r}: pass a SearchExpression or a mapping."
    )
