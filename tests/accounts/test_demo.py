import pytest
from django.core.management import call_command

from accounts.demo import load_demo
from accounts.models import BrandAccount, Membership, SocialHandle, User
from accounts.roles import Role


def table_counts():
    return [model.objects.count() for model in (BrandAccount, SocialHandle, Membership, User)]


def test_it_tells_the_airline_story_with_staff_in_every_role(db):
    assert load_demo() == {"created": True}
    kinds = set(BrandAccount.objects.values_list("kind", flat=True))
    assert {"main", "deals", "product"} <= kinds
    assert BrandAccount.objects.filter(kind="product").count() == 2
    assert set(Membership.objects.values_list("role", flat=True)) == set(Role)
    assert all(account.handles.exists() for account in BrandAccount.objects.all())
    assert User.objects.filter(is_superuser=True).count() == 1
    assert User.objects.filter(is_staff=False).count() >= 3  # customers


def test_it_changes_nothing_the_second_time(db):
    load_demo()
    before = table_counts()
    assert load_demo() == {"created": False}
    assert table_counts() == before


def test_the_command_only_loads_into_an_empty_database_when_asked(db, capsys, main_account):
    call_command("demo", "--if-empty")
    assert "not loaded" in capsys.readouterr().out
    assert not BrandAccount.objects.filter(slug="hanbit-air").exists()


def test_with_debug_off_it_refuses_to_create_the_demo_logins_unless_told(db, settings):
    from django.core.management.base import CommandError

    settings.PRODUCTION = True  # DEBUG=0
    with pytest.raises(CommandError, match="--yes-create-demo-logins"):
        call_command("demo")
    assert not User.objects.exists()


def test_told_with_debug_off_it_warns_naming_the_logins_it_made(db, settings, capsys, tmp_path):
    settings.EMBEDDED = True  # make run
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("demo", "--yes-create-demo-logins")
    warning = capsys.readouterr().err
    assert "WARNING" in warning and "published password" in warning
    assert "admin@hanbit-air.example" in warning and "alice@hanbit-air.example" in warning


def test_it_leaves_the_site_domain_to_public_base_url(db):
    from django.contrib.sites.models import Site

    Site.objects.filter(pk=1).update(domain="chorus.example.com")
    load_demo()
    assert Site.objects.get(pk=1).domain == "chorus.example.com"
