"""Pic-Time use cases, one module per area: connection, galleries (the panel), autocreate, sync,
webhooks. Views, tasks, the admin and the API call these; they call Pic-Time through pictime.client.
"""
