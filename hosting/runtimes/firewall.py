"""iptables fences around each tenant's network (local backend).

Podman's bridge networks forward to each other and to the host freely, so each tenant
network gets a chain of its own, jumped to from INPUT and FORWARD for packets whose
source is the tenant's subnet. The chain lets through replies (the router and the health
checks connect *into* containers, at their own addresses), traffic inside the tenant's
own subnet and DNS to its gateway, and rejects the host itself (web, registry, Redis,
PostgreSQL, the Podman socket's HTTP twins), other tenants and every private, link-local
and shared range; the internet stays reachable unless settings.TENANT_EGRESS is off.

The chain is written with one `iptables-restore --noflush` (atomic: declaring the chain
creates or empties it), so concurrent workers and re-runs converge to the same rules.
"""
from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass

from django.conf import settings

from hosting.runtimes.base import RuntimeFailure

IPTABLES = "iptables"
HOOKS = ("INPUT", "FORWARD")
CHAIN_MAX = 28  # iptables' limit on chain names
BLOCKED_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16",
                  "100.64.0.0/10", "127.0.0.0/8", "224.0.0.0/4", "240.0.0.0/4")
REJECT = ["-j", "REJECT", "--reject-with", "icmp-admin-prohibited"]


class FirewallFailed(RuntimeFailure):
    """iptables refused: tenant containers would run unfenced, so nothing starts."""


@dataclass(frozen=True)
class Fence:
    network: str  # the engine's network name
    subnet: str  # e.g. 10.89.3.0/24
    gateway: str  # e.g. 10.89.3.1

    @property
    def chain(self) -> str:
        return chain_name(self.network)


def chain_name(network: str) -> str:
    """HT-<network>, or a digest of it when that would be too long for iptables."""
    name = f"HT-{network}"
    if len(name) <= CHAIN_MAX:
        return name
    return "HT-" + hashlib.sha256(network.encode()).hexdigest()[: CHAIN_MAX - 3]


def chain_rules(fence: Fence, egress: bool) -> list[list[str]]:
    """The chain's rules in order (pure: the unit tests read them)."""
    rules = [
        ["-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "RETURN"],
        ["-d", f"{fence.gateway}/32", "-p", "udp", "--dport", "53", "-j", "RETURN"],
        ["-d", f"{fence.gateway}/32", "-p", "tcp", "--dport", "53", "-j", "RETURN"],
        # Before the subnet's own rule: the gateway is in the subnet, and it is the host.
        ["-m", "addrtype", "--dst-type", "LOCAL", *REJECT],
        ["-d", fence.subnet, "-j", "RETURN"],
        *[["-d", blocked, *REJECT] for blocked in BLOCKED_RANGES],
    ]
    if not egress:
        rules.append(REJECT)
    return rules


def restore_script(fence: Fence, egress: bool) -> str:
    lines = ["*filter", f":{fence.chain} - [0:0]"]
    lines += [" ".join(["-A", fence.chain, *rule]) for rule in chain_rules(fence, egress)]
    return "\n".join([*lines, "COMMIT", ""])


def ensure(fence: Fence) -> None:
    """Write the chain and hook it into INPUT and FORWARD (ahead of netavark's rules)."""
    if not settings.TENANT_FIREWALL:
        return
    _run([f"{IPTABLES}-restore", "-w", "--noflush"], stdin=restore_script(fence, settings.TENANT_EGRESS))
    for hook in HOOKS:
        jump = [hook, "-s", fence.subnet, "-j", fence.chain]
        if not _ok([IPTABLES, "-w", "-C", *jump]):
            _run([IPTABLES, "-w", "-I", hook, "1", *jump[1:]])


def remove(network: str) -> None:
    """Unhook and delete the network's chain; nothing happens when it is gone."""
    if not settings.TENANT_FIREWALL:
        return
    chain = chain_name(network)
    for hook in HOOKS:
        for rule in _jumps(hook, chain):
            _ok([IPTABLES, "-w", "-D", *rule])
    if _ok([IPTABLES, "-w", "-F", chain]):
        _ok([IPTABLES, "-w", "-X", chain])


def _jumps(hook: str, chain: str) -> list[list[str]]:
    """`-A HOOK ... -j CHAIN` lines of `iptables -S HOOK`, as arguments for -D."""
    out = subprocess.run([IPTABLES, "-w", "-S", hook], capture_output=True, text=True,
                         check=False).stdout
    return [line.split()[1:] for line in out.splitlines()
            if line.startswith(f"-A {hook} ") and line.split()[-2:] == ["-j", chain]]


def _ok(args: list[str]) -> bool:
    return subprocess.run(args, capture_output=True, check=False).returncode == 0


def _run(args: list[str], stdin: str | None = None) -> None:
    try:
        result = subprocess.run(args, input=stdin, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise FirewallFailed(f"The tenant firewall could not be set: {args[0]} is missing "
                             f"({exc}); set TENANT_FIREWALL=0 only on a trusted host.") from exc
    if result.returncode:
        raise FirewallFailed(f"The tenant firewall could not be set: {' '.join(args)} said: "
                             f"{result.stderr.strip()}")
