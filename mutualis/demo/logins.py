"""The demo's named accounts, printed at the end of `mutualis demo_data`.

Every demo user has the same password; these are the ones worth logging in as, one per
kind of home page. A test logs in with each through the real login form.
"""

from __future__ import annotations

DEMO_PASSWORD = "Mutualis-Demo-2026"  # noqa: S105 - a published demo password, not a secret

ADMIN = "admin@mutualis.example"
SUPERVISOR = "superviseur@mutualis.example"
DESK_AGENT = "support@mutualis.example"
TECHNICIAN = "technicien@mutualis.example"
VERSAILLES_AGENT = "agent@versailles.mutualis.example"
VERSAILLES_SCHOOLS = "ecoles@versailles.mutualis.example"
VERSAILLES_MAYOR = "maire@versailles.mutualis.example"
VERSAILLES_PRINCIPAL = "principal@college-versailles.mutualis.example"

# (role, in French as the demo speaks it; email)
DEMO_LOGINS: tuple[tuple[str, str], ...] = (
    ("Administrateur de l’opérateur", ADMIN),
    ("Superviseur", SUPERVISOR),
    ("Agent du service desk", DESK_AGENT),
    ("Technicien", TECHNICIAN),
    ("Agent de la commune de Versailles et de la CA Versailles Grand Parc", VERSAILLES_AGENT),
    ("Contact de trois écoles de Versailles", VERSAILLES_SCHOOLS),
    ("Maire de Versailles (lecture seule)", VERSAILLES_MAYOR),
    ("Principal d’un collège de Versailles", VERSAILLES_PRINCIPAL),
)
