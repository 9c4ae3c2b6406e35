"""voice-coach: an offline, hands-free workout runner that speaks cues and listens for commands."""

__version__ = "0.1.0"
