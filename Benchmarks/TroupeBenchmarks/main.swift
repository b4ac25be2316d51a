print("troupe-bench: not yet")
