"""The spine: territory reference, operator, members, sites and assets (see DESIGN.md)."""

from .assets import Asset, AssetModel, AssetStatus, AssetStatusChange, AssetType
from .imports import ImportBatch, ImportKind, ImportMode, ImportStatus
from .members import Member, MemberKind, MemberService, Service
from .operator import Operator
from .sites import Site, SiteKind
from .territory import Commune, Departement, Epci

__all__ = [
    "Asset",
    "AssetModel",
    "AssetStatus",
    "AssetStatusChange",
    "AssetType",
    "Commune",
    "Departement",
    "Epci",
    "ImportBatch",
    "ImportKind",
    "ImportMode",
    "ImportStatus",
    "Member",
    "MemberKind",
    "MemberService",
    "Operator",
    "Service",
    "Site",
    "SiteKind",
]
