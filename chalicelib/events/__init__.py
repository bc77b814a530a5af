"""SQS consumers and schedules: parse the message (domain/messages.py), make one service call."""
