"""Roost stage: motion."""
