"""Roost stage: config."""
