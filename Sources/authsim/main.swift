print("authsim")
