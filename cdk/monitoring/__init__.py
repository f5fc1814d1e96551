"""Monitoring: alarms, the dashboard, the drift Lambda and the Slack notifier."""
