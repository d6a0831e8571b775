"""The deployment files hang together (no container engine runs here, so check their structure)."""

from __future__ import annotations

import configparser
import importlib.util
import re
import sys
import tomllib
from pathlib import Path

import yaml

from node.config import NodeConfig
from wuji.divisions import DivisionCode

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def _render_module():
    spec = importlib.util.spec_from_file_location("render", DEPLOY / "render.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["render"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _documents(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def _config(text: str) -> NodeConfig:
    return NodeConfig(**tomllib.loads(text)["node"])


def test_committed_files_are_what_render_py_writes(tmp_path):
    render = _render_module()
    for path, text in render.render(DEPLOY).items():
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale: run python deploy/render.py"


def test_kubernetes_nodes_find_their_parents_ports_probes_and_secrets():
    objects = {}
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for document in _documents(path):
            objects[(document["kind"], document["metadata"]["name"])] = document
    secrets = {name for kind, name in objects if kind == "Secret"}
    configs = {
        name: _config(d["data"]["node.toml"]) for (kind, name), d in objects.items() if kind == "ConfigMap"
    }
    assert len(configs) == 5
    codes = {config.code: name for name, config in configs.items()}
    for configmap, config in configs.items():
        node = configmap.removesuffix("-config")
        service = objects[("Service", node)]["spec"]
        ports = {p["name"]: p["port"] for p in service["ports"]}
        assert int(config.listen.rsplit(":", 1)[1]) == ports["link"]
        assert int(config.enrollment_address.rsplit(":", 1)[1]) == ports["enroll"]
        assert int(config.health_listen.rsplit(":", 1)[1]) == ports["health"]
        pod = objects[("StatefulSet", node)]["spec"]["template"]["spec"]
        container = pod["containers"][0]
        assert container["readinessProbe"]["grpc"]["port"] == ports["health"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert volumes["config"]["configMap"]["name"] == configmap
        assert volumes["passphrase"]["secret"]["secretName"] in secrets
        for variable in container["env"]:
            assert variable["valueFrom"]["secretKeyRef"]["name"] in secrets
        division = DivisionCode.parse(config.code)
        if division.parent is None:
            assert not config.parent_address
            continue
        host, port = config.parent_address.rsplit(":", 1)
        assert host == codes[division.parent.value].removesuffix("-config"), f"{node} dials the wrong parent"
        parent_ports = {p["name"]: p["port"] for p in objects[("Service", host)]["spec"]["ports"]}
        assert int(port) == parent_ports["link"]
        assert config.database_url.startswith("sqlite") == (
            division.parent.tier.value == 4
        )  # only the village


def test_compose_services_dial_their_parents_and_mount_existing_files():
    compose = _documents(DEPLOY / "compose" / "docker-compose.yml")[0]
    services = compose["services"]
    for name, service in services.items():
        if name == "postgres":
            continue
        config_mount = next(v for v in service["volumes"] if v.endswith(":/etc/wuji/node.toml:ro"))
        config = NodeConfig.load(DEPLOY / "compose" / config_mount.split(":")[0])
        if config.parent_address:
            parent = config.parent_address.rsplit(":", 1)[0]
            assert parent in services and parent in service["depends_on"]
        for secret in service["secrets"]:
            source = secret["source"] if isinstance(secret, dict) else secret
            assert source in compose["secrets"]


def test_systemd_unit_runs_the_node_as_its_own_user(tmp_path):
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read(DEPLOY / "systemd" / "wuji-node.service", encoding="utf-8")
    assert unit["Service"]["ExecStart"].endswith("wuji node run --config /etc/wuji/node.toml")
    assert unit["Service"]["User"] == "wuji" and unit["Service"]["KillSignal"] == "SIGTERM"
    # the node.toml lines its comment gives are settings a node reads, the passphrase's file among
    # them: without it, enroll and run stop at "no key passphrase"
    text = (DEPLOY / "systemd" / "wuji-node.service").read_text(encoding="utf-8")
    snippet = "\n".join(re.findall(r"^#   (\w+ = [^#\n]+?)[ \t]*(?:#.*)?$", text, flags=re.MULTILINE))
    written = tmp_path / "node.toml"
    written.write_text(f'[node]\ncode = "430981006001"\nparent_address = "127.0.0.1:7400"\n{snippet}\n')
    config = NodeConfig.load(written)
    assert config.key_passphrase_file == "/etc/wuji/secrets/passphrase"
    assert config.database_url == "sqlite:////var/lib/wuji/wuji.db"
