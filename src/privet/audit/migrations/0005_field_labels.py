# Field labels in words, translatable (no SQL: labels live only in Python).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0004_events_append_only'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='action',
            field=models.CharField(max_length=100, verbose_name='what happened'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='actor',
            field=models.CharField(help_text='Who acted: an account, or a part of Privet that acts on its own.', max_length=150, verbose_name='who'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='created_at',
            field=models.DateTimeField(verbose_name='when'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='details',
            field=models.TextField(default='{}', verbose_name='details'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='hash',
            field=models.CharField(max_length=64, verbose_name='hash of this event'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='mac',
            field=models.CharField(max_length=64, verbose_name='seal'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='object_id',
            field=models.CharField(blank=True, max_length=100, verbose_name='object number'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='object_type',
            field=models.CharField(blank=True, max_length=100, verbose_name='type of object'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='policy_version',
            field=models.CharField(blank=True, max_length=64, verbose_name='policy version in force (hash)'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='prev_hash',
            field=models.CharField(max_length=64, unique=True, verbose_name='hash of the previous event'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='seq',
            field=models.BigIntegerField(primary_key=True, serialize=False, verbose_name='number'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='subject_ref',
            field=models.CharField(blank=True, help_text='Keyed pseudonym of the data subject, never the raw id.', max_length=64, verbose_name='person (pseudonym)'),
        ),
    ]
