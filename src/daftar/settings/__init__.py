"""Settings are split by environment: base (shared), dev, test, prod.

Every value that differs between machines is read from an environment variable.
"""
