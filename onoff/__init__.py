"""The control loop: every minute, decide per room, drive valves and boiler, record why."""
