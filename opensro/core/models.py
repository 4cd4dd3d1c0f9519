"""Core models: users, role grants, API tokens, the audit chain and the disclosure log.

Architecture rules 2 and 3 (``shared/design/architecture.md``); requirements R-D7, R-D8.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opensro.core.choices import ROLE_SCOPES, Role, ScopeKind


class ScopedModel(models.Model):
    """Base for every model whose rows belong to a scope.

    ``scope_paths`` maps a scope kind (agency, district, school, officer) to the
    lookup path from this model to the scoping object's primary key. A kind that is
    absent means the model is not visible through grants of that kind.
    ``opensro.core.permissions.restrict`` is the only place these are used.
    """

    scope_paths: ClassVar[dict[str, str]] = {}
    #: Fields left out of audit snapshots (secrets, derived values).
    audit_exclude: ClassVar[tuple[str, ...]] = ()

    created_at = models.DateTimeField(auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True, editable=False)

    class Meta:
        abstract = True


class User(AbstractUser):
    """A person who signs in. What they may see comes only from their role grants."""

    audit_exclude: ClassVar[tuple[str, ...]] = ("password", "last_login")

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class RoleGrant(models.Model):
    """A role granted to a user over one scope: an agency, a district, a school, or all."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grants")
    role = models.CharField(max_length=32, choices=Role.choices)
    scope_kind = models.CharField(max_length=16, choices=ScopeKind.choices)
    agency = models.ForeignKey(
        "directory.Agency", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    district = models.ForeignKey(
        "directory.District", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    school = models.ForeignKey(
        "directory.School", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    can_view_student_identity = models.BooleanField(
        default=False,
        help_text=_("Allows reading student pseudonyms and identifying details (FERPA)."),
    )
    granted_at = models.DateTimeField(default=timezone.now)

    scope_paths: ClassVar[dict[str, str]] = {}

    class Meta:
        ordering = ["user_id", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "scope_kind", "agency", "district", "school"],
                name="rolegrant_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} — {self.scope_label}"

    @property
    def scope_label(self) -> str:
        target = self.agency or self.district or self.school
        return str(target) if target else str(ScopeKind(self.scope_kind).label)

    def clean(self) -> None:
        allowed = ROLE_SCOPES[Role(self.role)]
        if self.scope_kind not in allowed:
            raise ValidationError(
                {"scope_kind": _("A %(role)s is granted over: %(kinds)s.") % {
                    "role": Role(self.role).label,
                    "kinds": ", ".join(str(ScopeKind(k).label) for k in allowed),
                }}
            )
        targets = {
            ScopeKind.AGENCY: self.agency_id,
            ScopeKind.DISTRICT: self.district_id,
            ScopeKind.SCHOOL: self.school_id,
        }
        for kind, value in targets.items():
            if kind == self.scope_kind and value is None:
                raise ValidationError(
                    {kind.value: _("Choose the %(kind)s.") % {"kind": kind.label}}
                )
            if kind != self.scope_kind and value is not None:
                raise ValidationError(
                    {kind.value: _("Only the scope's own object may be set.")}
                )


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal API token for an integration. Only its SHA-256 hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    audit_exclude: ClassVar[tuple[str, ...]] = ("key_hash", "last_used_at")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def new_key() -> str:
        return "osro_" + secrets.token_urlsafe(32)

    @staticmethod
    def hash_key(raw: str) -> str:
        return _hash_token(raw)

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class AuditEvent(models.Model):
    """One write, hash-chained to the one before it (architecture rule 2).

    ``hash`` = SHA-256 over the canonical JSON of this event's fields and the
    previous event's hash; ``opensro audit verify`` recomputes the chain.
    """

    seq = models.BigIntegerField(unique=True)
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(max_length=150)
    request_id = models.CharField(max_length=64, blank=True)
    # Indexes (Meta) are only those the audit pages and verify read: every import
    # writes one event per record and pays for each index (decision 0006).
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=255)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id", "seq"], name="audit_object"),
                   models.Index(fields=["object_id"], name="audit_object_id")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def payload(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "occurred_at": self.occurred_at.isoformat(),
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "request_id": self.request_id,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "before": self.before,
            "after": self.after,
            "reason": self.reason,
            "prev_hash": self.prev_hash,
        }


class AuditHead(models.Model):
    """The chain's single head row: last sequence number and hash, locked by each writer."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit head #{self.seq}"


class Disclosure(models.Model):
    """A read of student-identifying data (FERPA record of disclosure, R-D7)."""

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    user_label = models.CharField(max_length=150)
    request_id = models.CharField(max_length=64, blank=True)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    fields = models.JSONField(default=list)
    purpose = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=16, default="web")

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="disclosure_object")]

    def __str__(self) -> str:
        return f"{self.user_label} read {self.object_type}:{self.object_id}"


class FlagStatus(models.TextChoices):
    OPEN = "open", _("Open")
    AGREED = "agreed", _("Agreed; action recorded")
    DISMISSED = "dismissed", _("Dismissed with reason")
    CLEARED = "cleared", _("Cleared (condition no longer holds)")


class Flag(models.Model):
    """One review item for the whole product: a rule found something a person must
    decide on (a discipline-involvement case, an overdue review, an outlier rate…).

    ``kind`` is a stable code defined by the app that raises it; ``subject_type`` and
    ``subject_id`` name the record it is about; ``evidence`` holds what the rule saw.
    Flags are never public (R-F1); the agency, district, school and officer fields
    scope who may see and decide them.
    """

    kind = models.CharField(max_length=64, db_index=True)
    subject_type = models.CharField(max_length=100)
    subject_id = models.CharField(max_length=64)
    title = models.CharField(max_length=255)
    evidence = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=FlagStatus.choices,
                              default=FlagStatus.OPEN, db_index=True)
    agency = models.ForeignKey("directory.Agency", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey("directory.District", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    school = models.ForeignKey("directory.School", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    officer = models.ForeignKey("directory.Officer", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decision_reason = models.TextField(blank=True)
    action_taken = models.CharField(max_length=200, blank=True)

    scope_paths: ClassVar[dict[str, str]] = {
        "agency": "agency",
        "district": "district",
        "school": "school",
        "officer": "officer",
    }
    role_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "view": (Role.SRO, Role.SUPERVISOR, Role.AGENCY_ADMIN, Role.DISTRICT_ADMIN,
                 Role.SCHOOL_ADMIN, Role.AUDITOR, Role.SYSTEM_ADMIN),
        "change": (Role.SUPERVISOR, Role.AGENCY_ADMIN, Role.DISTRICT_ADMIN, Role.SYSTEM_ADMIN),
    }

    class Meta:
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="flag_subject")]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_type", "subject_id"],
                condition=models.Q(status="open"),
                name="flag_one_open_per_subject",
            )
        ]

    def __str__(self) -> str:
        return self.title
