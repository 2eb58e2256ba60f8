"""Hands-free use of the speech channel: the `make voice` loop (vad, devices, loop)."""
