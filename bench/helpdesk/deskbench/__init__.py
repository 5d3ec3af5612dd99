"""The minimal Django project that serves django-helpdesk for the comparison of issue 8.

Bench code, run only by the helpdesk's own virtual environment (bench/helpdesk_env.py);
Mutualis never imports it.
"""
