"""Service levels: the clocks, the sweep, the policy rules and their editor, OLA, SLA notifications."""
