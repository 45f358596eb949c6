"""Roost stage: track."""
