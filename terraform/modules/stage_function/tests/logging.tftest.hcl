# Plan-only checks of the function's logging configuration, with a mocked provider.

mock_provider "aws" {
  source = "../../testing/aws"
}

variables {
  name      = "sluice-processor"
  image_uri = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-processor@sha256:2222222222222222222222222222222222222222222222222222222222222222"
  trigger   = { type = "kinesis", source_arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/raw" }
}

run "json_logs_at_info_by_default" {
  command = plan

  assert {
    condition     = aws_lambda_function.this[0].logging_config[0].log_format == "JSON" && aws_lambda_function.this[0].logging_config[0].application_log_level == "INFO"
    error_message = "the function logs JSON at INFO, so Lambda sets AWS_LAMBDA_LOG_LEVEL for the stage's logger"
  }
  assert {
    condition     = aws_lambda_function.this[0].logging_config[0].log_group == "/aws/lambda/sluice-processor"
    error_message = "the function logs to the module's log group (its retention and key)"
  }
}

run "debug_when_asked" {
  command = plan
  variables { log_level = "DEBUG" }

  assert {
    condition     = aws_lambda_function.this[0].logging_config[0].application_log_level == "DEBUG"
    error_message = "the level variable reaches the function"
  }
}

run "no_level_that_drops_the_metric_lines" {
  command = plan
  variables { log_level = "WARN" }
  expect_failures = [var.log_level]
}
