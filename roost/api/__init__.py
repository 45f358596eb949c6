"""Roost stage: api."""
