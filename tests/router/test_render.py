"""Rendering HAProxy's config from a RouterState: a pure function, checked without HAProxy."""
from dataclasses import replace

from hosting.router.haproxy import server_commands
from hosting.router.model import Endpoints, RouterState, Server, ServiceRoute, VersionRoute
from hosting.router.render import render

ENDS = Endpoints(listen_host="127.0.0.1", listen_port=8080, activator_host="127.0.0.1",
                 activator_port=8081, stats_socket="/run/h/stats.sock", map_file="/run/h/hosts.map")


def version(vid: int, share: int, *ports: int, desired: int | None = None) -> VersionRoute:
    return VersionRoute(id=vid, name=f"web-{vid:03d}", preview_host=f"web-{vid:03d}.preview.alpha.apps.localhost",
                        share=share, desired=len(ports) if desired is None else desired,
                        instances=tuple(("127.0.0.1", p) for p in ports))


def state(*versions: VersionRoute, host: str = "web.alpha.apps.localhost") -> RouterState:
    return RouterState(ENDS, (ServiceRoute(id=1, host=host, versions=versions),))


def servers(config, backend: str) -> dict[str, Server]:
    return {name: s for (b, name), s in config.servers().items() if b == backend}


def test_hosts_map_to_the_service_and_preview_backends():
    config = render(state(version(1, 100, 5001), version(2, 0), host="Web.Alpha.apps.localhost"))

    assert config.map_text.splitlines() == [
        "web-001.preview.alpha.apps.localhost ver_1",
        "web-002.preview.alpha.apps.localhost ver_2",
        "web.alpha.apps.localhost svc_1",
    ]
    assert "map(/run/h/hosts.map,no_route)" in config.text
    assert "bind 127.0.0.1:8080" in config.text
    assert "stats socket /run/h/stats.sock" in config.text
    assert f"description cfg-{config.digest}" in config.text


def test_weights_follow_the_shares_whatever_the_instance_count():
    config = render(state(version(1, 80, 5001), version(2, 20, 5002, 5003)))
    svc = servers(config, "svc_1")

    assert svc["v1_0"].weight == 205
    assert svc["v2_0"].weight == svc["v2_1"].weight == 26
    assert (svc["v1_0"].address, svc["v1_0"].port, svc["v1_0"].enabled) == ("127.0.0.1", 5001, True)


def test_a_version_with_a_share_and_no_instance_goes_to_the_activator():
    config = render(state(version(1, 70, 5001), version(2, 30)))
    svc = servers(config, "svc_1")

    assert svc["v2_act"] == Server("v2_act", "127.0.0.1", 8081, 77, True)
    assert svc["v1_act"].enabled is False
    assert not any(s.enabled for name, s in svc.items() if name.startswith("v2_") and name != "v2_act")


def test_previews_fall_back_to_the_activator_only_when_no_instance_is_ready():
    config = render(state(version(1, 100, 5001)))
    preview = servers(config, "ver_1")

    assert preview["v1_act"].backup and preview["v1_act"].enabled
    assert preview["v1_0"].enabled and not preview["v1_0"].backup
    assert "server v1_act 127.0.0.1:8081 weight 1 backup" in config.text


def test_slots_come_in_chunks_and_empty_ones_are_disabled():
    config = render(state(version(1, 100, *range(5001, 5006))))
    svc = servers(config, "svc_1")

    assert sorted(n for n in svc if n != "v1_act") == [f"v1_{n}" for n in range(8)]
    assert svc["v1_7"] == Server("v1_7", "127.0.0.1", 1, 0, False)
    assert "server v1_7 127.0.0.1:1 weight 0 disabled" in config.text


def test_runtime_changes_keep_the_digest_and_new_backends_change_it():
    base = render(state(version(1, 100, 5001), version(2, 0)))

    assert render(state(version(1, 40, 5009, 5010), version(2, 60, 5002))).digest == base.digest
    assert render(state(version(1, 100, 5001), version(2, 0), version(3, 0))).digest != base.digest
    assert render(state(version(1, 100, *range(5001, 5006)), version(2, 0))).digest != base.digest
    assert render(RouterState(replace(ENDS, listen_port=9090), state(version(1, 100)).services)).digest \
        != render(state(version(1, 100))).digest


def test_the_same_state_renders_the_same_text():
    assert render(state(version(1, 100, 5001))).text == render(state(version(1, 100, 5001))).text


def test_runtime_commands_disable_first_and_enable_last():
    have = Server("v1_0", "127.0.0.1", 1, 0, False)
    want = Server("v1_0", "127.0.0.1", 5001, 128, True)

    assert server_commands("svc_1", want, have) == [
        "set server svc_1/v1_0 addr 127.0.0.1 port 5001",
        "set server svc_1/v1_0 weight 128",
        "set server svc_1/v1_0 state ready",
    ]
    assert server_commands("svc_1", have, want)[0] == "set server svc_1/v1_0 state maint"
    assert server_commands("svc_1", want, want) == []
