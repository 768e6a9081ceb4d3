"""Identity: users, teams, roles, passwords, tokens - the gateway owns them (DESIGN.md §5)."""
