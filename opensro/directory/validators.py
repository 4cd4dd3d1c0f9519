"""Identifier checks, shared by forms, the API and imports (architecture rule 1)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

_LEA = re.compile(r"^\d{7}$")
_SCHOOL = re.compile(r"^\d{12}$")
_YEAR = re.compile(r"^(\d{4})-(\d{2})$")


def validate_nces_lea_id(value: str) -> None:
    """An NCES LEA (district) ID is 7 digits: 2-digit state FIPS code + 5 digits."""
    if not _LEA.match(value or ""):
        raise ValidationError(
            "An NCES district (LEA) ID is exactly 7 digits, for example 0622710; got %(v)r.",
            params={"v": value}, code="nces_lea_id",
        )


def validate_nces_school_id(value: str) -> None:
    """An NCES school ID is 12 digits: the 7-digit LEA ID + a 5-digit school number."""
    if not _SCHOOL.match(value or ""):
        raise ValidationError(
            "An NCES school ID is exactly 12 digits (the 7-digit district ID followed "
            "by 5 digits), for example 062271003230; got %(v)r.",
            params={"v": value}, code="nces_school_id",
        )


def validate_school_year_code(value: str) -> None:
    match = _YEAR.match(value or "")
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise ValidationError(
            "A school year is written like 2025-26 (the second year follows the first); "
            "got %(v)r.", params={"v": value}, code="school_year",
        )
