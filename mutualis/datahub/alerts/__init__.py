"""Alert rules on sensor data that open service-desk tickets (issue 7, clause 3).

- `validation.check_rule`: what the back-office refuses, in words a person can act on;
- `evaluate.on_changes`: called by the hub's write verbs, in their transaction, for every
  batch of changes (`subscriptions.notify.entities_changed`);
- `evaluate.on_deleting`: called by the delete verbs before the entities go, so that a
  firing alert's ticket is told its sensor was deleted;
- `machine`: the states' transitions, hysteresis in time for rules without one in value;
- `sweep.alert_sweep`: the periodic job for silences, elapsed durations, daily means and
  alerts back to normal long enough;
- `tickets`: what a firing or cleared alert does to the service desk;
- `kept_tickets`: how long a deleted sensor's open ticket waits for a sensor created again
  under its id, and the daily job forgetting those no sensor can go on with.
"""
