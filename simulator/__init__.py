"""The simulated house: thermal model, device surfaces speaking the real protocols, and the benchmark."""
