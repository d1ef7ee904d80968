"""Gateway adapters: what each payment gateway signs, sends and answers."""
