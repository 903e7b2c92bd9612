"""Accounts: real-name sign-up, enterprise staff accounts, the login lockout, two-factor
login, sessions, passwords and their change, security headers, and FAB's security manager
and screens."""
