"""The data hub's background tasks, imported at start by the jobs app (docs/jobs.md).

`jobs.py` of this app holds the temporal store's; these are the subscriptions' ones.
"""

from .alerts import sweep  # noqa: F401 - registers datahub.alert_sweep
from .subscriptions import delivery  # noqa: F401 - registers datahub.notify and datahub.expire_subscriptions
