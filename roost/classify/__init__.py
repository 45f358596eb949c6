"""Roost stage: classify."""
