"""Roost stage: detect."""
