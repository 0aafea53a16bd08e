"""What every configuration model shares (scenario sections, target kinds, standards): strict
models, and their validation errors as :class:`~wzmodel.schema.Problem`\\ s."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationError

from wzmodel.schema import Problem

__all__ = ["StrictModel", "one_of", "validation_problems"]


class StrictModel(BaseModel):
    """Base of every configuration section: unknown keys are rejected, instances are immutable
    (``model_copy(update=...)`` or :meth:`~wzmodel.scenario.Scenario.update` make changed copies)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def one_of(value: str, accepted, what: str) -> str:
    """``value`` if it is among ``accepted``; else a ValueError naming every accepted one (for a
    field validator: pydantic turns it into a problem at the field's key)."""
    if value not in accepted:
        raise ValueError(f"{what} ({', '.join(accepted)}), not {value!r}")
    return value


def validation_problems(exc: ValidationError, file: str, *,
                        numbered: tuple[str, str] | None = None) -> list[Problem]:
    """Every error of a pydantic validation as a :class:`~wzmodel.schema.Problem`.

    Parameters
    ----------
    exc : the validation error.
    file : the file (or other input) validated; each problem names it.
    numbered : ``(field, label)`` for a top-level list whose items a person counts in the file
        (``("criteria", "criterion")``): an error inside its third item is reported in
        ``"<file> criterion 3"``, and list positions are left out of the column.

    Returns
    -------
    list of Problem
        One per error, in pydantic's order: ``column`` is the dotted location of the key
        (``uncertainty.parameters.budget.low``), ``value`` the offending input unless it is a
        whole table.
    """
    problems = []
    for err in exc.errors():
        loc = err["loc"]
        where = file
        if numbered and len(loc) >= 2 and loc[0] == numbered[0] and isinstance(loc[1], int):
            where = f"{file} {numbered[1]} {loc[1] + 1}"
            loc = tuple(x for x in loc[2:] if not isinstance(x, int))
        column = ".".join(str(x) for x in loc) or None
        value = err.get("input")
        problems.append(Problem(where, err["msg"], None, column,
                                None if isinstance(value, dict) else value))
    return problems
