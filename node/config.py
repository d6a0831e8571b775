"""A node's configuration file (TOML). The tier comes from the code; the file says where to listen."""

from __future__ import annotations

import difflib
import json
import os
import tomllib
import unicodedata
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import tomli_w

from node.logs import LOG_FORMATS
from sync.transport import DEFAULT_MAX_MESSAGE_BYTES
from wuji.divisions import DivisionCode, InvalidTier, Tier

DATABASE_URL_ENV = "WUJI_DATABASE_URL"
DATABASE_URL_FILE_ENV = "WUJI_DATABASE_URL_FILE"


DEFAULT_WEB_LISTEN = "127.0.0.1:8080"
# a province's seal algorithm, by the names people type and the names of signing.algorithms
SEAL_ALGORITHMS = {"sm2": "sm2", "sm2-sm3": "sm2", "p256": "p256", "ecdsa-p256-sha256": "p256"}
SQLITE_SYNCHRONOUS_LEVELS = ("FULL", "EXTRA", "NORMAL", "OFF")


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or contradicts itself."""


@dataclass
class NodeConfig:
    code: str  # 12-digit division code; the tier and the parent follow from it
    listen: str = "127.0.0.1:7400"  # host:port of the desk and federation services (mTLS)
    enroll_listen: str = ""  # host:port where children enroll (TLS, token); default: listen port + 1
    health_listen: str = ""  # host:port of a plaintext gRPC health service for probes ("" = none)
    metrics_listen: str = ""  # host:port of the Prometheus metrics endpoint ("" = none)
    # host:port of the web front desk (node/web/, serves /verify/<case id>); "off" serves none.
    # HTTPS with the node's certificate unless the address is loopback.
    web_listen: str = DEFAULT_WEB_LISTEN
    # the address citizens reach the web desk at, printed in the documents' QR codes
    # ("" = derived from web_listen: http://host:port)
    public_url: str = ""
    parent_address: str = ""  # host:port of the parent node; empty only at a province
    name: str = ""  # e.g. 沅江市政务服务中心
    credit_code: str = ""  # 统一社会信用代码 of the body running the node (licence issuer code)
    database_url: str = ""  # default: SQLite file wuji.db beside this config
    tier: str = ""  # optional; if given it must agree with the code
    # province only: the first catalogue release, published at the first start ("demo" = the shipped
    # demo catalogue); later releases come from `wuji catalog publish`
    catalog_file: str = ""
    # province only, read when its root CA is created: "sm2" (国密 SM2/SM3 seals, GB/T 38540: an SM2
    # seal tree beside the P-256 link tree) or "p256" (ECDSA P-256 seals); the tree follows
    seal_algorithm: str = "p256"
    pki_dir: str = "pki"  # certificates and encrypted keys, relative to this config's folder
    key_passphrase_file: str = ""  # file holding the key passphrase (else WUJI_KEY_PASSPHRASE[_FILE])
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    heartbeat_seconds: float = 5.0
    reconnect_cap_seconds: float = 5.0
    lease_seconds: float = 10.0  # replicas sharing a database: a dead link runner is replaced after this
    replica_id: str = ""  # names this replica in the link lease; default: host and listen address
    # FULL: a commit is on the disk before anyone hears of it (the citizen's receipt, a peer's ack,
    # an envelope sent); NORMAL may lose the last commits to a power cut, and a link then finds
    # its peer holding envelopes this node no longer knows of
    sqlite_synchronous: str = "FULL"
    log_level: str = "INFO"
    log_format: str = "text"  # "json": one JSON object per line (time, level, logger, message, node, case_id)
    supervision_interval_seconds: float = 60.0  # how often the one supervision job scans
    # how often results waiting for a time-stamp token ask again: often, because over a poor line an
    # attempt (a fresh TLS connection up to the province) succeeds only now and then
    timestamp_retry_seconds: float = 1.0
    warning_share: float = 0.8  # 预警 (yellow card) once this share of a time limit is used
    rectification_days: int = 15  # working days to rectify a 差评 (Sichuan 15, Dezhou 5)
    forwarding_days: int = 1  # working days a case may take to reach its handler (上报)
    # acknowledged envelopes are kept this long, so a neighbour restored from an older backup can
    # be sent again what it lost (see `wuji node restore`)
    outbox_retention_days: float = 30.0
    # a case whose next hop has no enrolled node is carded at once and returned to its origin after this
    undeliverable_hours: float = 24.0
    # a partner province's link (跨省通办) down this long is told to every node of the province, so a
    # case waiting on it says why at the village; shorter outages (a restart) are not told
    partner_down_notice_seconds: float = 30.0
    # the node backs its database up by itself this often (0: never), into backup_dir (beside the
    # config unless absolute), keeping the newest backup_keep; `wuji node backup` makes one by hand
    backup_hours: float = 24.0
    backup_dir: str = "backups"
    backup_keep: int = 7

    def __post_init__(self) -> None:
        try:
            division = DivisionCode.parse(self.code)
        except ValueError as error:
            raise ConfigError(
                f"code 应为 6、9 或 12 位数字的区划代码，如 430981，不是 {self.code!r} (code: {error})"
            ) from error
        self.code = division.value
        if self.tier:
            try:
                declared = Tier.from_name(self.tier)
            except InvalidTier as error:
                raise ConfigError(f"tier: {error}") from error
            if declared != division.tier:
                raise ConfigError(
                    f"tier {self.tier!r} contradicts code {division}, which is a "
                    f"{division.tier.name.lower()} ({division.tier.label}) code"
                )
        if division.tier is Tier.PROVINCE and self.parent_address:
            raise ConfigError("a province has no parent: leave parent_address empty")
        if division.tier is not Tier.PROVINCE and not self.parent_address:
            raise ConfigError(f"a {division.tier.name.lower()} node needs parent_address (host:port)")
        if self.catalog_file and division.tier is not Tier.PROVINCE:
            raise ConfigError("only a province loads a catalogue file; lower tiers receive it from above")
        self.seal_algorithm = SEAL_ALGORITHMS.get(self.seal_algorithm, self.seal_algorithm)
        if self.seal_algorithm not in SEAL_ALGORITHMS.values():
            raise ConfigError(f"seal_algorithm must be sm2 or p256, not {self.seal_algorithm!r}")
        if self.seal_algorithm != "p256" and division.tier is not Tier.PROVINCE:
            raise ConfigError("only a province chooses its seal algorithm; lower tiers follow it")
        if self.supervision_interval_seconds <= 0:
            raise ConfigError("supervision_interval_seconds must be positive")
        if self.timestamp_retry_seconds <= 0:
            raise ConfigError("timestamp_retry_seconds must be positive")
        if self.partner_down_notice_seconds < 0:
            raise ConfigError("partner_down_notice_seconds must be 0 or more seconds")
        if not 0 < self.warning_share <= 1:
            raise ConfigError("warning_share must be a share of the time limit, in (0, 1]")
        if self.forwarding_days < 0:
            raise ConfigError("forwarding_days must be 0 or more working days")
        if self.rectification_days < 1:
            raise ConfigError("rectification_days must be at least 1 working day")
        self.sqlite_synchronous = self.sqlite_synchronous.upper()
        if self.sqlite_synchronous not in SQLITE_SYNCHRONOUS_LEVELS:
            # SQLite takes a misspelt level without a word and keeps its own default
            raise ConfigError(
                f"sqlite_synchronous must be one of {', '.join(SQLITE_SYNCHRONOUS_LEVELS)}, "
                f"not {self.sqlite_synchronous!r}"
            )
        if self.log_format not in LOG_FORMATS:
            raise ConfigError(f"log_format must be one of {', '.join(LOG_FORMATS)}, not {self.log_format!r}")
        if self.outbox_retention_days < 0:
            raise ConfigError("outbox_retention_days must be 0 or more days")
        if self.backup_hours < 0:
            raise ConfigError("backup_hours must be 0 (no scheduled backups) or more hours")
        if self.backup_keep < 1:
            raise ConfigError("backup_keep must keep at least 1 backup")
        self.listen = _address("listen", self.listen)
        if self.parent_address:
            self.parent_address = _address("parent_address", self.parent_address, dialled=True)
        for key in ("enroll_listen", "health_listen", "metrics_listen"):
            if getattr(self, key):
                setattr(self, key, _address(key, getattr(self, key)))
        if self.web_listen.strip().lower() == "off":
            self.web_listen = "off"
        else:
            self.web_listen = _address("web_listen", self.web_listen, also="或 off (or off)")
        if self.max_message_bytes < 1024:
            raise ConfigError("max_message_bytes must be at least 1024")
        if self.public_url and not self.public_url.startswith(("http://", "https://")):
            raise ConfigError(f"public_url must start with http:// or https://, not {self.public_url!r}")

    @property
    def enrollment_address(self) -> str:
        if self.enroll_listen:
            return self.enroll_listen
        host, _, port = self.listen.rpartition(":")
        return f"{host}:{int(port) + 1 if int(port) else 0}"

    @property
    def public_base_url(self) -> str:
        """Where the web front desk is reached from outside, without a trailing slash."""
        if self.public_url:
            return self.public_url.rstrip("/")
        # a node without a desk of its own ("off") prints the conventional address of one
        listen = DEFAULT_WEB_LISTEN if self.web_listen == "off" else self.web_listen
        host, _, port = listen.rpartition(":")
        if host in ("", "0.0.0.0", "[::]"):
            host = "127.0.0.1"  # a wildcard listens everywhere; a QR code needs one address
        return f"http://{host}:{port}"

    def verify_url(self, case_id: str) -> str:
        """The page that shows a case's verification (the documents' QR codes lead there)."""
        return f"{self.public_base_url}/verify/{case_id}"

    @property
    def division(self) -> DivisionCode:
        return DivisionCode.parse(self.code)

    def pki_folder(self, config_path: Path | None) -> Path:
        return _beside(config_path, self.pki_dir)

    def backup_folder(self, config_path: Path | None) -> Path:
        return _beside(config_path, self.backup_dir)

    def database_url_for(self, config_path: Path | None) -> str:
        """WUJI_DATABASE_URL (or a file named by WUJI_DATABASE_URL_FILE) wins over the config file,
        so passwords live in secrets; SQLite beside the config is the default."""
        if os.environ.get(DATABASE_URL_ENV):
            return os.environ[DATABASE_URL_ENV]
        if os.environ.get(DATABASE_URL_FILE_ENV):  # a mounted secret (docker compose)
            return Path(os.environ[DATABASE_URL_FILE_ENV]).read_text(encoding="utf-8").strip()
        if self.database_url:
            return self.database_url
        folder = config_path.parent if config_path else Path.cwd()
        return f"sqlite:///{(folder / 'wuji.db').resolve()}"

    @classmethod
    def load(cls, path: Path) -> NodeConfig:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as error:
            raise ConfigError(
                f"找不到节点配置文件 {path}：请核对 --config，或先用 wuji node init 创建 "
                f"(no node config at {path}; create one with `wuji node init`)"
            ) from error
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise ConfigError(f"读不了节点配置文件 {path} (cannot read {path}: {error})") from error
        node = raw.get("node", raw)
        if not isinstance(node, dict):
            raise ConfigError(f"{path}: [node] 应是一个表 (node must be a table of settings)")
        if node is not raw and (outside := sorted(set(raw) - {"node"})):
            raise ConfigError(
                f"{path}: 设置 {'、'.join(outside)} 写在 [node] 之外，节点读不到；请移到 [node] 下面 "
                "(settings outside [node] are not read)"
            )
        if "code" not in node:
            raise ConfigError(f"{path}: [node] code is required")
        kinds = {f.name: str(f.type) for f in fields(cls)}
        for key, value in node.items():
            _check_setting(path, key, value, kinds)
        values = dict(node)
        values["code"] = str(values["code"])
        try:
            return cls(**values)
        except ConfigError as error:
            raise ConfigError(f"{path}: {error}") from error

    def save(self, path: Path) -> None:
        values = {key: value for key, value in asdict(self).items() if value != ""}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            "# wuji node configuration; the tier and the parent follow from the division code.\n"
            + tomli_w.dumps({"node": values}),
            encoding="utf-8",
        )


# what a setting of each type holds, as the refusal of another value says it
_KIND_WORDS = {
    "str": ("加引号的文字", "a string in quotes"),
    "int": ("不加引号的整数", "a whole number without quotes"),
    "float": ("不加引号的数字", "a number without quotes"),
}


def _check_setting(path: Path, key: str, value: object, kinds: dict[str, str]) -> None:
    """A setting of the file is one NodeConfig knows, of the type it holds (an int for a float,
    and a number for the code, are taken); else a ConfigError naming the file, the key and what
    it expects."""
    kind = kinds.get(key)
    if kind is None:
        near = difflib.get_close_matches(key, kinds, n=1)
        hint = f"，是否想写 {near[0]}？" if near else ""
        english = f"; did you mean {near[0]}?" if near else ""
        raise ConfigError(f"{path}: 没有设置项 {key}{hint} (unknown key {key!r} in [node]{english})")
    fits = {
        "str": isinstance(value, str) or (key == "code" and isinstance(value, int)),
        "int": isinstance(value, int),
        "float": isinstance(value, int | float),
    }[kind] and not isinstance(value, bool)
    if not fits:
        chinese, english = _KIND_WORDS[kind]
        written = json.dumps(value, ensure_ascii=False, default=str)
        raise ConfigError(
            f"{path}: {key} 应为{chinese}，不是 {written} ({key} expects {english}, not {written})"
        )


MAX_PORT = 65535


def _address(key: str, value: str, *, dialled: bool = False, also: str = "") -> str:
    """A host:port setting, read as typed: a full-width colon or digits (a Chinese input method)
    as ASCII, spaces around it left out; its port 0-65535 (0: any free port), 1-65535 where the
    node dials it (dialled); else a ConfigError naming the key."""
    typed = unicodedata.normalize("NFKC", value).strip()
    host, colon, port = typed.rpartition(":")
    problem = ""
    if not colon or not host:
        problem = "缺少主机或端口 (expected host:port)"
    elif not (port.isascii() and port.isdigit()):
        problem = f"端口 {port!r} 不是数字 (the port must be a number)"
    elif not (1 if dialled else 0) <= int(port) <= MAX_PORT:
        lowest = 1 if dialled else 0
        problem = f"端口 {port} 超出 {lowest}–{MAX_PORT} (the port must be {lowest} to {MAX_PORT})"
    if problem:
        choice = f" {also}" if also else ""
        raise ConfigError(f"{key} 应为 主机:端口{choice}，如 127.0.0.1:7400，不是 {value!r}：{problem}")
    return typed


_THIS_MACHINE = {"127.0.0.1", "localhost", "::1", "[::1]"}
_ANY_ADDRESS = {"0.0.0.0", "::", "[::]"}


def same_address(listen: str, dialled: str) -> bool:
    """Whether dialling `dialled` reaches the node listening on `listen` itself: the same host:port,
    or its port on this machine where it listens on loopback or on every address."""
    if listen == dialled:
        return True
    host, _, port = listen.rpartition(":")
    dialled_host, _, dialled_port = dialled.rpartition(":")
    return port == dialled_port and dialled_host in _THIS_MACHINE and host in _THIS_MACHINE | _ANY_ADDRESS


def _beside(config_path: Path | None, folder: str) -> Path:
    """A folder the config names: as given if absolute, else beside the config file."""
    return ((config_path.parent if config_path else Path.cwd()) / folder).resolve()
