"""Links from Pic-Time stored before they were checked (pictime.schemas.UrlPolicy): an unsafe one
(a scheme other than https, credentials in it, a host that is not Pic-Time's...) is blanked, so that
it never becomes an href or src. The panel then says to click Sync, which brings Pic-Time's current,
checked value."""

from django.db import migrations

FIELDS = ("cover_url", "public_url", "edit_url")


def blank_unsafe_links(apps, schema_editor):
    from pictime.schemas import current_url_policy

    url_policy = current_url_policy()

    GalleryLink = apps.get_model("pictime", "GalleryLink")
    unsafe = []
    for link in GalleryLink.objects.only("pk", *FIELDS).iterator(chunk_size=2000):
        refused = [name for name in FIELDS if getattr(link, name) and url_policy.problem(getattr(link, name))]
        for name in refused:
            setattr(link, name, "")
        if refused:
            unsafe.append(link)
    GalleryLink.objects.bulk_update(unsafe, FIELDS, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("pictime", "0005_webhook_event_queued_index")]

    operations = [migrations.RunPython(blank_unsafe_links, migrations.RunPython.noop)]
