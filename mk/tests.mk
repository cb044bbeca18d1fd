# test targets are defined here (see tests/)
