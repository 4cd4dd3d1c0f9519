"""Disparity tables as JSON, scoped like the page."""

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Schema

from opensro.analytics import selectors
from opensro.directory.models import SchoolYear

router = Router(tags=["analytics"])


class RowOut(Schema):
    group: str
    label: str
    count: int | None
    base: int | None
    rate: float | None
    ratio: float | None
    ci_low: float | None
    ci_high: float | None
    ci_method: str | None
    p_adjusted: float | None
    significant: bool
    suppressed: bool
    reason: str


class TableOut(Schema):
    point: str
    point_label: str
    dimension: str
    base: str
    per: int
    reference: str
    year: str
    scope: str
    overall_rate: float | None
    index_of_disparity: float | None
    gini: float | None
    note: str
    rows: list[RowOut]


@router.get("/disparity", response=TableOut, summary="A disparity table",
            description="scope: 'all', 'agency:ID', 'district:ID' or 'school:ID'. point: "
                        "contact, referral, citation, arrest, search, use_of_force, restraint, "
                        "court_referral. dimension: race, sex, disability, english_learner, "
                        "age_band, offense. base: enrollment, contact or arrest_or_citation.")
def disparity(request: HttpRequest, school_year: str, point: str = "arrest",
              dimension: str = "race", scope: str = "all", base: str | None = None) -> Any:
    year = SchoolYear.objects.filter(code=school_year).first()
    if year is None:
        raise ValidationError({"school_year": f"Unknown school year {school_year!r}."})
    return selectors.disparity(request.user, year, scope, point, dimension, base)
