"""`python -m voice_coach` runs the same command line as `voice-coach`."""

import sys

from .cli import main

sys.exit(main())
