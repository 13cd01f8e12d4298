# Plan-only checks of the ingest API, with a mocked provider.

mock_provider "aws" {
  source = "../../testing/aws"
}

variables {
  name                = "sluice"
  function_name       = "sluice-ingest"
  function_invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:sluice-ingest/invocations"
  authorizer          = "write_key"
}

run "two_post_routes_and_the_write_keys" {
  command = plan

  assert {
    condition     = toset([for route in aws_apigatewayv2_route.ingest : route.route_key]) == toset(["POST /events", "POST /cmcd"])
    error_message = "players POST to /events and /cmcd, nothing else"
  }
  assert {
    condition     = length(aws_secretsmanager_secret.write_keys) == 1 && length(aws_apigatewayv2_authorizer.jwt) == 0
    error_message = "the write_key authorizer keeps its keys in a secret and makes no JWT authorizer"
  }
  assert {
    condition     = output.endpoint == "http_api" && length(aws_lambda_function_url.ingest) == 0 && output.function_url_invoke_permission_command == null
    error_message = "the HTTP API by default, and no function URL"
  }
}

# The function URL instead of the HTTP API: no API, routes, stage, access log or API permission;
# the write keys are still ingest's to check.
run "a_function_url_instead_of_the_http_api" {
  command = plan

  variables {
    endpoint        = "function_url"
    origin_verified = true
  }

  override_resource {
    target          = aws_lambda_function_url.ingest
    values          = { function_url = "https://abcdefghij.lambda-url.eu-west-1.on.aws/" }
    override_during = plan
  }

  assert {
    condition = (
      length(aws_apigatewayv2_api.this) == 0
      && length(aws_apigatewayv2_integration.ingest) == 0
      && length(aws_apigatewayv2_route.ingest) == 0
      && length(aws_apigatewayv2_stage.default) == 0
      && length(aws_cloudwatch_log_group.access) == 0
      && length(aws_lambda_permission.api) == 0
    )
    error_message = "no API Gateway with a function URL"
  }
  assert {
    condition     = aws_lambda_function_url.ingest[0].function_name == "sluice-ingest" && aws_lambda_function_url.ingest[0].authorization_type == "NONE" && aws_lambda_function_url.ingest[0].invoke_mode == "BUFFERED"
    error_message = "the ingest function's own URL, unsigned (browsers and CMCD players cannot sign), answering once"
  }
  assert {
    condition     = length(aws_lambda_function_url.ingest[0].cors) == 0
    error_message = "ingest answers CORS itself; a URL cors block would answer preflights in its place"
  }
  assert {
    condition     = output.url == "https://abcdefghij.lambda-url.eu-west-1.on.aws" && output.endpoint == "function_url" && output.api_id == null
    error_message = "the URL, without its trailing slash, is the CDN's origin"
  }
  assert {
    condition     = length(aws_secretsmanager_secret.write_keys) == 1
    error_message = "the write keys are checked by ingest either way"
  }
  assert {
    condition     = output.function_url_invoke_permission_command == "aws lambda add-permission --function-name sluice-ingest --statement-id FunctionURLAllowInvokeAction --action lambda:InvokeFunction --principal '*' --invoked-via-function-url"
    error_message = "the runbook's one CLI step: InvokeFunction only through the URL"
  }
}

run "a_function_url_takes_no_jwt_authorizer" {
  command = plan

  variables {
    endpoint        = "function_url"
    origin_verified = true
    authorizer      = "jwt"
    jwt_issuer      = "https://auth.example.com/"
    jwt_audience    = ["players"]
  }

  expect_failures = [aws_lambda_function_url.ingest]
}

run "a_function_url_with_no_cdn_in_front_is_refused" {
  command = plan

  variables {
    endpoint = "function_url"
  }

  expect_failures = [aws_lambda_function_url.ingest]
}

run "an_unknown_endpoint_is_refused" {
  command = plan

  variables {
    endpoint = "alb"
  }

  expect_failures = [var.endpoint]
}

run "create_false_creates_nothing" {
  command = plan

  variables {
    create = false
  }

  assert {
    condition = (
      length(aws_apigatewayv2_api.this) == 0
      && length(aws_apigatewayv2_integration.ingest) == 0
      && length(aws_cloudwatch_log_group.access) == 0
      && length(aws_apigatewayv2_stage.default) == 0
      && length(aws_lambda_permission.api) == 0
      && length(aws_apigatewayv2_authorizer.jwt) == 0
      && length(aws_apigatewayv2_route.ingest) == 0
      && length(aws_secretsmanager_secret.write_keys) == 0
      && length(aws_secretsmanager_secret_version.write_keys) == 0
      && length(aws_lambda_function_url.ingest) == 0
    )
    error_message = "create = false creates nothing"
  }
  assert {
    condition = (
      output.url == null
      && output.api_id == null
      && output.write_keys_secret_arn == null
      && output.endpoint == null
      && output.function_url_invoke_permission_command == null
    )
    error_message = "every output is null when nothing is created"
  }
}
