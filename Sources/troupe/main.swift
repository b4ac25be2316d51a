print("troupe: not yet")
