"""Keyed pseudonyms of district student IDs (architecture rule 4, R-D7).

The raw student ID is never stored. ``HMAC-SHA256(key, district NCES ID + ":" + ID)``
gives the same pseudonym for the same student in the same district, which is all
unduplicated counts need, and cannot be reversed without the key
(``OPENSRO_PSEUDONYM_KEY``). Changing the key breaks linkage with earlier records.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def pseudonymize(district_nces_id: str, student_id: str) -> str:
    student_id = student_id.strip()
    if not student_id:
        return ""
    key = settings.PSEUDONYM_KEY.encode()
    message = f"{district_nces_id}:{student_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
