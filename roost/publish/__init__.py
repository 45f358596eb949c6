"""Roost stage: publish."""
