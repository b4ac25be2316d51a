print("crash-recovery: not yet")
