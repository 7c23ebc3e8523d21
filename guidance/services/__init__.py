"""Use cases, one transaction each. They take plain arguments and return results."""
