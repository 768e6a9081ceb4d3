"""Use cases of the sales service, one module per area: ``handler(unit, *args)``."""
