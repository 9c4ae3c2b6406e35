"""The pure core: the script format, plans, timelines, the engine, phrase tables. No devices, no clock."""
