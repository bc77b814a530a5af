"""HTTP: one blueprint per resource; a route parses, validates, makes one service call and shapes the answer."""
