"""Panorama global search: the Elasticsearch read model, its bulk indexer and the query RPC.

Importing the package pulls in neither nameko nor pika: ``search.service`` is the only nameko
module (``python -m kernel.run search`` runs it), ``search.consumer`` the only pika one.
"""
