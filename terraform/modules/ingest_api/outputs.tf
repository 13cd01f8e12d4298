output "url" {
  description = "POST events to <url>/events."
  value       = aws_apigatewayv2_api.this.api_endpoint
}

output "api_id" {
  description = "The HTTP API."
  value       = aws_apigatewayv2_api.this.id
}
