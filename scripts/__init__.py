"""The bundled workout scripts (YAML). This file only makes them ship inside the installed package."""
