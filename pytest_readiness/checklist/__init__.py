"""Markdown checklists as readiness suites: parse, identify, collect, link, write back.

A checklist file given on the command line (or matched by the ``readiness_checklists`` ini
globs) becomes a pytest File whose items are its task-list items and status-table rows; each
item carries a severity marker, so the policy and reports treat it like any readiness check.
See docs/checklists.md.
"""
