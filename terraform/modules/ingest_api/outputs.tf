output "url" {
  description = "POST events to <url>/events."
  value       = try(aws_apigatewayv2_api.this[0].api_endpoint, null)
}

output "api_id" {
  description = "The HTTP API."
  value       = try(aws_apigatewayv2_api.this[0].id, null)
}

output "write_keys_secret_arn" {
  description = "The per-site write keys (null unless authorizer = \"write_key\"): SLUICE_WRITE_KEYS_SECRET_ARN of ingest."
  value       = try(aws_secretsmanager_secret.write_keys[0].arn, null)
}
