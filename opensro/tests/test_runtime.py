"""A server process settles before serving (opensro/runtime.py): the WSGI entry point
loads every view and freezes what exists, so the garbage collector's walks do not
pause requests (docs/performance.md, "Incident list benchmark")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import gc, json
before = gc.get_freeze_count()
import opensro.wsgi
from django.urls import get_resolver
resolver = get_resolver()
print(json.dumps({"before": before, "frozen": gc.get_freeze_count(),
                  "loaded": "url_patterns" in resolver.__dict__,
                  "callable": callable(opensro.wsgi.application)}))
"""


def test_the_wsgi_entry_point_loads_everything_and_freezes_it(tmp_path: Path) -> None:
    env = {**os.environ, "OPENSRO_VAR_DIR": str(tmp_path), "OPENSRO_LOG_LEVEL": "CRITICAL"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    probe = json.loads(out.strip().splitlines()[-1])
    assert probe["before"] == 0
    assert probe["loaded"] and probe["callable"]
    # Django, the statistics libraries and every app: hundreds of thousands of objects.
    assert probe["frozen"] > 100_000
