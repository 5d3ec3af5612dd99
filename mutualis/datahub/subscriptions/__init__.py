"""NGSI-LD subscriptions (ETSI GS CIM 009 v1.8, 5.8) and their notifications (5.3.1).

- `definitions`: a subscription request checked and expanded (5.2.12, 5.2.14);
- `services`: the verbs (create, update, delete) and the one door to a tenant's subscriptions;
- `notify`: `entities_changed`, called by the entity verbs inside their transaction;
- `matching`: whether a change concerns a subscription;
- `payloads`: the Notification and its wire format;
- `delivery`: the `datahub.notify` job that POSTs it, and the hourly expiry sweep.
"""
