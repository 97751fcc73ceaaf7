// R1Runtime module.
