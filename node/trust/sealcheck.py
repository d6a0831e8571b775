"""`wuji seal verify`: which roots to trust, and the verdict in plain words."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from rich.console import Console

from node.config import NodeConfig
from signing.seals import SealCheck
from signing.trust import TrustStore


def load_trust(trust: Path | None, config: Path | None) -> TrustStore:
    """Roots from a PEM file or a folder of *.pem (--trust), or the node's own (--config)."""
    if trust is None and config is None:
        raise ValueError("say whom to trust: --trust ROOTS.pem (or a folder of them) or --config node.toml")
    roots: list[x509.Certificate] = []
    if trust is not None:
        files = sorted(trust.glob("*.pem")) if trust.is_dir() else [trust]
        for path in files:
            roots.extend(x509.load_pem_x509_certificates(path.read_bytes()))
    if config is not None:
        node = NodeConfig.load(config)
        roots.extend(x509.load_pem_x509_certificates((node.pki_folder(config) / "root.pem").read_bytes()))
    if not roots:
        raise ValueError(f"no certificates found in {trust}")
    return TrustStore(roots)


def describe_check(console: Console, document: Path, check: SealCheck) -> None:
    verdict = "[bold green]VALID[/]" if check.valid else "[bold red]NOT VALID[/]"
    console.print(f"{document}: {verdict}")
    if not check.valid:
        console.print(f"  reason:     {check.reason}", highlight=False)
    if check.seal is not None:
        seal = check.seal
        console.print(f"  holder:     {seal.holder} ({seal.holder_code}), {seal.department}", highlight=False)
        console.print(f"  seal:       {seal.kind} {seal.seal_id}", highlight=False)
        console.print(f"  validity:   {seal.valid_from:%Y-%m-%d} – {seal.valid_to:%Y-%m-%d}", highlight=False)
    if check.signing_time is not None:
        console.print(
            f"  signed at:  {check.signing_time:%Y-%m-%d %H:%M:%S} UTC ({check.algorithm})", highlight=False
        )
    if check.chain:
        console.print(f"  chain:      {' ← '.join(check.chain)}", highlight=False)
    console.print(f"  revocation: {check.revocation}", highlight=False)
