"""English and Simplified Chinese: the language switch, the seed's wording for states and
fields, and the domain's messages translated too."""
import pytest
from django.urls import reverse
from django.utils import translation

from hosting.status import VersionStatus
from tests.base import make_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def chinese(alice):
    response = alice.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert response.status_code == 302
    return alice


def test_language_switch_turns_the_console_chinese(world, chinese):
    body = chinese.get(reverse("home")).content.decode()
    assert 'lang="zh-hans"' in body and "项目" in body and "公共实例" in body


def test_status_labels_use_the_seeds_wording(world, chinese):
    svc = world["svc"]
    states = [VersionStatus.NORMAL, VersionStatus.DEPLOY_FAILED, VersionStatus.CREATING]
    for status in states:
        version = make_version(svc)
        if status != VersionStatus.CREATING:
            version.set_status(status)
    body = chinese.get(reverse("service", args=[svc.pk])).content.decode()
    for label in ("正常", "部署失败", "创建中"):
        assert label in body
    with translation.override("zh-hans"):
        assert str(VersionStatus.ADJUSTING.label) == "版本调整中"


def test_wizard_uses_the_seeds_wording(world, chinese, fake_tags):
    svc = world["svc"]
    step1 = chinese.get(reverse("version_new", args=[svc.pk])).content.decode()
    for text in ("版本配置", "托管配置", "镜像", "服务端口", "流量策略", "版本描述", "下一步", "查看上传指引",
                 "部署完成后保持流量为0稍后再手动调整流量", "一个服务可同时存在最多 10 个版本"):
        assert text in step1, text
    chinese.post(reverse("version_new", args=[svc.pk]),
                 {"image_tag": "v1", "port": "80", "traffic_policy": "keep_zero"})
    step2 = chinese.get(reverse("version_new_hosting", args=[svc.pk])).content.decode()
    for text in ("资源规格", "副本个数", "日志采集路径", "环境变量", "开始部署", "上一步",
                 "再次冷启动时，可能有30秒服务延迟", "仍然会有实例在运行并产生费用", "合理设定最大实例数"):
        assert text in step2, text


def test_rule_messages_are_translated(world, chinese, fake_tags):
    response = chinese.post(reverse("version_new", args=[world["svc"].pk]),
                            {"image_tag": "", "port": "0", "traffic_policy": "keep_zero",
                             "description": "长" * 51})
    body = response.content.decode()
    assert "port 必须是 1 到 65535 之间的整数" in body
    assert "版本描述不超过 50 个字符（当前 51 个）" in body
    assert "请选择镜像" in body


def test_every_console_string_has_a_chinese_translation():
    """No empty msgstr in the catalogue (run makemessages + fill when adding strings)."""
    from pathlib import Path

    po = (Path(__file__).resolve().parents[2] / "locale/zh_Hans/LC_MESSAGES/django.po").read_text()
    entries = po.split("\n\n")[1:]
    untranslated = [e for e in entries if e.strip() and ('msgstr ""' in e.splitlines()[-1] and
                                                          e.splitlines()[-1] == 'msgstr ""')]
    assert untranslated == []
