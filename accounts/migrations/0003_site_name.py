"""Name the default Site "Chorus" (allauth puts it in every email); operators set the domain in admin."""

from django.db import migrations


def name_site(apps, schema_editor):
    Site = apps.get_model("sites", "Site")
    Site.objects.filter(pk=1, domain="example.com").update(domain="localhost:8000", name="Chorus")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_cache_table"), ("sites", "0002_alter_domain_unique")]

    operations = [migrations.RunPython(name_site, migrations.RunPython.noop)]
