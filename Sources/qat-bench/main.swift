print("qat-bench")
