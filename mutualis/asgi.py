import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", f"mutualis.settings.{os.environ.get('MUTUALIS_ENV', 'prod')}")
application = get_asgi_application()
