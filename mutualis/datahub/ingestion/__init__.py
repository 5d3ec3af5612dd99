"""Observations arriving from sensors, over MQTT or HTTP, into the hub through its verbs.

Both transports hand messages to `receive.ingest_batch`, which parses them (`compact`),
writes every good reading with one batch verb of `mutualis.datahub.services` (the same
write path as the NGSI-LD API: history, subscriptions, registry links), and keeps every
rejected message in the dead-letter store with its reason; a message the write itself
fails on is isolated and kept there too (`write_failed`), never left to block the rest.
See docs/ingestion.md for the topic scheme and the broker's credentials per tenant.
"""
