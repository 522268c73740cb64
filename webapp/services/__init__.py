"""Use cases: each validates, writes its rows in one transaction and returns a result."""
