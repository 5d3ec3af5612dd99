"""The service desk's pages: members declare and follow, the operator's staff handle."""
