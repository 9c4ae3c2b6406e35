"""Sound out: tones, the mixer on the audio clock, the speaker stream, events turned into sounds."""
