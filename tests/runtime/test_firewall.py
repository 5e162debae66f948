"""The firewall's chain rules, read as data (the Podman tests show them working)."""
from hosting.runtimes import firewall

FENCE = firewall.Fence("hosting-t7", "10.89.3.0/24", "10.89.3.1")


def test_the_host_is_refused_before_the_own_subnet_is_allowed():
    rules = [" ".join(rule) for rule in firewall.chain_rules(FENCE, egress=True)]
    host = rules.index("-m addrtype --dst-type LOCAL -j REJECT --reject-with icmp-admin-prohibited")
    assert rules.index("-d 10.89.3.0/24 -j RETURN") > host  # the gateway is in the subnet
    assert rules[0].endswith("ESTABLISHED,RELATED -j RETURN")  # the router's replies
    for blocked in ("10.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16"):
        assert f"-d {blocked} -j REJECT --reject-with icmp-admin-prohibited" in rules
    assert rules[-1].startswith("-d 240.0.0.0/4")  # then the internet: allowed


def test_without_egress_everything_else_is_refused():
    assert firewall.chain_rules(FENCE, egress=False)[-1] == firewall.REJECT


def test_chain_names_fit_iptables():
    assert firewall.chain_name("hosting-t7") == "HT-hosting-t7"
    long = firewall.chain_name("a-very-long-runtime-namespace-t123456")
    assert len(long) <= firewall.CHAIN_MAX and long.startswith("HT-")


def test_the_restore_script_declares_then_fills_the_chain():
    script = firewall.restore_script(FENCE, egress=True).splitlines()
    assert script[:2] == ["*filter", ":HT-hosting-t7 - [0:0]"]
    assert script[-1] == "COMMIT" and all(line.startswith("-A HT-hosting-t7 ") for line in script[2:-1])


def test_deleting_a_tenant_asks_the_worker_to_remove_its_network(db, monkeypatch,
                                                                  django_capture_on_commit_callbacks):
    from hosting import tasks
    from hosting.domain.tenants import create_tenant

    sent = []
    monkeypatch.setattr(tasks.remove_tenant, "delay", sent.append)
    tenant, _key = create_tenant("doomed", "doomed-owner")
    tenant_id = tenant.pk
    with django_capture_on_commit_callbacks(execute=True):
        tenant.delete()
    assert sent == [tenant_id]
