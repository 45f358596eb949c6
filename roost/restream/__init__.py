"""Restream: one streaming-server child (RTSP on 8554) fed by one connection per camera,
so Home Assistant, the browser player and Roost's own inputs watch without more camera
clients. See DESIGN.md "Restream"."""
