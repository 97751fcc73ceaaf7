// R1Models module.
