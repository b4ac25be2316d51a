print("manager-dict: not yet")
