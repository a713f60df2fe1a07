"""Operations: the human side of a launch."""

import pytest


@pytest.mark.critical(
    id="OPS-1",
    section="Operations",
    manual=True,
    title="An on-call rotation covers the launch window",
    remediation="staff the rotation, then add an attestation to readiness.yaml",
)
def test_oncall_rotation():
    """A human item: met only by a valid attestation in the profile."""
