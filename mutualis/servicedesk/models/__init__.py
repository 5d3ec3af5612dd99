"""The service desk: catalogue of incident types per kind of site, tickets and their life."""

from .calendars import BusinessCalendar, Closure, OpeningRange, Weekday
from .catalogue import CatalogueOverride, Category, FormField, FormFieldKind, IncidentType, Priority
from .inbound import InboundEmail, InboundReason, InboundSource, InboundStatus
from .notifications import (
    DeliveryAction,
    EmailTemplate,
    NotificationEvent,
    NotificationPreference,
    OutboundEmail,
    OutboundState,
)
from .reply_templates import ReplyTemplate
from .satisfaction import Rating, RatingChannel, SatisfactionRating
from .service_levels import (
    AlertLevel,
    CategoryServiceLevel,
    EscalationAction,
    EscalationRule,
    ServiceContract,
    ServiceLevelRevision,
    SlaBreach,
    SlaPolicy,
    SlaTarget,
    Target,
)
from .settings import DeskSettings
from .teams import Team
from .tickets import (
    ATTACHMENT_TRANSITIONS,
    Attachment,
    AttachmentFailure,
    AttachmentState,
    Comment,
    Ticket,
    TicketChannel,
    TicketCounter,
    TicketEvent,
    TicketEventKind,
    TicketState,
)

__all__ = [
    "ATTACHMENT_TRANSITIONS",
    "AlertLevel",
    "Attachment",
    "AttachmentFailure",
    "AttachmentState",
    "BusinessCalendar",
    "CatalogueOverride",
    "Category",
    "CategoryServiceLevel",
    "Closure",
    "Comment",
    "DeliveryAction",
    "DeskSettings",
    "EmailTemplate",
    "EscalationAction",
    "EscalationRule",
    "FormField",
    "FormFieldKind",
    "InboundEmail",
    "InboundReason",
    "InboundSource",
    "InboundStatus",
    "IncidentType",
    "NotificationEvent",
    "NotificationPreference",
    "OpeningRange",
    "OutboundEmail",
    "OutboundState",
    "Priority",
    "Rating",
    "RatingChannel",
    "ReplyTemplate",
    "SatisfactionRating",
    "ServiceContract",
    "ServiceLevelRevision",
    "SlaBreach",
    "SlaPolicy",
    "SlaTarget",
    "Target",
    "Team",
    "Ticket",
    "TicketChannel",
    "TicketCounter",
    "TicketEvent",
    "TicketEventKind",
    "TicketState",
    "Weekday",
]
