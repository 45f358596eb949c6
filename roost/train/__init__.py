"""Roost stage: train."""
