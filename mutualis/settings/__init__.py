"""Settings split by environment: base (shared), dev (the embedded default), test, prod.

`MUTUALIS_ENV` picks one when `DJANGO_SETTINGS_MODULE` is not set (see `mutualis.cli`).
"""
