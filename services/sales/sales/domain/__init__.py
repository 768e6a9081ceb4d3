"""Pure rules of the sales funnel (no framework imports)."""
