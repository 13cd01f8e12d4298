# The HTTP front door of ingest: an HTTP API (endpoint = "http_api": routes, throttling, access
# logs, JWT and IAM authorizers) or the function's own URL (endpoint = "function_url": no API
# Gateway to pay for, meant to sit behind CloudFront, whose WAF rate-limits it and whose origin
# header ingest insists on). Either way ingest gets the same payload format 2.0 event.

locals {
  http_api     = var.create && var.endpoint == "http_api"
  function_url = var.create && var.endpoint == "function_url"
}

resource "aws_apigatewayv2_api" "this" {
  count         = local.http_api ? 1 : 0
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
  count            = local.http_api && var.authorizer == "jwt" ? 1 : 0
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
  count                  = local.http_api ? 1 : 0
  api_id                 = aws_apigatewayv2_api.this[0].id
  integration_type       = "AWS_PROXY"
  integration_uri        = var.function_invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = 29000
}

# Player events (JSON) on /events; CMCD reports (players' own, application/cmcd) on /cmcd.
resource "aws_apigatewayv2_route" "ingest" {
  for_each  = toset(local.http_api ? ["/events", "/cmcd"] : [])
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
  count             = local.http_api ? 1 : 0
  name              = "/aws/apigateway/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

resource "aws_apigatewayv2_stage" "default" {
  count       = local.http_api ? 1 : 0
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
  count         = local.http_api ? 1 : 0
  statement_id  = "AllowHttpApi"
  action        = "lambda:InvokeFunction"
  function_name = var.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this[0].execution_arn}/*/POST/*" # the routes above, POST only
}

# --- the function URL (endpoint = "function_url") ---------------------------------------------
# Auth NONE, as the HTTP API's routes are: players (fetch, sendBeacon) and CMCD reporting cannot
# sign a request. CloudFront's origin access control for Lambda would sign for them, but Lambda
# then wants the body's SHA-256 in x-amz-content-sha256 from the viewer on every POST (CloudFront
# Developer Guide, "Restrict access to an AWS Lambda function URL origin"), which neither can
# send. So the URL is public, and ingest refuses (403) any request without CloudFront's origin
# header, as it does behind the HTTP API; the WAF's rate limit is CloudFront's, in front of both.
resource "aws_lambda_function_url" "ingest" {
  #checkov:skip=CKV_AWS_258:browsers (sendBeacon) and CMCD reporting cannot sign; ingest refuses every request without CloudFront's origin header (x-sluice-origin-verify), and the WAF rate-limits in front
  count              = local.function_url ? 1 : 0
  function_name      = var.function_name
  authorization_type = "NONE"
  invoke_mode        = "BUFFERED" # ingest answers once, with what was stored
  # No cors block: ingest answers the preflight and sets the CORS headers itself
  # (SLUICE_CORS_ALLOW_ORIGINS), as it does behind the HTTP API.

  lifecycle {
    precondition {
      condition     = var.origin_verified
      error_message = "endpoint = \"function_url\" needs a CDN in front whose origin header ingest checks (origin_verified; in envs/aws, create_edge = true): a function URL has no throttle, and without CloudFront's WAF it would take any request from anyone."
    }
    precondition {
      condition     = contains(["write_key", "none"], var.authorizer)
      error_message = "endpoint = \"function_url\" takes authorizer write_key or none: the jwt and iam authorizers are the HTTP API's (use endpoint = \"http_api\" for them)."
    }
  }
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
