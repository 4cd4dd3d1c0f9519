"""Demo directory: two agencies, two districts, 25 schools, enrollment, SROs, users.

Lakeview City Schools (15 schools) is served by the Lakeview Police Department and,
for two schools on the county line, also by the Harmon County Sheriff's Office,
which serves Harmon County Local Schools (10 schools).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from opensro.core.choices import RACE_CODES, Role
from opensro.core.models import User
from opensro.core.services import grant_role
from opensro.demo import DEMO_PASSWORD, DemoContext
from opensro.directory import services
from opensro.directory.models import Agency, District, Officer, School, SchoolYear

YEARS = [
    ("2024-25", datetime.date(2024, 8, 19), datetime.date(2025, 6, 13)),
    ("2025-26", datetime.date(2025, 8, 18), datetime.date(2026, 6, 12)),
    ("2026-27", datetime.date(2026, 8, 17), datetime.date(2027, 6, 11)),
]

# name, level, lowest, highest, base enrollment
LAKEVIEW = [
    ("Lakeview High School", "high", "09", "12", 1650),
    ("Eastgate High School", "high", "09", "12", 1380),
    ("Riverside Early College High School", "high", "09", "12", 520),
    ("Lincoln Middle School", "middle", "06", "08", 780),
    ("Roosevelt Middle School", "middle", "06", "08", 690),
    ("Maple Grove Middle School", "middle", "06", "08", 610),
    ("Washington Elementary School", "elementary", "KG", "05", 480),
    ("Jefferson Elementary School", "elementary", "KG", "05", 430),
    ("Hillcrest Elementary School", "elementary", "PK", "05", 510),
    ("Oak Park Elementary School", "elementary", "KG", "05", 390),
    ("Cedar Ridge Elementary School", "elementary", "KG", "05", 455),
    ("Northside Elementary School", "elementary", "KG", "05", 370),
    ("Harbor View Elementary School", "elementary", "KG", "05", 415),
    ("Lakeview Alternative Academy", "other", "07", "12", 140),
    ("Fairmount STEM Academy", "other", "KG", "08", 620),
]
HARMON = [
    ("Harmon County High School", "high", "09", "12", 1120),
    ("West Harmon High School", "high", "09", "12", 740),
    ("Harmon Middle School", "middle", "06", "08", 650),
    ("Pine Hollow Middle School", "middle", "06", "08", 430),
    ("Brookfield Elementary School", "elementary", "KG", "05", 380),
    ("Millbrook Elementary School", "elementary", "KG", "05", 340),
    ("Stony Creek Elementary School", "elementary", "PK", "05", 290),
    ("Harmon Village Elementary School", "elementary", "KG", "05", 410),
    ("Elk Run Elementary School", "elementary", "KG", "05", 260),
    ("Prairie Wind K-8 School", "other", "KG", "08", 330),
]

# Race/ethnicity shares (HI, AM, AS, HP, BL, WH, TR) by district.
SHARES = {
    "3999901": (0.19, 0.005, 0.04, 0.002, 0.31, 0.40, 0.053),
    "3999902": (0.08, 0.008, 0.015, 0.001, 0.07, 0.79, 0.036),
}

STREETS = ["Main", "Oak", "Lake", "School", "Elm"]
FIRST = ["James", "Maria", "Robert", "Angela", "Michael", "Denise", "David", "Karen", "Luis",
         "Tanya", "Brian", "Keisha", "Daniel", "Rachel", "Marcus", "Erin", "Kevin", "Sofia",
         "Thomas", "Monica"]
LAST = ["Alvarez", "Brooks", "Carter", "Dawson", "Ellis", "Foster", "Garcia", "Hughes",
        "Iverson", "Jenkins", "Kowalski", "Lambert", "Morales", "Nguyen", "Ortiz", "Patel",
        "Quinn", "Reyes", "Sullivan", "Turner"]


def build(ctx: DemoContext) -> None:
    rng = ctx.rng
    years = [
        services.create_school_year(None, {"code": c, "start_date": s, "end_date": e})
        for c, s, e in YEARS
    ]
    lakeview = services.create_district(None, {
        "name": "Lakeview City Schools", "nces_id": "3999901", "state": "OH",
        "city": "Lakeview", "website": "https://schools.lakeview.example"})
    harmon = services.create_district(None, {
        "name": "Harmon County Local Schools", "nces_id": "3999902", "state": "OH",
        "city": "Harmon", "website": "https://harmon.example"})
    lpd = services.create_agency(None, {
        "name": "Lakeview Police Department", "kind": "police_department", "ori": "OH0999900",
        "state": "OH", "city": "Lakeview", "districts_served": [lakeview]})
    hcso = services.create_agency(None, {
        "name": "Harmon County Sheriff's Office", "kind": "sheriffs_office", "ori": "OH0999800",
        "state": "OH", "city": "Harmon", "districts_served": [harmon, lakeview]})

    schools: dict[str, list[School]] = {"3999901": [], "3999902": []}
    for district, rows in ((lakeview, LAKEVIEW), (harmon, HARMON)):
        for n, (name, level, lo, hi, size) in enumerate(rows, start=1):
            school = services.create_school(None, {
                "district": district, "name": name, "nces_id": f"{district.nces_id}{n:05d}",
                "level": level, "lowest_grade": lo, "highest_grade": hi,
                "street": f"{100 + 37 * n} {rng.choice(STREETS)} St",
                "city": district.city, "state": "OH", "postal_code": f"4{rng.randint(3000, 5999)}",
                "campus_acres": Decimal(str(round(size / 60 + rng.uniform(2, 12), 1))),
                "buildings": 1 if level == "elementary" else rng.randint(1, 4),
                "non_sworn_safety_staff": 0 if level == "elementary" else rng.randint(1, 5),
            })
            schools[district.nces_id].append(school)
            _enroll(ctx, school, years, size, SHARES[district.nces_id])
    ctx.data["schools"] = schools
    ctx.data["years"] = years

    officers = _officers(ctx, lpd, hcso, schools)
    ctx.data["officers"] = officers
    _users(ctx, lpd, lakeview, schools["3999901"][0], officers[0])


def _enroll(ctx: DemoContext, school: School, years: list[SchoolYear], size: int,
            shares: tuple[float, ...]) -> None:
    rng = ctx.rng
    cells: list[tuple[School, SchoolYear, str, str, int]] = []
    for k, year in enumerate(years):
        # Sizes in the tables are scaled up to a large county's (about 37,000 students).
        total = int(2 * size * (1 + 0.015 * k) * rng.uniform(0.97, 1.03))
        for sex, sex_share in (("M", 0.512), ("F", 0.488)):
            n_sex = round(total * sex_share)
            counts = [round(n_sex * s * rng.uniform(0.85, 1.15)) for s in shares]
            counts[5] += n_sex - sum(counts)  # keep the partition exact
            for code, count in zip(RACE_CODES, counts, strict=True):
                cells.append((school, year, code, sex, max(count, 0)))
            idea_rate = 0.17 if sex == "M" else 0.10
            cells.append((school, year, "IDEA", sex,
                          round(n_sex * idea_rate * rng.uniform(0.9, 1.1))))
            cells.append((school, year, "504", sex, round(n_sex * 0.03 * rng.uniform(0.8, 1.2))))
            cells.append((school, year, "EL", sex,
                          round(n_sex * shares[0] * 0.45 * rng.uniform(0.8, 1.2))))
    services.bulk_set_enrollment(None, cells)


def _officers(ctx: DemoContext, lpd: Agency, hcso: Agency,
              schools: dict[str, list[School]]) -> list[Officer]:
    """Fifteen SROs (nine city, six county) with assignment histories, two supervisors."""
    rng = ctx.rng
    names = [(f, ln) for f, ln in zip(FIRST, LAST, strict=True)]
    rng.shuffle(names)
    officers: list[Officer] = []
    lake, harm = schools["3999901"], schools["3999902"]
    plan = [
        # agency, primary school, start, extra schools (floating), previous school
        (lpd, lake[0], datetime.date(2019, 8, 1), [], None),
        (lpd, lake[1], datetime.date(2021, 8, 1), [], None),
        (lpd, lake[3], datetime.date(2023, 8, 1), [], lake[4]),
        (lpd, lake[4], datetime.date(2024, 8, 1), [], None),
        (lpd, lake[5], datetime.date(2025, 8, 1), [lake[9], lake[10], lake[11]], None),
        (lpd, lake[13], datetime.date(2022, 8, 1), [], None),
        (lpd, lake[14], datetime.date(2024, 1, 8), [lake[6]], None),
        (lpd, lake[2], datetime.date(2025, 8, 1), [], lake[1]),
        (lpd, lake[7], datetime.date(2026, 3, 2), [lake[8]], None),
        (hcso, harm[0], datetime.date(2018, 8, 1), [], None),
        (hcso, harm[1], datetime.date(2022, 8, 1), [], None),
        (hcso, harm[2], datetime.date(2023, 8, 1), [harm[3]], None),
        (hcso, harm[9], datetime.date(2024, 8, 1), [harm[4], harm[5]], None),
        (hcso, lake[12], datetime.date(2025, 8, 1), [], None),
        (hcso, harm[3], datetime.date(2026, 8, 1), [], harm[2]),
    ]
    for n, (agency, school, start, extra, previous) in enumerate(plan):
        first, last = names[n]
        sworn = start - datetime.timedelta(days=int(365.25 * rng.uniform(3.2, 14)))
        officer = services.create_officer(None, {
            "agency": agency, "first_name": first, "last_name": last,
            "badge_number": f"{'L' if agency is lpd else 'S'}{1200 + 17 * n}",
            "kind": "sro", "sworn": True, "date_sworn": sworn, "status": "active"})
        officers.append(officer)
        if previous is not None:
            services.create_assignment(None, {
                "officer": officer, "school": previous,
                "start_date": start - datetime.timedelta(days=730),
                "end_date": start - datetime.timedelta(days=1), "primary": True,
                "notes": "Earlier post."})
        services.create_assignment(None, {
            "officer": officer, "school": school, "start_date": start, "primary": True})
        for other in extra:
            services.create_assignment(None, {
                "officer": officer, "school": other, "start_date": start, "primary": False,
                "notes": "Covers this school part of the week."})
    for n, (agency, first, last) in enumerate(
        [(lpd, "Sharon", "Whitfield"), (hcso, "Gregory", "Pruitt")]
    ):
        officers.append(services.create_officer(None, {
            "agency": agency, "first_name": first, "last_name": last,
            "badge_number": f"SGT{300 + n}", "kind": "supervisor", "sworn": True,
            "date_sworn": datetime.date(2005 + 3 * n, 6, 1), "status": "active"}))
    return officers


DEMO_USERS = [
    # username, first, last, role
    ("sro", "James", "Officer", Role.SRO),
    ("supervisor", "Sharon", "Whitfield", Role.SUPERVISOR),
    ("agencyadmin", "Paul", "Kim", Role.AGENCY_ADMIN),
    ("schooladmin", "Laura", "Bennett", Role.SCHOOL_ADMIN),
    ("districtadmin", "Victor", "Hale", Role.DISTRICT_ADMIN),
    ("analyst", "Nina", "Ross", Role.ANALYST),
    ("auditor", "Omar", "Said", Role.AUDITOR),
    ("sysadmin", "Grace", "Lee", Role.SYSTEM_ADMIN),
]


def _users(ctx: DemoContext, agency: Agency, district: District, school: School,
           sro: Officer) -> None:
    from opensro.core import audit

    for username, first, last, role in DEMO_USERS:
        user = User.objects.create_user(
            username=username, password=DEMO_PASSWORD, first_name=first, last_name=last,
            email=f"{username}@demo.opensro.example",
            is_staff=role == Role.SYSTEM_ADMIN, is_superuser=role == Role.SYSTEM_ADMIN,
        )
        audit.record(None, "create_user", user, after=audit.snapshot(user))
        if role == Role.SRO:
            services.update_officer(None, sro, {"user": user})
        scope: dict[str, object] = {}
        if role in (Role.SRO, Role.SUPERVISOR, Role.AGENCY_ADMIN):
            scope["agency"] = agency
        elif role == Role.SCHOOL_ADMIN:
            scope["school"] = school
        elif role == Role.DISTRICT_ADMIN:
            scope["district"] = district
        grant_role(None, user, role, identity=role in (Role.SUPERVISOR, Role.SCHOOL_ADMIN,
                                                         Role.DISTRICT_ADMIN), **scope)
        ctx.users[role] = (username, str(Role(role).label))
    outsider = User.objects.create_user(username="outsider", password=DEMO_PASSWORD,
                                         first_name="Olive", last_name="Outsider")
    audit.record(None, "create_user", outsider, after=audit.snapshot(outsider))
    ctx.users["outsider"] = ("outsider", "No role (sees nothing)")
