"""The hairkg web service: a thin Flask layer over `kb`."""
