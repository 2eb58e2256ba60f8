"""deploy/kubernetes: the manifests parse, and names, ports and keys agree with each other and with
the project's contracts (Rasa on 5005, the action server on 5055 and never exposed).

They can't be applied on this machine (no cluster); the two-server test is the proof that the
shape works: tests/test_scaleout_e2e.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.servers import ROOT

DEPLOY = ROOT / "deploy" / "kubernetes"
NAMESPACE = "mbc-guide"


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def everything() -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    return [doc for name in kustomization["resources"] for doc in documents(DEPLOY / name)]


def find(kind: str, name: str) -> dict[str, Any]:
    matches = [d for d in everything() if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(matches) == 1, f"one {kind} {name}"
    return matches[0]


def container(workload: dict[str, Any]) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]["containers"][0]


def test_every_manifest_parses_and_is_listed():
    files = sorted(p.name for p in DEPLOY.glob("*.yaml"))
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    # Every file but the kustomization itself and the example Secret is applied.
    assert listed == set(files) - {"kustomization.yaml", "secret.example.yaml"}
    for name in listed | {"secret.example.yaml"}:
        for doc in documents(DEPLOY / name):
            assert {"apiVersion", "kind", "metadata"} <= set(doc), name


def test_the_parts_the_issue_asks_for_are_there():
    kinds = {(d["kind"], d["metadata"]["name"]) for d in everything()}
    assert {
        ("Namespace", NAMESPACE),
        ("ConfigMap", "mbc-guide-config"),
        ("Deployment", "rasa"),
        ("Service", "rasa"),
        ("Deployment", "actions"),
        ("Service", "actions"),
        ("NetworkPolicy", "actions-from-rasa-only"),
        ("StatefulSet", "postgres"),
        ("Service", "postgres"),
        ("Deployment", "redis"),
        ("Service", "redis"),
        ("Ingress", "mbc-guide"),
    } <= kinds
    for doc in everything():
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == NAMESPACE, doc["metadata"]["name"]


def test_rasa_runs_two_replicas_on_the_contract_port():
    rasa = find("Deployment", "rasa")
    assert rasa["spec"]["replicas"] == 2
    assert container(rasa)["ports"][0]["containerPort"] == 5005
    assert "5005" in container(rasa)["args"]
    assert find("Service", "rasa")["spec"]["ports"][0]["port"] == 5005


def test_the_action_server_is_internal_and_reached_only_from_rasa():
    actions = find("Deployment", "actions")
    assert container(actions)["ports"][0]["containerPort"] == 5055
    assert "5055" in container(actions)["args"]
    service = find("Service", "actions")
    assert service["spec"].get("type", "ClusterIP") == "ClusterIP"
    assert service["spec"]["ports"][0]["port"] == 5055
    policy = find("NetworkPolicy", "actions-from-rasa-only")["spec"]
    assert policy["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "actions"}
    sources = policy["ingress"][0]["from"]
    assert sources == [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "rasa"}}}]
    ingress = find("Ingress", "mbc-guide")
    backends = [
        path["backend"]["service"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    ]
    assert backends == [{"name": "rasa", "port": {"number": 5005}}]


def test_services_select_pods_that_exist():
    workloads = [d for d in everything() if d["kind"] in {"Deployment", "StatefulSet"}]
    for workload in workloads:
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert workload["spec"]["selector"]["matchLabels"].items() <= labels.items()
    for service in (d for d in everything() if d["kind"] == "Service"):
        selector = service["spec"]["selector"].items()
        targets = [
            w for w in workloads if selector <= w["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert targets, service["metadata"]["name"]
        named = {p["name"]: p["containerPort"] for p in container(targets[0])["ports"]}
        for port in service["spec"]["ports"]:
            target = port["targetPort"]
            assert named.get(target, target) == port["port"], service["metadata"]["name"]


def test_endpoints_in_the_config_map_point_at_the_services():
    config = find("ConfigMap", "mbc-guide-config")["data"]
    endpoints = yaml.safe_load(config["endpoints.yml"])
    assert endpoints["action_endpoint"]["url"] == "http://actions:5055/webhook"
    tracker, lock = endpoints["tracker_store"], endpoints["lock_store"]
    assert tracker["type"] == "stores.tracker_store.DurableSQLTrackerStore"
    assert tracker["dialect"] == "postgresql"
    assert (tracker["url"], tracker["port"]) == ("postgres", 5432)
    assert lock["type"] == "stores.lock_store.AtomicRedisLockStore"
    assert (lock["url"], lock["port"]) == ("redis", 6379)
    # Passwords come from the Secret through Rasa's ${VAR} substitution, never the ConfigMap.
    assert tracker["password"] == "${DB_PASSWORD}" and lock["password"] == "${REDIS_PASSWORD}"
    assert (config["DB_HOST"], config["REDIS_HOST"]) == ("postgres", "redis")
    assert not any("PASSWORD" in key for key in config)
    # The same database and user as the PostgreSQL StatefulSet creates.
    postgres_env = {e["name"]: e for e in container(find("StatefulSet", "postgres"))["env"]}
    assert postgres_env["POSTGRES_DB"]["value"] == tracker["db"] == config["DB_NAME"]
    assert postgres_env["POSTGRES_USER"]["value"] == tracker["username"] == config["DB_USER"]


@pytest.mark.parametrize("kind, name", [("Deployment", "rasa"), ("Deployment", "actions")])
def test_secrets_used_are_in_the_example_secret(kind, name):
    example = documents(DEPLOY / "secret.example.yaml")[0]
    keys = set(example["stringData"])
    for workload in (
        find(kind, name),
        find("StatefulSet", "postgres"),
        find("Deployment", "redis"),
    ):
        for env in container(workload).get("env", []):
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                assert ref["name"] == example["metadata"]["name"]
                assert ref["key"] in keys
    rasa_env = {e["name"] for e in container(find("Deployment", "rasa"))["env"]}
    assert {"DB_PASSWORD", "REDIS_PASSWORD"} <= rasa_env, "Rasa fills ${VAR} from its environment"


def test_dockerfile_copies_the_trained_model_and_exposes_both_ports():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "EXPOSE 5005 5055" in dockerfile
    assert "models/mbc-guide.tar.gz" in dockerfile
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert "!models/mbc-guide.tar.gz" in ignored
    assert {".env", ".venv", "*.db"} <= set(ignored), "no secrets or conversations in the image"
