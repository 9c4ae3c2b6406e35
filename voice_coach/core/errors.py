"""The one family of errors a person can act on.

Every problem voice-coach reports to the person (a script that does not load, a setting it
cannot use, a device that will not open, a model that is missing) is a `VoiceCoachError`. It
carries the exit code of the command that met it and the lines to print, one per problem, each
naming the place and the fix; `cli.main` prints them and exits with the code, so no traceback
reaches the person. Anything else that escapes is a bug.
"""

from __future__ import annotations

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class VoiceCoachError(Exception):
    exit_code = EXIT_BAD_INPUT
    """2: the input was wrong (fix it and try again); 1: something on this machine failed."""

    def lines(self) -> list[str]:
        """What the person reads: one line per problem."""
        return [f"voice-coach: {self.args[0] if self.args else self}"]


class MachineError(VoiceCoachError):
    """The input was fine but a part of this machine failed (a device, the speech engine, the network)."""

    exit_code = EXIT_FAILED
