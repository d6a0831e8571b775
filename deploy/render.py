#!/usr/bin/env python3
"""Render the deployment files for one five-tier chain (湖南省 → … → a village point).

    python deploy/render.py            # rewrites deploy/compose/ and deploy/k8s/

The tiers below are the only input; tests/test_deploy.py renders again and checks that the committed
files match and that every parent address, port, probe and secret lines up.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import tomli_w
import yaml

ROOT = Path(__file__).resolve().parent
LINK_PORT, ENROLL_PORT, HEALTH_PORT, METRICS_PORT = 7400, 7401, 7402, 9100


@dataclass(frozen=True)
class Tier:
    key: str
    code: str
    name: str
    parent: str  # key of the parent tier, "" for the province

    @property
    def on_postgres(self) -> bool:
        return self.key != "village"  # a village box keeps the embedded SQLite file


TIERS = (
    Tier("province", "430000000000", "湖南省政务服务中心", ""),
    Tier("city", "430900000000", "益阳市政务服务中心", "province"),
    Tier("county", "430981000000", "沅江市政务服务中心", "city"),
    Tier("township", "430981006000", "琼湖街道便民服务中心", "county"),
    Tier("village", "430981006001", "韩家汊社区代办点", "township"),
)


def node_config(tier: Tier, parent_host: str) -> str:
    node = {
        "code": tier.code,
        "name": tier.name,
        "listen": f"0.0.0.0:{LINK_PORT}",
        "enroll_listen": f"0.0.0.0:{ENROLL_PORT}",
        "health_listen": f"0.0.0.0:{HEALTH_PORT}",
        "metrics_listen": f"0.0.0.0:{METRICS_PORT}",
        "pki_dir": "/var/lib/wuji/pki",
        "backup_dir": "/var/lib/wuji/backups",  # the node's own backups, on its volume, not beside the config
        "key_passphrase_file": "/etc/wuji/secrets/passphrase",
        "log_format": "json",  # containers: one JSON object per line for the log collector
    }
    if tier.parent:
        node["parent_address"] = f"{parent_host}:{LINK_PORT}"
    else:
        node["catalog_file"] = "demo"
    if not tier.on_postgres:
        node["database_url"] = "sqlite:////var/lib/wuji/wuji.db"
    else:  # the database server's own backups cover it (and the image carries no pg_dump)
        node["backup_hours"] = 0
    header = "# Rendered by deploy/render.py. The database URL comes from WUJI_DATABASE_URL where set.\n"
    return header + tomli_w.dumps({"node": node})


def compose() -> dict[str, object]:
    services: dict[str, object] = {
        "postgres": {
            "image": "postgres:16",
            "environment": {"POSTGRES_USER": "wuji", "POSTGRES_PASSWORD_FILE": "/run/secrets/db_password"},
            "secrets": ["db_password"],
            "volumes": [
                "./init-databases.sql:/docker-entrypoint-initdb.d/init.sql:ro",
                "pgdata:/var/lib/postgresql/data",
            ],
            "healthcheck": {"test": ["CMD", "pg_isready", "-U", "wuji"], "interval": "5s"},
        }
    }
    volumes: dict[str, object] = {"pgdata": {}}
    for tier in TIERS:
        service: dict[str, object] = {
            "build": {"context": "../..", "dockerfile": "deploy/Dockerfile"},
            "image": "wuji:latest",
            "command": ["node", "run", "--config", "/etc/wuji/node.toml"],
            "volumes": [f"./config/{tier.key}.toml:/etc/wuji/node.toml:ro", f"{tier.key}-data:/var/lib/wuji"],
            "secrets": [{"source": "passphrase", "target": "/etc/wuji/secrets/passphrase"}],
            "healthcheck": {
                "test": ["CMD", "python", "-m", "node.runtime.probe", f"127.0.0.1:{HEALTH_PORT}"],
                "interval": "10s",
            },
        }
        depends = {"postgres": {"condition": "service_healthy"}} if tier.on_postgres else {}
        if tier.parent:
            depends[tier.parent] = {"condition": "service_started"}
        if depends:
            service["depends_on"] = depends
        if tier.on_postgres:
            service["environment"] = {"WUJI_DATABASE_URL_FILE": f"/run/secrets/{tier.key}_database_url"}
            service["secrets"].append(f"{tier.key}_database_url")  # type: ignore[union-attr]
        services[tier.key] = service
        volumes[f"{tier.key}-data"] = {}
    secrets = {
        "passphrase": {"file": "./secrets/passphrase"},
        "db_password": {"file": "./secrets/db_password"},
    }
    secrets |= {
        f"{t.key}_database_url": {"file": f"./secrets/{t.key}_database_url"} for t in TIERS if t.on_postgres
    }
    return {"name": "wuji", "services": services, "volumes": volumes, "secrets": secrets}


def kubernetes(tier: Tier) -> list[dict[str, object]]:
    name = f"wuji-{tier.key}"
    env = []
    if tier.on_postgres:
        env.append({
            "name": "WUJI_DATABASE_URL",
            "valueFrom": {"secretKeyRef": {"name": f"{name}-database", "key": "url"}},
        })  # fmt: skip
    probe = {"grpc": {"port": HEALTH_PORT}, "periodSeconds": 10, "failureThreshold": 3}
    container = {
        "name": "node",
        "image": "wuji:latest",
        "args": ["node", "run", "--config", "/etc/wuji/node.toml"],
        "ports": [
            {"name": "link", "containerPort": LINK_PORT},
            {"name": "enroll", "containerPort": ENROLL_PORT},
            {"name": "health", "containerPort": HEALTH_PORT},
            {"name": "metrics", "containerPort": METRICS_PORT},
        ],
        "env": env,
        "readinessProbe": probe,
        "livenessProbe": probe | {"initialDelaySeconds": 20},
        "volumeMounts": [
            {"name": "config", "mountPath": "/etc/wuji/node.toml", "subPath": "node.toml", "readOnly": True},
            {"name": "passphrase", "mountPath": "/etc/wuji/secrets", "readOnly": True},
            {"name": "data", "mountPath": "/var/lib/wuji"},
        ],
    }
    labels = {"app.kubernetes.io/name": "wuji", "wuji/tier": tier.key}
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"{name}-config", "labels": labels},
            "data": {"node.toml": node_config(tier, f"wuji-{tier.parent}")},
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "labels": labels},
            "spec": {
                "selector": labels,
                "ports": [{"name": p["name"], "port": p["containerPort"]} for p in container["ports"]],  # type: ignore[index]
            },
        },
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": name, "labels": labels},
            "spec": {
                "serviceName": name,
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels, "annotations": {"prometheus.io/port": str(METRICS_PORT)}},
                    "spec": {
                        "containers": [container],
                        "volumes": [
                            {"name": "config", "configMap": {"name": f"{name}-config"}},
                            {"name": "passphrase", "secret": {"secretName": "wuji-key-passphrase"}},
                        ],
                    },
                },
                "volumeClaimTemplates": [
                    {
                        "metadata": {"name": "data"},
                        "spec": {
                            "accessModes": ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": "1Gi"}},
                        },
                    }
                ],
            },
        },
    ]


def secrets_example() -> list[dict[str, object]]:
    documents: list[dict[str, object]] = [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "wuji-key-passphrase"},
            "stringData": {"passphrase": "CHANGE-ME: a long random passphrase for the node keys"},
        }
    ]
    for tier in TIERS:
        if tier.on_postgres:
            documents.append({
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": f"wuji-{tier.key}-database"},
                "stringData": {"url": f"postgresql+psycopg://wuji:CHANGE-ME@postgres.example:5432/wuji_{tier.key}"},
            })  # fmt: skip
    return documents


def render(root: Path = ROOT) -> dict[Path, str]:
    files: dict[Path, str] = {}
    for tier in TIERS:
        files[root / "compose" / "config" / f"{tier.key}.toml"] = node_config(tier, tier.parent)
        files[root / "k8s" / f"{tier.key}.yaml"] = _yaml_documents(kubernetes(tier))
    files[root / "compose" / "docker-compose.yml"] = _yaml_documents([compose()])
    files[root / "compose" / "init-databases.sql"] = "".join(
        f"CREATE DATABASE wuji_{t.key};\n" for t in TIERS if t.on_postgres
    )
    files[root / "k8s" / "secrets.example.yaml"] = _yaml_documents(secrets_example())
    return files


class _Dumper(yaml.SafeDumper):
    """Writes multi-line strings (the node.toml in a ConfigMap) as readable literal blocks."""


def _string(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|" if "\n" in data else None)


_Dumper.add_representer(str, _string)


def _yaml_documents(documents: list[dict[str, object]]) -> str:
    header = "# Rendered by deploy/render.py: edit the tiers there, not this file.\n"
    dumped = (yaml.dump(d, Dumper=_Dumper, allow_unicode=True, sort_keys=False) for d in documents)
    return header + "---\n".join(dumped)


def main() -> int:
    for path, text in render().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
