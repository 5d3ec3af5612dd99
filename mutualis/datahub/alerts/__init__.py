"""Alert rules on sensor data that open service-desk tickets (issue 7, clause 3).

- `validation.check_rule`: what the back-office refuses, in words a person can act on;
- `evaluate.on_changes`: called by the hub's write verbs, in their transaction, for every
  batch of changes (`subscriptions.notify.entities_changed`);
- `sweep.alert_sweep`: the periodic job for silences, elapsed durations and daily means;
- `tickets`: what a firing or cleared alert does to the service desk.
"""
