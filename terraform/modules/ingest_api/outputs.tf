output "url" {
  description = "POST events to <url>/events: the HTTP API's URL or the function URL (no trailing slash), the CDN's origin."
  value       = local.http_api ? try(aws_apigatewayv2_api.this[0].api_endpoint, null) : try(trimsuffix(aws_lambda_function_url.ingest[0].function_url, "/"), null)
}

output "endpoint" {
  description = "http_api or function_url (null when nothing is created)."
  value       = var.create ? var.endpoint : null
}

output "api_id" {
  description = "The HTTP API (null with a function URL)."
  value       = try(aws_apigatewayv2_api.this[0].id, null)
}

# Since October 2025 a function URL needs lambda:InvokeFunction beside lambda:InvokeFunctionUrl
# (Lambda Developer Guide, "Control access to Lambda function URLs"), the former conditioned on
# lambda:InvokedViaFunctionUrl so that the function is not public to every AWS account's Invoke
# API. aws_lambda_function_url adds the InvokeFunctionUrl statement; aws_lambda_permission can
# state the condition only from provider 6.29 (invoked_via_function_url), above this module's
# 5.40 floor, and without it the statement would let anyone call Invoke. So the one statement
# is a step of the runbook, this command (idempotent: a second run says it exists).
output "function_url_invoke_permission_command" {
  description = "With a function URL: the AWS CLI command that adds the lambda:InvokeFunction statement (conditioned on lambda:InvokedViaFunctionUrl) the URL needs since October 2025; run it once after the first apply (null with the HTTP API)."
  value       = local.function_url ? "aws lambda add-permission --function-name ${var.function_name} --statement-id FunctionURLAllowInvokeAction --action lambda:InvokeFunction --principal '*' --invoked-via-function-url" : null
}

output "write_keys_secret_arn" {
  description = "The per-site write keys (null unless authorizer = \"write_key\"): SLUICE_WRITE_KEYS_SECRET_ARN of ingest."
  value       = try(aws_secretsmanager_secret.write_keys[0].arn, null)
}
