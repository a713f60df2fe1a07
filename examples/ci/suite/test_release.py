"""The release checks the CI recipes run: ordinary pytest tests with severity markers."""

from typing import Any

import pytest

pytestmark = pytest.mark.important(section="Workloads")


@pytest.mark.critical(id="REL-REPLICAS", remediation="run at least two replicas")
def test_deployments_have_replicas(k8s_api: Any, readiness: Any, evidence: Any) -> None:
    """Every Deployment runs enough replicas to survive losing a node."""
    minimum = readiness.threshold("min_replicas")
    for deployment in k8s_api.deployments():
        name = deployment["metadata"]["name"]
        replicas = deployment["spec"].get("replicas", 1)
        evidence(name, replicas, expected=f">= {minimum}")
        assert replicas >= minimum, f"{name} runs {replicas} replica(s)"


@pytest.mark.important(id="REL-MEMORY-LIMIT", remediation="set resources.limits.memory")
def test_containers_have_memory_limits(k8s_api: Any, evidence: Any) -> None:
    """Every container has a memory limit."""
    missing = [
        container["name"]
        for deployment in k8s_api.deployments()
        for container in deployment["spec"]["template"]["spec"]["containers"]
        if "memory" not in container.get("resources", {}).get("limits", {})
    ]
    evidence(observed=missing, expected="[]")
    assert not missing, f"containers without a memory limit: {missing}"
