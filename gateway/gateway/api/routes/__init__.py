"""Route modules of /api/v1; each stays thin: parse, check the role, call a client, shape the reply."""
