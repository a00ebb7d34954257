"""Running the service: ``hairkg serve`` (prepare the store, run gunicorn), the bounded-read
gunicorn worker, the answer front that serves repeated queries before Flask, and the per-client
rate limit."""
