"""Settings for the test suite: same apps and middleware as production, faster hashing."""

from .base import *  # noqa: F403
from .base import REST_FRAMEWORK

SECRET_KEY = "test-only-not-secret-mutualis"  # noqa: S105 - test settings only
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
# Tests create many users; the production hasher would dominate the run time.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
REST_FRAMEWORK = {**REST_FRAMEWORK, "TEST_REQUEST_DEFAULT_FORMAT": "json"}
# Serve static files straight from the apps (no collectstatic step outside production).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Notification tests deliver to receivers on 127.0.0.1: allowed here, refused by default
# (tests/datahub/test_egress.py overrides this to test the refusals).
DATAHUB_NOTIFICATION_ALLOWED_HOSTS = ["127.0.0.1"]
