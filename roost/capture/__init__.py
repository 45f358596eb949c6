"""Roost stage: capture."""
