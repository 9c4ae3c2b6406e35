"""Wiring: a session put together from the layers, the appliance (serve, check, systemd), settings."""
