"""The Weitao backend that Chalice ships: api → services → store/domain, and events for queues and schedules."""
