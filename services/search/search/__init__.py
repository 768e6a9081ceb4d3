"""Panorama global search: the Elasticsearch read model, its bulk indexer and the query RPC.

Importing the package pulls in neither nameko nor pika: ``search.service`` and ``search.__main__``
are the only nameko modules, ``search.consumer`` the only pika one.
"""
