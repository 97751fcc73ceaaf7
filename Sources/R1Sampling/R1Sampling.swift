// R1Sampling module.
