"""Text to speech: the coach's sentences rendered to audio (espeak-ng through pyttsx3, Piper)."""
