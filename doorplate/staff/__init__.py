"""Staff accounts, roles and scopes, login, and the audit trail of what staff did."""
