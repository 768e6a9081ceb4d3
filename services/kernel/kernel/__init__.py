"""Panorama shared kernel: the small set of things every service needs.

Modules that import nameko live in ``kernel.nameko_ext`` and ``kernel.entrypoints`` only, so
the gateway and the relay can use the rest without pulling eventlet in.
"""
