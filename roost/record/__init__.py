"""Roost stage: record."""
