"""The training log: sets saved as they end, sessions resumed, history shown."""
