print("r1: under construction")
