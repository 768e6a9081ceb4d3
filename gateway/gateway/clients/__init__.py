"""Typed facades over RPC: one per backing service, in the shape of its published contract."""
