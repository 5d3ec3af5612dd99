from django.urls import path

from .views import declare, desk, files, lists, mail, notifications, satisfaction, staff, ticket

app_name = "servicedesk"

# Tickets are named by their number (what people quote on the phone), unique per operator;
# the tenancy door resolves it within the operator or member the person acts for.
urlpatterns = [
    path("tickets/", lists.ticket_list, name="ticket-list"),
    path("tickets/new/", declare.declare, name="declare"),
    path("tickets/<int:number>/", ticket.ticket_detail, name="ticket-detail"),
    path("tickets/<int:number>/reply/", ticket.reply, name="ticket-reply"),
    path("tickets/<int:number>/cancel/", ticket.cancel, name="ticket-cancel"),
    path("tickets/<int:number>/reopen/", ticket.reopen, name="ticket-reopen"),
    path("tickets/<int:number>/files/<int:pk>/", files.download, name="ticket-file"),
    path("tickets/<int:number>/satisfaction/", satisfaction.rate_ticket, name="ticket-rate"),
    # The operator's handling: each a POST through one verb.
    path("tickets/<int:number>/take/", staff.take, name="ticket-take"),
    path("tickets/<int:number>/assign/", staff.assign, name="ticket-assign"),
    path("tickets/<int:number>/state/", staff.transition, name="ticket-transition"),
    path("tickets/<int:number>/priority/", staff.priority, name="ticket-priority"),
    path("tickets/<int:number>/reclassify/", staff.reclassify, name="ticket-reclassify"),
    path("tickets/<int:number>/team/", staff.route, name="ticket-route"),
    path("tickets/<int:number>/equipment/link/", staff.link_asset, name="ticket-link-asset"),
    path("tickets/<int:number>/equipment/unlink/", staff.unlink_asset, name="ticket-unlink-asset"),
    path("tickets/<int:number>/merge/", staff.merge, name="ticket-merge"),
    path("tickets/<int:number>/note/", staff.note, name="ticket-note"),
    path("desk/", desk.queue, name="desk"),
    path("desk/assign/", desk.bulk_assign, name="desk-bulk-assign"),
    path("desk/catalogue/", desk.catalogue_preview, name="desk-catalogue"),
    # Email in: the messages set aside for review (mail.inbound), and what staff do with them.
    path("desk/mail/", mail.mail_list, name="desk-mail"),
    path("desk/mail/<int:pk>/", mail.mail_detail, name="desk-mail-detail"),
    path("desk/mail/<int:pk>/raw/", mail.mail_raw, name="desk-mail-raw"),
    path("desk/mail/<int:pk>/attach/", mail.mail_attach, name="desk-mail-attach"),
    path("desk/mail/<int:pk>/open/", mail.mail_open, name="desk-mail-open"),
    path("desk/mail/<int:pk>/discard/", mail.mail_discard, name="desk-mail-discard"),
    path("desk/satisfaction/", satisfaction.results_page, name="desk-satisfaction"),
    # The survey of the "resolved" email: the signed link is the key, no login (satisfaction/links.py).
    path("satisfaction/<str:token>/", satisfaction.survey, name="satisfaction-survey"),
    path("satisfaction/<str:token>/thanks/", satisfaction.thanks, name="satisfaction-thanks"),
    # One's own email choices, with the account pages (mail/preferences.py).
    path("accounts/notifications/", notifications.preferences, name="notification-preferences"),
]
