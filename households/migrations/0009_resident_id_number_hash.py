"""Identity numbers encrypted at rest, step 1 of 3: room for the token and a column for the keyed hash, with no
unique index on the number any more (0011 puts it on the hash)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0008_resident_id_number_unique_message"),
    ]

    operations = [
        migrations.AddField(
            model_name="resident",
            name="id_number_hash",
            field=models.CharField(blank=True, editable=False, max_length=64, null=True, verbose_name="身份证号摘要"),
        ),
        migrations.AlterField(
            model_name="historicalresident",
            name="id_number",
            field=models.CharField(blank=True, max_length=255, null=True, verbose_name="身份证号"),
        ),
        migrations.AlterField(
            model_name="resident",
            name="id_number",
            field=models.CharField(blank=True, max_length=255, null=True, verbose_name="身份证号"),
        ),
    ]
