from django.db import migrations


def backfill_profiles(apps, schema_editor):
    User = apps.get_model("members", "User")
    Profile = apps.get_model("members", "Profile")
    missing = User.objects.filter(profile__isnull=True).values_list("pk", flat=True)
    batch = []
    for user_id in missing.iterator():
        batch.append(Profile(user_id=user_id))
        if len(batch) >= 500:
            Profile.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    if batch:
        Profile.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("members", "0002_profiles_email_preferences_digests")]

    operations = [migrations.RunPython(backfill_profiles, migrations.RunPython.noop)]
