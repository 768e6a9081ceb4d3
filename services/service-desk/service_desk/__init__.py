"""Panorama service desk: tickets with SLA, complaints, satisfaction surveys, care visits (回访)."""
