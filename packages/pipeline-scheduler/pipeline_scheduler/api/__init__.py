"""The REST API: routes, request payloads and the JSON documents they answer with."""
