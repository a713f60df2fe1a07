"""Built-in checks of pytest-readiness, one module per domain (see docs/checks.md).

The plugin imports this folder as the package ``pytest_readiness.checks`` (installed wheel and
source tree alike), so a domain's private helpers are imported relatively: ``from ._k8s import``.
"""
