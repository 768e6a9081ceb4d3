"""Pure domain logic of the customers service: validation, rules, permissions (no frameworks)."""
