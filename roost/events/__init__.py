"""Roost stage: events."""
