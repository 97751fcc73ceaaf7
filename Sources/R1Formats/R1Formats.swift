// R1Formats module.
