"""nameko entrypoints of the sales service, one mixin per area (``service.SalesService`` joins
them): thin ``rpc(handler)`` lines, event handlers and timers."""
