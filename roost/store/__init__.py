"""Roost stage: store."""
