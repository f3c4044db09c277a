"""The accounts app's default beat entry: the sweep that sends what is still pending."""

from django.db import migrations

from core.beat import BeatEntry, beat_functions

BEAT = [
    BeatEntry("补发通知", "accounts.tasks.deliver_notifications", "*/10", "*", "*", "每 10 分钟补发未送达的邮件和短信"),
]

forwards, backwards = beat_functions(BEAT)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_smsmessage"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
