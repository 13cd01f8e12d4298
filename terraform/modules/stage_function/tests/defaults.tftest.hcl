# Plan-only checks of the trigger's safe defaults, with a mocked provider.

mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
}

variables {
  name      = "sluice-processor"
  image_uri = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-processor@sha256:2222222222222222222222222222222222222222222222222222222222222222"
  trigger   = { type = "kinesis", source_arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/raw" }
}

run "kinesis_trigger_defaults" {
  command = plan

  assert {
    condition     = aws_lambda_event_source_mapping.kinesis[0].function_response_types == toset(["ReportBatchItemFailures"])
    error_message = "the trigger must report batch item failures"
  }
  assert {
    condition     = aws_lambda_event_source_mapping.kinesis[0].bisect_batch_on_function_error == true
    error_message = "the trigger must bisect on error"
  }
  assert {
    condition     = aws_lambda_event_source_mapping.kinesis[0].maximum_retry_attempts == 10 && aws_lambda_event_source_mapping.kinesis[0].maximum_record_age_in_seconds == 86400
    error_message = "retries and record age must be finite"
  }
  assert {
    condition     = length(aws_lambda_event_source_mapping.kinesis[0].destination_config) == 1
    error_message = "records that exhaust their retries must go to an on-failure destination"
  }
  assert {
    condition     = aws_lambda_event_source_mapping.kinesis[0].tumbling_window_in_seconds == null
    error_message = "no tumbling window unless asked for"
  }
  assert {
    condition     = aws_lambda_function.this.image_uri == var.image_uri && aws_lambda_function.this.package_type == "Image"
    error_message = "the function runs its pinned image"
  }
  assert {
    condition     = aws_lambda_function.this.reserved_concurrent_executions == 20 && aws_cloudwatch_log_group.this.retention_in_days == 365
    error_message = "reserved concurrency and log retention are set"
  }
  assert {
    condition     = length(aws_cloudwatch_metric_alarm.iterator_age) == 1
    error_message = "a Kinesis stage has an iterator-age alarm"
  }
}

run "tumbling_window_for_the_monitor" {
  command = plan

  variables {
    trigger = { type = "kinesis", source_arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/clean", tumbling_window_seconds = 60 }
  }

  assert {
    condition     = aws_lambda_event_source_mapping.kinesis[0].tumbling_window_in_seconds == 60
    error_message = "the tumbling window is passed to the mapping"
  }
}

run "sqs_trigger_reports_failures" {
  command = plan

  variables {
    trigger = { type = "sqs", source_arn = "arn:aws:sqs:eu-west-1:123456789012:loader" }
  }

  assert {
    condition     = aws_lambda_event_source_mapping.sqs[0].function_response_types == toset(["ReportBatchItemFailures"])
    error_message = "the SQS trigger reports batch item failures"
  }
}

run "an_unpinned_image_is_refused" {
  command = plan

  variables {
    image_uri = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-processor:latest"
  }

  expect_failures = [var.image_uri]
}

run "infinite_retries_are_refused" {
  command = plan

  variables {
    trigger = { type = "kinesis", source_arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/raw", maximum_retry_attempts = -1 }
  }

  expect_failures = [var.trigger]
}

run "what_is_given_up_on_and_configuration_errors_alarm_at_once" {
  command = plan

  variables {
    metrics_stage = "processor"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.undelivered.metric_name == "ApproximateAgeOfOldestMessage" && aws_cloudwatch_metric_alarm.undelivered.threshold == 0 && aws_cloudwatch_metric_alarm.undelivered.dimensions.QueueName == "sluice-processor-on-failure"
    error_message = "any message on the on-failure queue must alarm"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.configuration_errors[0].dimensions.Stage == "processor" && aws_cloudwatch_metric_alarm.configuration_errors[0].threshold == 0 && aws_cloudwatch_metric_alarm.configuration_errors[0].evaluation_periods == 1
    error_message = "a configuration error must alarm at once"
  }
}
