"""Two indexes found missing by the benchmarks (bench/, docs/benchmarks-history.md), at 1,000,000
tickets and a member holding 65,000 of them:

- (member, category, id): a member's list of one category, newest first, and its capped
  count, read from the index; before, every ticket of the member was read (150 ms).
- (member, number): a member's ticket page, found by number; (operator, number) is unique
  but a member's lookup does not name the operator, so the member's tickets were read
  one by one (11 ms).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0002_search_indexes")]

    operations = [
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["member", "category", "id"], name="ticket_member_category_id"),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["member", "number"], name="ticket_member_number"),
        ),
    ]
