"""Personal API tokens: created and revoked through the audited write path."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from opensro.core import audit
from opensro.core.models import ApiToken, User


def create_token(user: User, name: str, *, days: int = 90) -> tuple[ApiToken, str]:
    """Create a token; the raw key is returned once and only its hash is kept."""
    raw = ApiToken.new_key()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name.strip(), prefix=raw[:12], key_hash=ApiToken.hash_key(raw),
            expires_at=timezone.now() + datetime.timedelta(days=days),
        )
        audit.record(user, "create_token", token, after=audit.snapshot(token))
    return token, raw


def revoke_token(actor: User, token: ApiToken) -> ApiToken:
    with transaction.atomic():
        before = audit.snapshot(token)
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor, "revoke_token", token, before=before, after=audit.snapshot(token))
    return token


def authenticate(raw: str) -> User | None:
    """The active user owning a usable token, or None."""
    if not raw or not raw.startswith("osro_"):
        return None
    token = ApiToken.objects.select_related("user").filter(
        key_hash=ApiToken.hash_key(raw)).first()
    if token is None or not token.is_usable or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
