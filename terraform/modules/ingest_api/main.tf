resource "aws_apigatewayv2_api" "this" {
  count         = var.create ? 1 : 0
  name          = var.name
  protocol_type = "HTTP"
  description   = "Sluice: players POST events here"

  cors_configuration {
    allow_origins = var.cors_allow_origins
    allow_methods = ["POST", "OPTIONS"]
    allow_headers = ["content-type", "content-encoding", "authorization"]
    max_age       = 86400
  }

  tags = var.tags
}

resource "aws_apigatewayv2_authorizer" "jwt" {
  count            = var.create && var.authorizer == "jwt" ? 1 : 0
  api_id           = aws_apigatewayv2_api.this[0].id
  name             = "${var.name}-jwt"
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    issuer   = var.jwt_issuer
    audience = var.jwt_audience
  }
}

resource "aws_apigatewayv2_integration" "ingest" {
  count                  = var.create ? 1 : 0
  api_id                 = aws_apigatewayv2_api.this[0].id
  integration_type       = "AWS_PROXY"
  integration_uri        = var.function_invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = 29000
}

# Player events (JSON) on /events; CMCD reports (players' own, application/cmcd) on /cmcd.
resource "aws_apigatewayv2_route" "ingest" {
  for_each  = toset(var.create ? ["/events", "/cmcd"] : [])
  api_id    = aws_apigatewayv2_api.this[0].id
  route_key = "POST ${each.key}"
  target    = "integrations/${aws_apigatewayv2_integration.ingest[0].id}"
  #checkov:skip=CKV_AWS_309:browsers (sendBeacon) and CMCD reporting cannot sign or set headers: by default ingest checks a per-site write key from the URL (authorizer = "write_key"); "jwt" and "iam" are here for server-side senders
  authorization_type = var.authorizer == "jwt" ? "JWT" : (var.authorizer == "iam" ? "AWS_IAM" : "NONE")
  authorizer_id      = var.authorizer == "jwt" ? aws_apigatewayv2_authorizer.jwt[0].id : null
}

moved {
  from = aws_apigatewayv2_route.events
  to   = aws_apigatewayv2_route.ingest["/events"]
}

resource "aws_cloudwatch_log_group" "access" {
  count             = var.create ? 1 : 0
  name              = "/aws/apigateway/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

resource "aws_apigatewayv2_stage" "default" {
  count       = var.create ? 1 : 0
  api_id      = aws_apigatewayv2_api.this[0].id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_burst_limit = var.throttling_burst_limit
    throttling_rate_limit  = var.throttling_rate_limit
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access[0].arn
    # No source IP: an access-log format cannot truncate a value, and ingest keeps only the /24
    # (/48) prefix; the request id joins a log line to the events it carried.
    format = jsonencode({
      requestId      = "$context.requestId"
      requestTime    = "$context.requestTime"
      routeKey       = "$context.routeKey"
      status         = "$context.status"
      responseLength = "$context.responseLength"
      latencyMs      = "$context.integrationLatency"
      error          = "$context.integrationErrorMessage"
    })
  }

  tags = var.tags
}

resource "aws_lambda_permission" "api" {
  count         = var.create ? 1 : 0
  statement_id  = "AllowHttpApi"
  action        = "lambda:InvokeFunction"
  function_name = var.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this[0].execution_arn}/*/POST/*" # the routes above, POST only
}

# --- per-site write keys (authorizer = "write_key") -------------------------------------------
# Created empty ({}); operators add, rotate and revoke keys in the secret itself
# (`aws secretsmanager put-secret-value`), and ingest picks them up within a minute: no deploy.
resource "aws_secretsmanager_secret" "write_keys" {
  #checkov:skip=CKV_AWS_149:write keys ship inside web pages and player configs; they are not confidential, so the AWS-managed key suffices
  #checkov:skip=CKV2_AWS_57:keys are rotated by the operator per site (two keys live during a change), not by a rotation Lambda
  count       = var.create && var.authorizer == "write_key" ? 1 : 0
  name        = "${var.name}-write-keys"
  description = "Sluice ingest: per-site write keys {\"<site>\": \"<key>\"}, read by ingest every minute."
  tags        = var.tags
}

resource "aws_secretsmanager_secret_version" "write_keys" {
  count         = var.create && var.authorizer == "write_key" ? 1 : 0
  secret_id     = aws_secretsmanager_secret.write_keys[0].id
  secret_string = "{}"

  lifecycle {
    ignore_changes = [secret_string] # the keys are the operators', not Terraform's
  }
}
