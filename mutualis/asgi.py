import os

from mutualis.lib.request_charset import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", f"mutualis.settings.{os.environ.get('MUTUALIS_ENV', 'prod')}")
application = get_asgi_application()
