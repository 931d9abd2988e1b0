"""Side-by-side speed comparisons: clownpiece vs hand-written numpy vs PyTorch (optional)."""
