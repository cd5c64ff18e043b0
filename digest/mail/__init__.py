"""Mail: message building (headers, MIME), unsubscribe tokens, transports, the send loop."""
