"""Outsider cases of the login with ProConnect: no member data behind its addresses (the
login itself lands in the person's own scope: tests/people/test_proconnect_login.py)."""

from __future__ import annotations

NO_MEMBER_DATA = {
    "people:proconnect-start": "leaves for ProConnect; 404 unless configured",
    "people:proconnect-callback": "logs in the account ProConnect vouched for, in its own scope "
    "(tests/people/test_proconnect_login.py)",
    "people:proconnect-logged-out": "lands on the login page",
}
