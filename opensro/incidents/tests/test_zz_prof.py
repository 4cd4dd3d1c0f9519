import time, tracemalloc
from opensro.incidents.tests import test_import as ti
from opensro.incidents.tests.test_import import shared_world, w  # noqa
from opensro.incidents.imports import import_incidents

def test_prof(w, tmp_path):
    path = tmp_path / "big.csv"
    n = ti._big_file(path)
    t = time.time(); c0 = time.process_time()
    with path.open("rb") as h:
        r = import_incidents(h, None)
    print("plain", time.time() - t, time.process_time() - c0, r.created)
    from opensro.incidents.models import Incident, Involvement
    from opensro.core.models import AuditEvent
    AuditEvent.objects.filter(object_type="incidents.Incident").delete()
    Involvement.objects.all().delete(); Incident.objects.all().delete()
    t = time.time(); c0 = time.process_time()
    tracemalloc.start()
    with path.open("rb") as h:
        r = import_incidents(h, None)
    print("traced", time.time() - t, time.process_time() - c0, tracemalloc.get_traced_memory()[1] / 2**20)
    tracemalloc.stop()
