"""Benchmark: the public portal under load, against a static file on the same server.

    python bench/portal.py                   # build a demo county in a scratch database
    python bench/portal.py --var-dir DIR     # reuse a database already built and published
    python bench/portal.py --duration 30 --connections 50 --workers 4 --threads 1

1. Data: the demo county (directory, ~40,000 student involvements over three school
   years, agreements) in a scratch SQLite database under bench/out/ (or
   OPENSRO_DATABASE_URL), and its releases (``opensro publish`` for every year).
2. Server: gunicorn (pinned in pyproject.toml) on 127.0.0.1, ``--workers`` processes
   of the gthread worker with ``--threads`` threads, production-like settings (no
   debug) plus a ``portal`` cache alias (see below).
3. Load: ``wrk`` (Debian's package; it reports latency percentiles with --latency and
   keeps 50 connections busy from one process, which a Python client on this 2-core
   machine could not do without becoming the bottleneck) with ``--connections``
   concurrent clients on loopback, over a mix of portal URLs: home, program, district
   and school pages (with year and figure choices), the pages about SROs and open data,
   the dictionary, and CSV and JSON downloads; half of the requests ask for Spanish.
   The page cache (a file-based Django cache shared by the workers, as
   docs/transparency.md recommends for production) is warmed first by rendering
   every page once per language, then a short unmeasured run warms the workers.
4. Baseline, same run, same server: a static file (site.css) served by WhiteNoise
   through the same gunicorn workers and WSGI stack.

Prints p50, p99 and requests per second of both, and the portal/baseline ratios.
Target: portal p99 < 100 ms on the 2-core reference machine.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, scratch_dir, setup_django

LUA = """
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  local path = paths[(i %% #paths) + 1]
  local headers = {}
  if i %% 2 == 0 then headers["Cookie"] = "django_language=es" end
  return wrk.format("GET", path, headers)
end
"""


def build(var_dir: str) -> None:
    """The demo county's data that the portal publishes, and every year's release."""
    setup_django(var_dir)
    from django.db import transaction

    from opensro.core.context import request_context
    from opensro.demo import SEED, DemoContext, is_built, parts

    if is_built():
        return
    ctx = DemoContext(rng=random.Random(SEED))
    with request_context():
        for name, part in parts():
            if name in ("directory", "incidents", "program", "transparency"):
                started = time.perf_counter()
                with transaction.atomic():
                    part(ctx)
                print(f"  built {name} in {time.perf_counter() - started:.1f} s", flush=True)


def portal_paths() -> list[str]:
    from opensro.transparency.models import Publication

    pubs = list(Publication.objects.select_related("school_year").only(
        "scope_kind", "scope_id", "school_year__code").order_by("id"))
    years = sorted({p.school_year.code for p in pubs})
    paths = ["/public/", "/public/about-sros/", "/public/data/", "/public/data/dictionary/",
             "/public/data/dictionary.json"]
    paths += [f"/public/?year={y}" for y in years]
    seen = set()
    for pub in pubs:
        key = (pub.scope_kind, pub.scope_id, pub.school_year.code)
        if key in seen:
            continue
        seen.add(key)
        base = f"/public/{pub.scope_kind}/{pub.scope_id}/?year={pub.school_year.code}"
        paths.append(base)
        if pub.scope_kind != "school":
            paths.append(base + "&measure=search")
            # The charts a browser fetches with the page.
            query = f"?year={pub.school_year.code}&measure=arrest"
            paths.append(f"/public/{pub.scope_kind}/{pub.scope_id}/trend.svg{query}")
        paths.append(f"/public/data/{pub.scope_kind}/{pub.scope_id}/{pub.school_year.code}.csv")
    return paths


SETTINGS = """
from opensro.settings import *  # noqa: F403

# The pages' cache, shared by the server's processes (docs/transparency.md).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "portal": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
               "LOCATION": %r, "TIMEOUT": 86400, "OPTIONS": {"MAX_ENTRIES": 100000}},
}
"""


def settings_module(var_dir: str) -> str:
    """A settings module for the server: the project's, plus a shared page cache."""
    folder = Path(var_dir) / "bench_settings"
    folder.mkdir(exist_ok=True)
    (folder / "portal_bench_settings.py").write_text(
        SETTINGS % str(Path(var_dir) / "portal-cache"))
    return str(folder)


def warm(base: str, paths: list[str]) -> None:
    """Render every page once per language (the cache is shared by the workers)."""
    for path in paths:
        for language in ("en", "es"):
            request = urllib.request.Request(  # noqa: S310 - loopback http only
                base + path, headers={"Cookie": f"django_language={language}"})
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                response.read()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server did not answer {url} in {timeout} s")


def run_wrk(url: str, script: str | None, duration: int, connections: int) -> dict[str, float]:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not match:
            raise SystemExit(f"unexpected wrk output:\n{out}")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"p50": ms("50"), "p90": ms("90"), "p99": ms("99"), "rps": rps,
            "non2xx": float(errors.group(1)) if errors else 0.0,
            "socket_errors": 1.0 if socket_errors else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--var-dir", help="use (or build) the database in this directory")
    parser.add_argument("--duration", type=int, default=20, help="seconds per measured run")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    var_dir = args.var_dir or scratch_dir()
    print(f"database: {os.environ.get('OPENSRO_DATABASE_URL') or var_dir}", flush=True)
    build(var_dir)
    paths = portal_paths()
    print(f"portal mix: {len(paths)} URLs", flush=True)
    port = free_port()
    settings_dir = settings_module(var_dir)
    env = {**os.environ, "OPENSRO_VAR_DIR": var_dir, "OPENSRO_DEBUG": "0",
           "DJANGO_SETTINGS_MODULE": "portal_bench_settings",
           "PYTHONPATH": os.pathsep.join([settings_dir, str(ROOT),
                                          os.environ.get("PYTHONPATH", "")])}
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    server = subprocess.Popen(
        [gunicorn, "opensro.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.workers), "--worker-class", "gthread",
         "--threads", str(args.threads), "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/public/")
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
            lua.write(LUA % ", ".join(f'"{p}"' for p in paths))
        started = time.perf_counter()
        warm(base, paths)
        print(f"rendered {2 * len(paths)} pages and files once (cache warm-up) in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        # Warm the workers themselves (imports, connections); not measured.
        run_wrk(base, lua.name, 5, args.connections)
        run_wrk(base + "/static/opensro/site.css", None, 3, args.connections)
        portal = run_wrk(base, lua.name, args.duration, args.connections)
        static = run_wrk(base + "/static/opensro/site.css", None, args.duration,
                         args.connections)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    print(f"\nload: wrk, {args.connections} connections, {args.duration} s each; gunicorn "
          f"{args.workers} gthread workers × {args.threads} threads on 127.0.0.1; "
          f"{os.cpu_count()} CPUs")
    print(f"{'':18}{'p50 ms':>10}{'p90 ms':>10}{'p99 ms':>10}{'req/s':>10}{'non-2xx':>9}")
    for label, r in (("portal (mix)", portal), ("baseline (static)", static)):
        print(f"{label:18}{r['p50']:>10.2f}{r['p90']:>10.2f}{r['p99']:>10.2f}"
              f"{r['rps']:>10.0f}{int(r['non2xx']):>9}")
    print(f"ratio portal/baseline: p50 {portal['p50'] / static['p50']:.2f}×, "
          f"p99 {portal['p99'] / static['p99']:.2f}×, "
          f"throughput {portal['rps'] / static['rps']:.2f}×")
    verdict = "meets" if portal["p99"] < 100 else "MISSES"
    print(f"target p99 < 100 ms: {verdict} ({portal['p99']:.1f} ms)")
    if portal["non2xx"] or static["non2xx"]:
        raise SystemExit("some requests failed (non-2xx answers)")


if __name__ == "__main__":
    main()
