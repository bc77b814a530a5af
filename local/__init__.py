"""Running the app without AWS: embedded moto server, queue workers, schedules, WebSocket bridge, demo data."""
