"""Each grid's stored season figures (heating/grid_figures.py) and the nightly rebuild's beat entry."""

import django.db.models.deletion
from django.db import migrations, models

from core.beat import BeatEntry, beat_functions

BEAT = [
    BeatEntry(
        "供暖统计（每晚）",
        "heating.tasks.rebuild_heating_figures",
        "45",
        "2",
        "*",
        "每晚 02:45 重新统计各网格各供暖季的测温、低于标准和报修户数，供供暖页面汇总",
    ),
]

forwards, backwards = beat_functions(BEAT)


class Migration(migrations.Migration):

    dependencies = [
        ('grids', '0004_coverage_snapshot'),
        ('heating', '0002_roles'),
        ('django_celery_beat', '0019_alter_periodictasks_options'),
    ]

    operations = [
        migrations.CreateModel(
            name='GridSeasonFigures',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('households', models.PositiveIntegerField(default=0, verbose_name='户数')),
                ('inspected', models.PositiveIntegerField(default=0, verbose_name='已测温')),
                ('ticket', models.PositiveIntegerField(default=0, verbose_name='已报修未结')),
                ('cold', models.PositiveIntegerField(default=0, verbose_name='低于标准')),
                ('warm', models.PositiveIntegerField(default=0, verbose_name='达标')),
                ('none', models.PositiveIntegerField(default=0, verbose_name='未测温')),
                ('below_priority', models.PositiveIntegerField(default=0, verbose_name='低于标准的重点人群户')),
                ('readings', models.PositiveIntegerField(default=0, verbose_name='读数')),
                ('reading_sum', models.DecimalField(decimal_places=1, default=0, max_digits=12, verbose_name='读数合计')),
                ('lowest', models.DecimalField(blank=True, decimal_places=1, max_digits=3, null=True, verbose_name='最低室温（℃）')),
                ('below_first', models.JSONField(blank=True, default=list, verbose_name='低于标准的居民户（前若干户）')),
                ('buildings', models.JSONField(blank=True, default=dict, verbose_name='各楼宇')),
                ('refreshed_at', models.DateTimeField(verbose_name='统计时间')),
                ('grid', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='grids.grid', verbose_name='网格')),
                ('season', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='grid_figures', to='heating.heatingseason', verbose_name='供暖季')),
            ],
            options={
                'verbose_name': '网格供暖统计',
                'verbose_name_plural': '网格供暖统计',
                'constraints': [models.UniqueConstraint(fields=('season', 'grid'), name='gridseasonfigures_unique')],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
