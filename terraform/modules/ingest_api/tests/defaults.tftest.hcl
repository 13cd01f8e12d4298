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
    )
    error_message = "create = false creates nothing"
  }
  assert {
    condition = (
      output.url == null
      && output.api_id == null
      && output.write_keys_secret_arn == null
    )
    error_message = "every output is null when nothing is created"
  }
}
