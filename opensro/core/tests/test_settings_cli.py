"""The ``opensro`` command, the demo county, and the settings read from the environment."""

from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

import opensro.demo as demo
from opensro import cli
from opensro.core.choices import Role
from opensro.core.models import AuditEvent, RoleGrant, User
from opensro.directory.models import Agency, District, Enrollment, Officer, School
from opensro.settings import database_config

PROJECT = Path(__file__).resolve().parents[3]
OPENSRO = str(Path(sys.executable).parent / "opensro")


# --------------------------------------------------------------------------- the command


@pytest.mark.parametrize("argv", [["opensro", "--help"], ["opensro", "-h"], ["opensro"],
                                  ["opensro", "help"]])
def test_help_lists_own_commands(capsys: Any, argv: list[str]) -> None:
    cli.main(argv)
    out = capsys.readouterr().out
    assert out.startswith("usage: opensro COMMAND")
    commands = {line.split()[0] for line in out.splitlines() if line.startswith("  ")}
    assert {"demo", "audit", "import", "disparity", "grant", "token", "migrate",
            "check"} <= commands
    assert "OPENSRO_DATABASE_URL" in out


def test_django_commands_pass_through(capsys: Any) -> None:
    cli.main(["opensro", "help", "audit"])
    out = capsys.readouterr().out
    assert "verify" in out and "Audit chain tools" in out


# --------------------------------------------------------------------------- the demo


def _digest() -> str:
    """What must be identical between two builds with the same seed."""
    rows: list[str] = []
    rows += [f"D {d.nces_id} {d.name}" for d in District.objects.order_by("nces_id")]
    rows += [f"A {a.name} {sorted(a.districts_served.values_list('nces_id', flat=True))}"
             for a in Agency.objects.order_by("name")]
    rows += [f"S {s.nces_id} {s.name} {s.level} {s.campus_acres} {s.postal_code}"
             for s in School.objects.order_by("nces_id")]
    rows += [f"E {e.school.nces_id} {e.school_year.code} {e.group} {e.sex} {e.count}"
             for e in Enrollment.objects.select_related("school", "school_year").order_by(
                 "school__nces_id", "school_year__code", "group", "sex")]
    rows += [f"O {o.agency.name} {o.badge_number} {o.first_name} {o.last_name} {o.kind}"
             for o in Officer.objects.select_related("agency").order_by("agency__name",
                                                                        "badge_number")]
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


@pytest.mark.django_db(transaction=True)
def test_demo_builds_verifies_and_is_deterministic(monkeypatch: Any) -> None:
    """``opensro demo --no-serve``: the directory of the demo county (the part this suite
    covers; later parts such as incidents are built and tested by their own apps, and
    would make this test take a minute). Transactional: ``flush`` truncates tables, which
    PostgreSQL refuses inside the test's transaction."""
    every_part = demo.parts
    monkeypatch.setattr(demo, "parts",
                        lambda: [p for p in every_part() if p[0] == "directory"])
    out = StringIO()
    call_command("demo", no_serve=True, stdout=out)
    text = out.getvalue()
    assert "Building the demo county" in text
    assert f"password: {demo.DEMO_PASSWORD}" in text
    assert "outsider" in text

    verify = StringIO()
    call_command("audit", "verify", stdout=verify)
    assert "Audit chain intact" in verify.getvalue()
    assert "Audited rows match the trail" in verify.getvalue()

    assert Agency.objects.count() == 2
    assert District.objects.count() == 2
    assert School.objects.count() == 25
    assert Officer.objects.filter(kind="sro").count() == 15
    assert set(RoleGrant.objects.values_list("role", flat=True)) == {r.value for r in Role}
    for role in Role:
        assert RoleGrant.objects.filter(role=role).values("user").distinct().count() == 1
    outsider = User.objects.get(username="outsider")
    assert not RoleGrant.objects.filter(user=outsider).exists()
    assert AuditEvent.objects.count() > 1000

    # Building again says so and changes nothing.
    events = AuditEvent.objects.count()
    again = StringIO()
    call_command("demo", no_serve=True, stdout=again)
    assert "already built" in again.getvalue()
    assert AuditEvent.objects.count() == events

    # Same seed, same county.
    first = _digest()
    call_command("flush", interactive=False, verbosity=0)
    assert not School.objects.exists()
    demo.build(demo.SEED)
    assert School.objects.count() == 25
    assert _digest() == first
    # A different seed gives a different county (the digest can tell them apart).
    call_command("flush", interactive=False, verbosity=0)
    demo.build(demo.SEED + 1)
    assert _digest() != first


# --------------------------------------------------------------------------- settings


def test_database_config_sqlite_default() -> None:
    config = database_config(None)
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"].endswith("opensro.sqlite3")
    options = config["OPTIONS"]
    assert "PRAGMA journal_mode=WAL" in options["init_command"]
    assert "PRAGMA foreign_keys=ON" in options["init_command"]
    assert "busy_timeout" in options["init_command"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 5
    assert database_config("") == config


def test_database_config_postgresql_url() -> None:
    config = database_config("postgresql://u@h:5432/db")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["HOST"], config["PORT"]) == (
        "db", "u", "h", 5432)
    assert config["CONN_HEALTH_CHECKS"] is True
    assert "transaction_mode" not in config["OPTIONS"]


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith("OPENSRO_") and k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [OPENSRO, *args], env={**base, **env}, cwd=PROJECT, capture_output=True, text=True,
        timeout=120, check=False,
    )


def test_production_check_deploy_passes(tmp_path: Path) -> None:
    key = secrets.token_urlsafe(64)[:64]
    assert len(key) == 64
    result = _run(["check", "--deploy", "--fail-level", "WARNING"], {
        "OPENSRO_PRODUCTION": "1", "OPENSRO_SECRET_KEY": key,
        "OPENSRO_ALLOWED_HOSTS": "sro.example.org", "OPENSRO_VAR_DIR": str(tmp_path),
    })
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_development_settings_fail_the_deploy_check(tmp_path: Path) -> None:
    """The control for the test above: without production mode the deploy check warns."""
    result = _run(["check", "--deploy", "--fail-level", "WARNING"],
                  {"OPENSRO_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "security.W018" in result.stderr  # DEBUG is on


@pytest.mark.parametrize("key", [None, "", "too-short"])
def test_production_without_secret_key_fails_at_startup(tmp_path: Path,
                                                        key: str | None) -> None:
    env = {"OPENSRO_PRODUCTION": "1", "OPENSRO_ALLOWED_HOSTS": "sro.example.org",
           "OPENSRO_VAR_DIR": str(tmp_path)}
    if key is not None:
        env["OPENSRO_SECRET_KEY"] = key
    result = _run(["check"], env)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert "OPENSRO_SECRET_KEY must be set" in last
    assert "at least 50 characters" in last


@pytest.mark.parametrize("shared", [False, True])
def test_portal_cache_is_shared_only_when_a_directory_is_given(tmp_path: Path,
                                                               shared: bool) -> None:
    """OPENSRO_PORTAL_CACHE_DIR makes every server process share the portal's page cache
    (docs/admin-guide.md); without it each process keeps its own in memory."""
    env = {"OPENSRO_VAR_DIR": str(tmp_path)}
    if shared:
        env["OPENSRO_PORTAL_CACHE_DIR"] = str(tmp_path / "portal-cache")
    result = _run(["shell", "-c",
                   "from django.core.cache import caches; c = caches['portal']; "
                   "c.set('k', 'v'); print(type(c).__name__)"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "FileBasedCache" if shared else "LocMemCache")
    assert (tmp_path / "portal-cache").is_dir() is shared
