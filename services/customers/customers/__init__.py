"""The customers service: accounts, contacts, follow-ups, tasks, ownership.

Importing this package imports neither nameko nor SQLAlchemy (the gateway reads contracts).
"""
