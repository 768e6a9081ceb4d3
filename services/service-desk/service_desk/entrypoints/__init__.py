"""Thin nameko entrypoints, one mixin per area, joined in ``service_desk.service``."""
