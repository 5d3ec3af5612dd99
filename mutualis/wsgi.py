import gc
import os

from mutualis.lib.request_charset import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", f"mutualis.settings.{os.environ.get('MUTUALIS_ENV', 'prod')}")
application = get_wsgi_application()
# Everything loaded at start (Django, the apps, the URL map) lives as long as the process:
# moved out of the collector's sight, it is no longer walked at every full collection. A
# 1,000-entity NGSI-LD batch spent ~70 of its 260 ms of CPU in such walks (docs/benchmarks-history.md).
gc.freeze()
