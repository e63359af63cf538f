"""Pure, I/O-free core shared by training and serving: normalisation, features, labels, risk index."""
