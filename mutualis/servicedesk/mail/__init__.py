"""Email for the service desk: notifications out (`outbound`), replies and requests in
(`inbound`), and the identity both share (`identity`): Message-IDs and reply addresses
tied to a ticket."""
