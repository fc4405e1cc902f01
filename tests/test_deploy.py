"""The deployment manifests parse, probe /healthz on the port the image serves, and (where
the kubernetes-validate package is installed) match the Kubernetes API schemas."""

from __future__ import annotations

import pathlib
import re

import pytest

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "deploy" / "kubernetes.yaml"


def documents():
    return [doc for doc in yaml.safe_load_all(MANIFEST.read_text()) if doc]


def test_manifest_kinds():
    kinds = sorted(doc["kind"] for doc in documents())
    assert kinds == ["Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Service"]


def test_probes_and_port_match_the_image():
    dockerfile = (ROOT / "Dockerfile").read_text()
    exposed = int(re.search(r"^EXPOSE (\d+)", dockerfile, re.MULTILINE).group(1))
    user = int(re.search(r"^USER (\d+)", dockerfile, re.MULTILINE).group(1))
    deployment = next(doc for doc in documents() if doc["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["ports"][0]["containerPort"] == exposed
    assert pod["securityContext"]["runAsUser"] == user
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == "/healthz"
    env = {item["name"]: item["value"] for item in container["env"]}
    assert env["PORT"] == str(exposed)


def test_manifest_matches_kubernetes_schemas():
    import kubernetes_validate
    for doc in documents():
        kubernetes_validate.validate(doc, "1.30.0", strict=True)
