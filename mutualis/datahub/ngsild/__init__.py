"""NGSI-LD (ETSI GS CIM 009 v1.8) for the data hub.

The internal form
=================
Every module of the hub works on one representation of an entity, the *expanded
normalized* form: what the client sent, with every term expanded through its @context
once at the edge (`context.ActiveContext.expand_term`), and compacted again only when
answering (`render`). Nothing between the edge and the answer looks at a @context.

    {
        "id": "urn:ngsi-ld:Streetlight:0001",                       # a URI (5.2.2)
        "type": ["https://smartdatamodels.org/dataModel.Streetlighting/Streetlight"],
        "scope": ["/Versailles/Eclairage"],                         # optional (4.18)
        "createdAt": "2026-11-23T10:00:00.000Z",                    # system attributes
        "modifiedAt": "2026-11-23T10:05:00.000Z",
        "attrs": {
            "<expanded attribute IRI>": [instance, …],              # one per datasetId
        },
    }

An *instance* keeps the NGSI-LD core members unexpanded (they are keywords of the core
context) and expands the names of its sub-attributes:

    {"type": "Property", "value": 21.5, "observedAt": "2026-11-23T10:00:00.000Z",
     "unitCode": "CEL", "datasetId": "urn:ngsi-ld:Dataset:raw",
     "createdAt": "…", "modifiedAt": "…",
     "<expanded sub-attribute IRI>": {instance}}
    {"type": "Relationship", "object": "urn:ngsi-ld:Site:42"}       # or a list of URIs
    {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [2.13, 48.80]}}
    {"type": "LanguageProperty", "languageMap": {"fr": "…", "en": "…"}}
    {"type": "VocabProperty", "vocab": "<expanded IRI>"}
    {"type": "ListProperty", "valueList": […]}

The default instance of an attribute has no "datasetId"; at most one instance per
datasetId. Timestamps are UTC, formatted by `timestamps.format_instant`
("2026-11-23T10:00:00.000Z"). Property values are kept as given (no expansion inside).
"""
