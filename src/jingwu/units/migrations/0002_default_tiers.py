"""The five default patrol tiers (五级巡防); names can be changed in the back office."""

from django.db import migrations

TIERS = [
    (1, "巡逻警车", "派出所、警务站的巡逻车组"),
    (2, "警务站民警", "警务站民警，步巡或电动车巡逻"),
    (3, "辅警巡逻", "辅警巡逻队"),
    (4, "物业保安", "物业、企业保安力量"),
    (5, "平安志愿者", "群防群治志愿者"),
]


def add_tiers(apps, schema_editor):
    Tier = apps.get_model("units", "Tier")
    for level, name, description in TIERS:
        Tier.objects.get_or_create(level=level, defaults={"name": name, "description": description})


class Migration(migrations.Migration):
    dependencies = [("units", "0001_initial")]
    operations = [migrations.RunPython(add_tiers, migrations.RunPython.noop)]
