"""The console adapter: the terminal chat and console channels."""
