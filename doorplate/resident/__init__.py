"""The public pages a resident reaches from the doorplate on their door."""
