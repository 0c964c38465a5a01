package web

// WebhookSecret is the secret the payment gateway signs its webhooks
// with, for the external tests that play the gateway.
func WebhookSecret(s *Server) []byte { return s.third.services.Gateway.WebhookSecret() }
