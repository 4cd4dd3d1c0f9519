"""WSGI entry point: ``gunicorn opensro.wsgi`` or any WSGI server."""

import os

from django.core.wsgi import get_wsgi_application

from opensro.runtime import settle

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opensro.settings")
application = get_wsgi_application()
# Each server process loads everything once and keeps it out of the garbage
# collector's walks (opensro/runtime.py).
settle()
