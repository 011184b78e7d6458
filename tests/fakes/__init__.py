"""Local stand-ins for outside programs that speak those programs' real protocols."""
