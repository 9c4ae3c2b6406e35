"""The workout's state machine: a clock and commands in, events out."""
