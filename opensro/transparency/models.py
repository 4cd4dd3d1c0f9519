"""Published snapshots of the public figures (R-E3, architecture rule 5).

A :class:`PublicationRun` is one release: every scope published at that moment for one
school year, built from the live counts and protected together. Each scope's tables are
a :class:`Publication`. Both are immutable once written: the portal and the open-data
files read only these rows, never the live records, so a page always shows exactly what
was released, and a later release is a new row.

The run also keeps a *ledger*: the true value of every cell it considered and the
relations between them. It is never shown (it holds the small counts that were hidden);
the next release of the same year reads it to know what was released before, so that
no hidden figure can be recovered by combining releases (docs/transparency.md).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, ClassVar

from django.conf import settings
from django.db import models

from opensro.core.choices import Role
from opensro.core.permissions import EVERY_ROLE, GLOBAL

R = Role


def digest(payload: Any) -> str:
    """SHA-256 of the canonical JSON of ``payload`` (sorted keys, no spaces)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


class ImmutableError(Exception):
    """A publication, once released, is never changed or deleted."""


class _Immutable(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableError(f"{self._meta.verbose_name} {self.pk} was released and "
                                 "cannot be changed; publish again instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableError(f"{self._meta.verbose_name} {self.pk} was released and "
                             "cannot be deleted.")


class PublicationRun(_Immutable):
    """One release of a school year's public figures (``opensro publish``)."""

    school_year = models.ForeignKey("directory.SchoolYear", on_delete=models.PROTECT,
                                    related_name="+")
    published_at = models.DateTimeField(db_index=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    published_by_label = models.CharField(max_length=150)
    min_cell_size = models.PositiveSmallIntegerField()
    #: The scopes released, e.g. ["district:3", "school:7"].
    scopes = models.JSONField(default=list)
    #: Counts of cells, hidden cells, LP rounds and solves (shown to administrators).
    summary = models.JSONField(default=dict)
    #: Never shown: true values, relations and which keys were released and hidden.
    ledger = models.JSONField(default=dict)

    scope_paths: ClassVar[dict[str, str]] = {GLOBAL: ""}
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": (R.SYSTEM_ADMIN, R.AUDITOR),
        "add": (R.SYSTEM_ADMIN,),
    }

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = "publication run"

    def __str__(self) -> str:
        return f"Release {self.pk} of {self.school_year_id and self.school_year} " \
               f"({self.published_at:%Y-%m-%d %H:%M})"


class Publication(_Immutable):
    """The public tables of one scope (agency program, district or school) in one
    school year, as released by one run."""

    run = models.ForeignKey(PublicationRun, on_delete=models.PROTECT,
                            related_name="publications")
    school_year = models.ForeignKey("directory.SchoolYear", on_delete=models.PROTECT,
                                    related_name="+")
    scope_kind = models.CharField(max_length=16)  # agency, district, school
    scope_id = models.PositiveIntegerField()
    scope_name = models.CharField(max_length=200)
    published_at = models.DateTimeField()
    min_cell_size = models.PositiveSmallIntegerField()
    #: One record per published cell (the open-data rows; docs/open-data.md).
    cells = models.JSONField(default=list)
    #: Schools covered, districts, MOUs in force, feedback contacts, suppression counts.
    info = models.JSONField(default=dict)
    #: SHA-256 of cells and info; recorded in the audit event of the publication.
    digest = models.CharField(max_length=64)

    scope_paths: ClassVar[dict[str, str]] = {GLOBAL: ""}
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": EVERY_ROLE,
        "add": (R.SYSTEM_ADMIN,),
    }

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["school_year", "scope_kind", "scope_id"],
                                name="publication_scope")]

    def __str__(self) -> str:
        return f"{self.scope_name} {self.school_year_id and self.school_year} " \
               f"(published {self.published_at:%Y-%m-%d})"

    @property
    def scope(self) -> str:
        return f"{self.scope_kind}:{self.scope_id}"

    def content_digest(self) -> str:
        """Digest of what the publication says (its date aside), so that two releases
        with the same figures have the same digest."""
        info = {k: v for k, v in self.info.items() if k != "published_at"}
        return digest({"cells": self.cells, "info": info})
