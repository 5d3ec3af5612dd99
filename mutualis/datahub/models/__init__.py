from .alerts import AlertRule, AlertState, DeletedSensorTicket
from .contexts import StoredContext
from .entities import Attribute, Entity
from .history import AttributeInstance
from .ingestion import DeadLetter, IngestionSource
from .subscriptions import Subscription
from .tenants import Tenant

__all__ = [
    "AlertRule",
    "AlertState",
    "Attribute",
    "AttributeInstance",
    "DeadLetter",
    "DeletedSensorTicket",
    "Entity",
    "IngestionSource",
    "StoredContext",
    "Subscription",
    "Tenant",
]
