"""The pyttsx3 worker process: one JSON request per line in, one JSON answer per line out.

Kept apart from the main program because pyttsx3's run loop can hang or refuse a second run; the
parent kills and restarts this process when it does not answer in time.
    python -m voice_coach.speech.tts_worker VOICE RATE   (VOICE "-" for the default voice)
"""

from __future__ import annotations

import json
import os
import sys


def main() -> int:
    voice, rate = sys.argv[1], int(sys.argv[2])
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    sys.stdout = open(os.devnull, "w")  # pyttsx3 prints "Audio saved to …" for every file
    import pyttsx3

    engine = pyttsx3.init()
    if voice != "-":
        engine.setProperty("voice", voice)
    engine.setProperty("rate", rate)
    for line in sys.stdin:
        request = json.loads(line)
        try:
            engine.save_to_file(request["text"], request["path"])
            engine.runAndWait()
            answers.write(json.dumps({"ok": True}) + "\n")
        except Exception as err:  # reported to the parent, which decides
            answers.write(json.dumps({"ok": False, "error": f"{type(err).__name__}: {err}"}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
