"""Speech in: grammar, voice detection, Vosk, models, echo cancelling, the microphone."""
