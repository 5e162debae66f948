"""Failure reasons are stored as a code and parameters and read in the reader's language:
the in-memory deploy fails for a known reason, and the same event reads in English and in
Chinese (the seed's wording), through the model, the API and the console."""
import pytest
from django.urls import reverse
from django.utils import translation

from hosting import reasons
from hosting.runtimes.memory import Behaviour
from tests.api.conftest import client_for
from tests.runtime.conftest import deployed

FAILURES = [
    ({"behaviour": Behaviour(exit_code=3)}, "failure.exited", {"exit_code": 3, "port": 8080},
     "The container exited with code 3 instead of serving on port 8080.",
     "容器以退出码 3 退出，未在端口 8080 上提供服务。"),
    ({"behaviour": Behaviour(oom=True)}, "failure.oom", {"memory_mib": 1024, "exit_code": 137},
     "Out of memory: the instance was killed because it used more than its limit of 1024 MiB "
     "(exit code 137).",
     "内存不足：实例使用的内存超过了 1024 MiB 的限制，已被终止（退出码 137）。"),
    ({"behaviour": Behaviour(http_status=503)}, "failure.http_5xx", {"port": 8080, "status": 503},
     "GET / on port 8080 answered HTTP 503 (a server error).",
     "端口 8080 上的 GET / 返回 HTTP 503（服务器错误）。"),
    ({"behaviour": Behaviour(listen_port=9090)}, "failure.wrong_port", {"port": 8080, "ports": [9090]},
     "Nothing is listening on port 8080; the app listens on 9090.",
     "端口 8080 上没有程序监听；应用监听的是 9090。"),
    ({"image_tag": "nope"}, "failure.image_not_found",
     {"tag": "nope", "repository": "alpha/testservice"},
     "Image not found: the tag nope does not exist in alpha/testservice.",
     "镜像不存在：镜像仓库 alpha/testservice 中没有标签 nope。"),
]


@pytest.mark.parametrize("setup, code, params, english, chinese", FAILURES)
def test_a_failure_reason_is_a_code_read_in_english_and_in_chinese(svc, mem, setup, code,
                                                                    params, english, chinese):
    setup = dict(setup)
    version = deployed(svc, mem, setup.pop("behaviour", None), **setup)
    error = version.latest_error()
    assert (error.code, error.params) == (code, params)
    assert error.message == english  # stored English text, for direct readers of the table
    with translation.override("en"):
        assert error.text == english
    with translation.override("zh-hans"):
        assert error.text == chinese


def test_the_api_gives_code_params_and_text_in_the_callers_language(world, svc, mem):
    version = deployed(svc, mem, Behaviour(exit_code=3))
    api = client_for(world["alice_key"])
    url = f"/api/v1/versions/{version.pk}/events/"
    english = api.get(url, HTTP_ACCEPT_LANGUAGE="en").json()["results"][-1]
    chinese = api.get(url, HTTP_ACCEPT_LANGUAGE="zh-Hans").json()["results"][-1]
    assert english["code"] == chinese["code"] == "failure.exited"
    assert english["params"] == chinese["params"] == {"exit_code": 3, "port": 8080}
    assert english["text"] == english["message"] == FAILURES[0][3]
    assert chinese["text"] == chinese["message"] == FAILURES[0][4]
    assert "exit" in chinese["detail"].lower()  # the error log stays raw data


def test_the_console_shows_the_reason_in_the_chosen_language(world, svc, mem, client):
    version = deployed(svc, mem, Behaviour(exit_code=3))
    client.login(username="alice", password="alice-password")
    page = reverse("version_error", args=[version.pk])
    assert FAILURES[0][3] in client.get(page).content.decode()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    body = client.get(page).content.decode()
    assert FAILURES[0][4] in body and FAILURES[0][3] not in body


def test_an_eviction_is_its_own_reason_not_an_exit(svc, mem):
    from hosting.orchestration import instances
    from hosting.runtimes.base import Observed
    from tests.base import make_version

    dead = Observed(name="h-1", id="x", state="exited", exit_code=137,
                    error="Evicted by the node: over 16Mi.", evicted="over 16Mi.")
    why, detail = instances.describe_exit(mem, make_version(svc), dead)
    assert (why.code, why.params) == ("failure.evicted", {"message": "over 16Mi."})
    assert why.text("en") == "The node evicted the instance: over 16Mi."
    assert why.text("zh-hans") == "节点驱逐了该实例：over 16Mi."
    assert "Evicted by the node: over 16Mi." in detail  # the engine's words stay in the detail


def test_a_reason_inside_a_reason_is_translated_too():
    why = reasons.reason("instance.replaced", instance="h-1",
                         why=reasons.reason("failure.exited", exit_code=1, port=80).as_param())
    assert why.text("en") == ("Instance h-1 stopped; replacing it. The container exited with "
                              "code 1 instead of serving on port 80.")
    assert why.text("zh-hans") == "实例 h-1 已停止，正在替换。容器以退出码 1 退出，未在端口 80 上提供服务。"


def test_a_status_parameter_reads_as_the_seeds_label():
    assert reasons.render("version.status", {"state": "adjusting"}, "zh-hans") == "状态变为：版本调整中。"


def test_an_unknown_code_is_refused_when_written():
    with pytest.raises(KeyError, match="unknown reason code"):
        reasons.reason("no.such.code")


def test_a_scaling_event_reads_in_both_languages(svc, mem):
    from hosting.domain import scaling

    version = deployed(svc, mem, min_replicas=0, max_replicas=3, traffic_policy="open_full")
    scaling.set_desired(version, 2, reasons.reason("scale.cpu_over", cpu=75, target=60))
    event = version.events.filter(kind="scale").last()
    with translation.override("en"):
        assert event.text == "Instances 1 → 2: CPU 75% over the 60% target"
    with translation.override("zh-hans"):
        assert event.text == "实例数 1 → 2：CPU 75% 超过目标 60%"
