"""平急结合: emergency mode over parts of the map, its task templates, and roll-calls (叫应)."""
