"""The territorial data hub: sensors' context entities, their history, the NGSI-LD API."""
