import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", f"mutualis.settings.{os.environ.get('MUTUALIS_ENV', 'prod')}")
application = get_wsgi_application()
