from .contexts import StoredContext
from .entities import Attribute, Entity
from .history import AttributeInstance
from .subscriptions import Subscription
from .tenants import Tenant

__all__ = ["Attribute", "AttributeInstance", "Entity", "StoredContext", "Subscription", "Tenant"]
