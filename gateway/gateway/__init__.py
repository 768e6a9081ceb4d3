"""Panorama gateway: REST API, web UI, authentication; a nameko RPC client of the services."""
