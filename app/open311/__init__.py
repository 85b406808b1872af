"""The Open311 GeoReport v2 gateway: other systems read the public view of cases, post new."""
