# test rules come later
