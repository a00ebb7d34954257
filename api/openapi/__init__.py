"""The OpenAPI 3.1 document of the JSON API (written by hand next to the routes), the editor
API's paths, the builders both share, and the docs page drawn from it."""
