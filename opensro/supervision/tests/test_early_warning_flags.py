"""Early-warning flags (R-F1) through the refresh: raised with their evidence for the
outliers only, cleared when no longer significant, not reopened once decided, scoped to
the SRO's chain of command; run by ``opensro flags refresh``."""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from conftest import World, module_world
from opensro.core import flags
from opensro.core.models import AuditEvent, Flag, FlagStatus
from opensro.supervision import services
from opensro.supervision.models import EarlyWarningResult
from opensro.supervision.tests import world as sw

KIND = services.EARLY_WARNING_FLAG
COUNTED_TO = datetime.date(2025, 11, 15)


@pytest.fixture(scope="module")
def shared_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    yield from module_world(django_db_blocker, sw.prepare)


def open_flags() -> set[tuple[int, str]]:
    out = set()
    for flag in Flag.objects.filter(kind=KIND, status=FlagStatus.OPEN):
        result = EarlyWarningResult.objects.get(pk=flag.subject_id)
        out.add((result.officer_id, result.measure))
    return out


def test_outliers_raise_one_flag_each_and_nobody_else_does(w: World) -> None:
    assert open_flags() == {(w.officer_a.pk, "arrest"), (w.peer_a.pk, "restraint"),
                            (w.officer_b.pk, "search")}
    significant = set(EarlyWarningResult.objects.filter(significant=True).values_list(
        "officer_id", "measure"))
    assert significant == open_flags()
    # Every SRO has a result for every measure of the period, flagged or not.
    assert EarlyWarningResult.objects.count() == 4 * 6


def test_flag_evidence_rates_benchmark_tests_and_incidents(w: World) -> None:
    flag = Flag.objects.get(pk=w.flag_ew_a.pk)
    # Scoped to the chain of command: the agency and the SRO, no school or district.
    assert (flag.agency_id, flag.officer_id, flag.school_id, flag.district_id) == (
        w.agency_a.pk, w.officer_a.pk, None, None)
    evidence = flag.evidence
    assert (evidence["count"], evidence["contacts"], evidence["enrolled"]) == (20, 40, 300)
    assert evidence["counted_to"] == "2025-11-15"
    contact = evidence["tests"]["per 100 contacts"]
    assert contact["rate"] == 50.0
    assert contact["peer_rate"] == pytest.approx(100 * 2 / 120, abs=1e-3)
    assert contact["expected"] == pytest.approx(40 * 2 / 120, abs=0.01)
    assert contact["ratio"] == pytest.approx(30.0, abs=0.01)
    assert contact["significant"] is True and contact["q_value"] < 0.001
    assert contact["p_value"] <= contact["q_value"]
    assert contact["peers"] == 3
    assert contact["peer_group"] == ("SROs at schools of the same stage (elementary, or "
                                     "secondary)")
    assert evidence["false_discovery_rate"] == 0.1
    assert len(evidence["incidents"]) == 20
    assert evidence["incidents"][0]["url"] == f"/incidents/{evidence['incidents'][0]['id']}/"
    assert flag.title.startswith(f"{w.officer_a}: school-related arrests 30.0× the peer rate")
    assert flags.subject_url(flag) == f"/supervision/early-warning/{w.ew_a.pk}/"


def _amend_officer_a_arrests(keep: int) -> None:
    """Re-import officer A's records with all but ``keep`` arrests corrected to
    counselling (the importer amends changed records)."""
    rows = sw.officer_rows("a", "a100", "399999100001", "A", sw.ARREST, keep)
    sw.import_rows(rows)


def test_flag_clears_when_no_longer_significant(w: World) -> None:
    _amend_officer_a_arrests(keep=2)
    seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    raised, cleared = services.evaluate_period(sw.fall(), COUNTED_TO)
    assert cleared == 1
    flag = Flag.objects.get(pk=w.flag_ew_a.pk)
    assert flag.status == FlagStatus.CLEARED and flag.decided_by_id is None
    assert "No longer significant" in flag.decision_reason
    assert AuditEvent.objects.filter(seq__gt=seq, action="clear_flag",
                                     object_id=str(flag.pk)).exists()
    result = EarlyWarningResult.objects.get(pk=w.ew_a.pk)
    assert (result.count, result.significant) == (2, False)
    assert AuditEvent.objects.filter(seq__gt=seq, action="recompute",
                                     object_id=str(result.pk)).exists()
    assert (w.officer_a.pk, "arrest") not in open_flags()
    assert raised == 2  # the two outliers left, refreshed


def test_a_decided_flag_is_not_reopened_by_the_next_refresh(w: World) -> None:
    flags.decide_flag(w.users["supervisor"], w.flag_ew_a, agree=False,
                      reason="Arrests were all on one fight with several students.")
    services.evaluate_period(sw.fall(), COUNTED_TO + datetime.timedelta(days=1))
    assert not Flag.objects.filter(kind=KIND, subject_id=str(w.ew_a.pk),
                                   status=FlagStatus.OPEN).exists()
    assert Flag.objects.get(pk=w.flag_ew_a.pk).status == FlagStatus.DISMISSED


def test_a_cleared_flag_is_raised_again_when_the_count_is_high_again(w: World) -> None:
    _amend_officer_a_arrests(keep=2)
    services.evaluate_period(sw.fall(), COUNTED_TO)
    _amend_officer_a_arrests(keep=20)
    services.evaluate_period(sw.fall(), COUNTED_TO)
    reopened = Flag.objects.get(kind=KIND, subject_id=str(w.ew_a.pk), status=FlagStatus.OPEN)
    assert reopened.pk != w.flag_ew_a.pk


def test_false_discovery_rate_comes_from_the_setting(w: World, settings: Any) -> None:
    settings.OPENSRO = {**settings.OPENSRO, "EARLY_WARNING_FDR": 1e-12}
    services.evaluate_period(sw.fall(), COUNTED_TO)
    assert set(EarlyWarningResult.objects.values_list("fdr", flat=True)) == {1e-12}
    assert open_flags() <= {(w.officer_a.pk, "arrest"), (w.peer_a.pk, "restraint"),
                            (w.officer_b.pk, "search")}
    assert len(open_flags()) < 3


def test_refresh_command_runs_the_early_warning(w: World) -> None:
    sw.import_rows([sw.row("a", "a100", "399999100001", "A-late", 30, **sw.ARREST)])
    out = io.StringIO()
    call_command("flags", "refresh", "--date", "2025-12-01", "--kind", KIND, stdout=out)
    assert "early_warning: 3 raised, 0 cleared" in out.getvalue()
    result = EarlyWarningResult.objects.get(pk=w.ew_a.pk)
    assert (result.count, result.counted_to) == (21, datetime.date(2025, 12, 1))
    assert Flag.objects.get(pk=w.flag_ew_a.pk).evidence["count"] == 21
    assert "early_warning" in flags.kinds() and flags.kinds()[KIND].refresh is not None


def test_a_refresh_that_finds_nothing_new_writes_nothing(w: World) -> None:
    seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    services.evaluate_period(sw.fall(), COUNTED_TO + datetime.timedelta(days=5))
    assert not AuditEvent.objects.filter(seq__gt=seq).exists()
    assert EarlyWarningResult.objects.get(pk=w.ew_a.pk).counted_to == COUNTED_TO


def test_between_school_years_the_last_half_is_kept_up_to_date(w: World) -> None:
    result = services.refresh_early_warning(datetime.date(2026, 7, 15))
    # Spring 2026 has no records: nothing raised for it; fall 2025 is not re-run.
    assert result.raised == 0
    spring = EarlyWarningResult.objects.filter(half="spring")
    assert spring.exists() and not spring.filter(significant=True).exists()


def test_detail_page_lists_the_incidents_the_viewer_may_read(w: World) -> None:
    for persona in ("sro", "supervisor"):
        client = Client()
        client.force_login(w.users[persona])
        page = client.get(f"/supervision/early-warning/{w.ew_a.pk}/").content.decode()
        assert len(re.findall(r'href="/incidents/\d+/"', page)) == 20
        assert "never a measure of merit" in page
    client = Client()
    client.force_login(w.users["sro"])
    assert client.get(f"/supervision/early-warning/{w.ew_peer_a.pk}/").status_code == 404
