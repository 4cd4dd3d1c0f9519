"""Dashboards and the menu: each role sees its own section, what to do next, and only the
links it can use; the audit log is for auditors and system administrators only."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.test import Client

from conftest import PERSONAS, World
from opensro.core.choices import Role
from opensro.core.models import User
from opensro.core.services import grant_role
from opensro.directory import services as ds


def page(client: Client, url: str = "/dashboard/") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return str(response.content.decode())


def login(world: World, persona: str) -> Client:
    client = Client()
    client.force_login(world.users[persona])
    return client


def roles_shown(text: str) -> list[str]:
    return re.findall(r'data-role="([a-z_]+)"', text)


def menu(text: str) -> list[str]:
    nav = re.search(r'<nav class="menu"[^>]*>(.*?)</nav>', text, re.S)
    assert nav is not None
    return [label.strip() for label in re.findall(r"<a [^>]*>([^<]+)</a>", nav.group(1))]


# --------------------------------------------------------------------------- sections

#: persona -> the role section its dashboard shows (the outsider has none).
SECTION = {
    "sro": "sro", "supervisor": "supervisor", "agency_admin": "agency_admin",
    "school_admin": "school_admin", "district_admin": "district_admin",
    "analyst": "analyst", "auditor": "auditor", "system_admin": "system_admin",
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_dashboard_shows_the_role_section(world: World, persona: str) -> None:
    text = page(login(world, persona))
    if persona == "outsider":
        assert roles_shown(text) == []
        assert "Your account has no role yet" in text
        assert "Ask your system administrator to grant you a role" in text
    else:
        assert roles_shown(text) == [SECTION[persona]]
        assert f"<h2 id=\"role-{SECTION[persona]}\">{Role(SECTION[persona]).label}</h2>" \
            in text.replace("&#x27;", "'")
        assert "Your account has no role yet" not in text


def test_dashboard_needs_sign_in(db: Any, client: Client) -> None:
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.get("/").status_code == 302


def test_user_with_two_roles_sees_two_sections(world: World) -> None:
    grant_role(None, world.users["school_admin"], Role.ANALYST)
    assert sorted(roles_shown(page(login(world, "school_admin")))) == ["analyst",
                                                                         "school_admin"]


def _card(text: str, label: str) -> str:
    match = re.search(r'<span class="value">([^<]*)</span><span class="label">'
                      + re.escape(label) + "</span>", text)
    assert match is not None, label
    return match.group(1)


def test_cards_count_only_the_scope(world: World) -> None:
    district = page(login(world, "district_admin"))
    assert _card(district, "Schools") == "2"
    assert _card(district, "SROs on duty") == "2"
    school = page(login(world, "school_admin"))
    assert _card(school, "Schools") == "1"
    agency = page(login(world, "agency_admin"))
    assert _card(agency, "Active officers") == "2"
    admin = page(login(world, "system_admin"))
    assert _card(admin, "Schools") == "4"
    assert _card(admin, "Officers") == "4"
    sro = page(login(world, "sro"))
    assert _card(sro, "Current assignments") == "1"
    assert "Your schools: School A1" in sro


# --------------------------------------------------------------------------- what next


def test_fresh_system_admin_is_told_to_add_the_school_year(db: Any) -> None:
    admin = User.objects.create_user("firstadmin", password="x" * 12)
    grant_role(None, admin, Role.SYSTEM_ADMIN)
    client = Client()
    client.force_login(admin)
    text = page(client)
    assert "What to do next" in text
    assert "Add the current school year under School years." in text
    assert "Add your first district under Districts." in text


def test_system_admin_with_data_has_nothing_to_do(world: World) -> None:
    text = page(login(world, "system_admin"))
    assert "Add the current school year" not in text
    assert "What to do next" not in text


def test_analyst_without_school_year_is_told_who_adds_it(db: Any) -> None:
    analyst = User.objects.create_user("newanalyst", password="x" * 12)
    grant_role(None, analyst, Role.ANALYST)
    client = Client()
    client.force_login(analyst)
    assert "No school year is defined yet; a system administrator adds one." in page(client)


def test_sro_without_assignment_is_told_to_ask(world: World) -> None:
    assert "no current school assignment" not in page(login(world, "sro"))
    ds.end_assignment(None, world.assignment_a1, datetime.date.today() - datetime.timedelta(
        days=1))
    text = page(login(world, "sro"))
    assert "You have no current school assignment. Ask your supervisor to record it." in text


def test_supervisor_is_told_to_assign_new_officers(world: World) -> None:
    assert "What to do next" not in page(login(world, "supervisor"))
    ds.create_officer(None, {"agency": world.agency_a, "first_name": "Nia", "last_name": "New",
                             "badge_number": "a400", "date_sworn": datetime.date(2020, 1, 1)})
    text = page(login(world, "supervisor"))
    assert "Record a school assignment for each active officer under Assignments." in text
    assert _card(text, "Officers without a current assignment") == "1"


def test_district_admin_is_told_which_enrollment_is_missing(world: World) -> None:
    text = page(login(world, "district_admin"))
    assert "1 school(s) have no enrollment for 2025-26: upload it under Enrollment" in text
    # The school administrator of A1, which has enrollment, has nothing to do.
    assert "have no enrollment" not in page(login(world, "school_admin"))


def test_auditor_is_pointed_at_verify(world: World) -> None:
    assert "opensro audit verify" in page(login(world, "auditor"))


# --------------------------------------------------------------------------- the menu

DIRECTORY = ["Districts", "Agencies", "Schools", "School years", "Enrollment"]
NAMED = ["Officers", "Assignments"]
EVERY_ROLE_MENU = ["Dashboard", *DIRECTORY, *NAMED, "API tokens"]

#: The Foundation's menu entries; other apps add their own (incidents, …) in between.
FOUNDATION = {"Dashboard", *DIRECTORY, *NAMED, "Audit log", "API tokens", "Administration"}

#: persona -> the Foundation's menu entries it gets, in order.
MENUS = {
    "sro": EVERY_ROLE_MENU,
    "supervisor": EVERY_ROLE_MENU,
    "agency_admin": EVERY_ROLE_MENU,
    "school_admin": EVERY_ROLE_MENU,
    "district_admin": EVERY_ROLE_MENU,
    "analyst": ["Dashboard", *DIRECTORY, "API tokens"],
    "auditor": ["Dashboard", *DIRECTORY, *NAMED, "Audit log", "API tokens"],
    # Not a staff account: the administration site would refuse it, so no link.
    "system_admin": ["Dashboard", *DIRECTORY, *NAMED, "Audit log", "API tokens"],
    "outsider": ["Dashboard", "API tokens"],
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_menu_shows_only_usable_links(world: World, persona: str) -> None:
    client = login(world, persona)
    text = page(client)
    assert [label for label in menu(text) if label in FOUNDATION] == MENUS[persona]
    if persona == "outsider":
        assert menu(text) == MENUS[persona]
    # Every link in the menu opens for this persona.
    nav = re.search(r'<nav class="menu"[^>]*>(.*?)</nav>', text, re.S)
    assert nav is not None
    for url in re.findall(r'href="([^"]+)"', nav.group(1)):
        assert client.get(url).status_code == 200, url
    # And the directory pages left out of the menu are refused.
    for label, url in (("Officers", "/directory/officers/"),
                       ("Assignments", "/directory/assignments/"),
                       ("Audit log", "/audit/"), ("Schools", "/directory/schools/")):
        if label not in MENUS[persona]:
            assert client.get(url).status_code == 403, url


def test_administration_link_for_staff_accounts(world: World) -> None:
    admin = world.users["system_admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = login(world, "system_admin")
    assert menu(page(client))[-1] == "Administration"
    assert client.get("/admin/").status_code == 200


def test_menu_marks_the_current_page(world: World) -> None:
    text = page(login(world, "district_admin"), "/directory/schools/")
    assert '<a href="/directory/schools/" aria-current="page">Schools</a>' in text
    assert 'aria-current="page">Districts' not in text


# --------------------------------------------------------------------------- audit log


@pytest.mark.parametrize("persona", PERSONAS)
def test_audit_log_only_for_auditor_and_system_admin(world: World, persona: str) -> None:
    client = login(world, persona)
    response = client.get("/audit/")
    disclosures = client.get("/audit/", {"view": "disclosures"})
    if persona in ("auditor", "system_admin"):
        assert response.status_code == 200
        assert disclosures.status_code == 200
        assert "directory.School" in response.content.decode()
    else:
        assert response.status_code == 403
        assert disclosures.status_code == 403


def test_audit_log_filters(world: World) -> None:
    client = login(world, "auditor")
    text = page(client, f"/audit/?object_type=directory.School&object_id={world.school_b2.pk}")
    rows = re.findall(r"<tr><td>(\d+)</td>", text)
    assert len(rows) == 1
    assert "School B2" in text and "School A1" not in text
    assert client.get("/audit/", follow=False).status_code == 200
    anonymous = Client().get("/audit/")
    assert anonymous.status_code == 302
