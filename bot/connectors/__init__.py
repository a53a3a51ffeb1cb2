"""Connectors: each turns a platform's events into neutral messages and renders the replies.

Every connector has the shape of `connector.Connector`, and their modules are named alike:
`connector` (its lifecycle and the brain's port), `client` (the platform's API), `incoming`
(events in), `outgoing` (messages out), `publish` (the call, from the command line).
`registry` says which ones `tremplin run` starts.
"""
