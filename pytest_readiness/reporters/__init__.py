"""Report writers: each turns a :class:`~pytest_readiness.model.Verdict` into one format."""
