"""Workout scripts: reading and checking files, finding bundled and personal scripts."""
