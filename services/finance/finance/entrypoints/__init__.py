"""Thin nameko entrypoints, one mixin per area, joined in ``finance.service``."""
