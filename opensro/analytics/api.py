"""Disparity tables as JSON, scoped like the page."""

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router

from opensro.analytics import selectors
from opensro.directory.models import SchoolYear

router = Router(tags=["analytics"])


@router.get("/disparity", response=selectors.Table, summary="A disparity table",
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
