"""A ticket's deadlines in words, for its page (templates/servicedesk/_service_level.html):
"Take charge before 24/11/2026 at 10:00 — 3 h of business time left", "clock stopped while
waiting for you", "missed by 2 h of business time". The words say it all; the styling
repeats them, never replaces them (RGAA 3.1)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from ..calendars import Schedule
from ..models import Target, Ticket, TicketState
from ..services.deadlines import clock_of

ZERO = dt.timedelta(0)


def duration_text(duration: dt.timedelta) -> str:
    """ "3 h", "1 h 30 min", "45 min" (business time is counted in hours, not days: a
    "day" would mean 7 hours at the office and 24 on a 24/7 calendar)."""
    minutes = max(0, round(duration.total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return _("%(minutes)d min") % {"minutes": minutes}
    if not minutes:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}


def _when(moment: dt.datetime) -> dict[str, str]:
    local = timezone.localtime(moment)
    return {
        "date": formats.date_format(local, "SHORT_DATE_FORMAT"),
        "time": formats.time_format(local, "H:i"),
    }


@dataclass
class DeadlineLine:
    target: str
    status: str  # running, near, missed, stopped, met, late: a CSS hook and a test handle
    status_text: str  # the same, in words
    text: str


def _line(
    ticket: Ticket, target: str, schedule: Schedule, region: str, now: dt.datetime, *, staff: bool
) -> DeadlineLine | None:
    due: dt.datetime | None = getattr(ticket, f"{target}_due")
    if due is None:
        return None
    taking = target == Target.TAKE_CHARGE
    done = ticket.first_response_at if taking else ticket.resolved_at
    if done is not None:
        when = _when(done)
        late = schedule.between(due, done, region)
        if late > ZERO:
            text = (
                _("Taken charge on %(date)s at %(time)s, %(late)s of business time after the deadline.")
                if taking
                else _("Resolved on %(date)s at %(time)s, %(late)s of business time after the deadline.")
            )
            return DeadlineLine(target, "late", _("Late"), text % {**when, "late": duration_text(late)})
        text = (
            _("Taken charge on %(date)s at %(time)s.") if taking else _("Resolved on %(date)s at %(time)s.")
        )
        return DeadlineLine(target, "met", _("On time"), text % when)
    if not ticket.is_open:
        return None
    if ticket.sla_paused_at is not None:
        left = schedule.between(ticket.sla_paused_at, due, region)
        if left > ZERO:
            if ticket.state == TicketState.WAITING_MEMBER:
                waiting = _("waiting for your reply") if not staff else _("waiting for the member")
            else:
                waiting = _("waiting for a third party")
            text = (
                _("Take charge: %(left)s of business time left; the clock is stopped while %(waiting)s.")
                if taking
                else _("Resolution: %(left)s of business time left; the clock is stopped while %(waiting)s.")
            )
            return DeadlineLine(
                target, "stopped", _("Stopped"), text % {"left": duration_text(left), "waiting": waiting}
            )
    when = _when(due)
    if now >= due:
        late = schedule.between(due, now, region)
        text = (
            _("Take charge was due on %(date)s at %(time)s: missed by %(late)s of business time.")
            if taking
            else _("Resolution was due on %(date)s at %(time)s: missed by %(late)s of business time.")
        )
        return DeadlineLine(target, "missed", _("Missed"), text % {**when, "late": duration_text(late)})
    left = schedule.between(now, due, region)
    text = (
        _("Take charge before %(date)s at %(time)s — %(left)s of business time left.")
        if taking
        else _("Resolve before %(date)s at %(time)s — %(left)s of business time left.")
    )
    warn = getattr(ticket, f"{target}_warn_at")
    near = warn is not None and now >= warn
    return DeadlineLine(
        target,
        "near" if near else "running",
        _("Soon due") if near else _("Running"),
        text % {**when, "left": duration_text(left)},
    )


def service_level(ticket: Ticket, *, staff: bool, now: dt.datetime | None = None) -> dict[str, Any]:
    """The template's context: the policy and one line per deadline (none without a
    policy, or for a cancelled ticket)."""
    if ticket.sla_policy_id is None or ticket.state == TicketState.CANCELLED:
        return {"service_level": None}
    clock = clock_of(ticket)
    if clock is None:
        return {"service_level": None}
    now = now or timezone.now()
    lines = [_line(ticket, target, clock.schedule, clock.region, now, staff=staff) for target in Target]
    return {
        "service_level": {
            "policy": clock.policy.name,
            "calendar": clock.policy.calendar.name,
            "lines": [line for line in lines if line is not None],
        }
    }


def _stamp_text(stamp: str) -> str:
    if not stamp:
        return _("none")
    try:
        moment = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return _("%(date)s at %(time)s") % _when(moment)


def deadline_text(old: str, new: str) -> str:
    """A DEADLINE event: both deadlines before and after ("take charge;resolve" ISO)."""
    parts = []
    olds, news = [*old.split(";"), ""][:2], [*new.split(";"), ""][:2]
    names = (_("take charge before"), _("resolve before"))
    for name, before, after in zip(names, olds, news, strict=True):
        if before != after:
            parts.append(
                _("%(deadline)s %(old)s → %(new)s")
                % {"deadline": name, "old": _stamp_text(before), "new": _stamp_text(after)}
            )
    return _("Deadlines changed: %(changes)s.") % {"changes": "; ".join(parts)}


def escalation_text(target: str, level: str) -> str:
    """An ESCALATED event: the team lead and supervisors were told."""
    if level == "breach":
        text = (
            _("Take-charge deadline missed: the team lead and supervisors are told.")
            if target == Target.TAKE_CHARGE
            else _("Resolution deadline missed: the team lead and supervisors are told.")
        )
    else:
        text = (
            _("Take-charge deadline near: the team lead and supervisors are told.")
            if target == Target.TAKE_CHARGE
            else _("Resolution deadline near: the team lead and supervisors are told.")
        )
    return text
