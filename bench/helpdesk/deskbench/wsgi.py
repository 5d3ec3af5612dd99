"""The WSGI application gunicorn serves (bench/helpdesk_server.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deskbench.settings")
application = get_wsgi_application()
