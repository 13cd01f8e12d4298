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

run "lambda_platform_lines_and_tracing_by_default" {
  command = plan

  assert {
    condition     = output.observability == { tracing_mode = "Active", application_log_level = "INFO", system_log_level = "INFO" }
    error_message = "on its own the module keeps Lambda's defaults: its START/END/REPORT lines (INFO) and active tracing"
  }
  assert {
    condition     = one([for s in output.policy_statements : s if s.sid == "Traces"]).actions == ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    error_message = "an actively traced function may send its segments (Lambda refuses Active tracing without them)"
  }
}

run "no_platform_lines_no_tracing_when_asked" {
  command = plan
  variables {
    system_log_level = "WARN"
    tracing          = false
  }

  assert {
    condition     = output.observability == { tracing_mode = "PassThrough", application_log_level = "INFO", system_log_level = "WARN" }
    error_message = "WARN keeps Lambda's INFO lines (START, END, REPORT) out; PassThrough records no traces"
  }
  assert {
    condition     = length([for s in output.policy_statements : s if s.sid == "Traces"]) == 0
    error_message = "no X-Ray grant when the function is not traced"
  }
}

run "no_system_level_lambda_does_not_have" {
  command = plan
  variables { system_log_level = "ERROR" }
  expect_failures = [var.system_log_level]
}
