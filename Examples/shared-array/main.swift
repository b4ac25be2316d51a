print("shared-array: not yet")
