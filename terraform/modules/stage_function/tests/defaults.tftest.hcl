# Plan-only checks of the trigger's safe defaults, with a mocked provider.

mock_provider "aws" {
  source = "../../testing/aws"
}

variables {
  name      = "sluice-processor"
  image_uri = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-processor@sha256:2222222222222222222222222222222222222222222222222222222222222222"
  trigger   = { type = "kinesis", source_arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/raw" }
}

run "kinesis_trigger_defaults" {
  command = plan

  assert {
    condition     = aws_lambda_event_source_mapping.kinesis["trigger"].function_response_types == toset(["ReportBatchItemFailures"])
    error_message = "the trigger must report batch item failures"
  }
  assert {
    condition     = aws_lambda_event_source_mapping.kinesis["trigger"].bisect_batch_on_function_error == true
    error_message = "the trigger must bisect on error"
  }
  assert {
    condition     = aws_lambda_event_source_mapping.kinesis["trigger"].maximum_retry_attempts == 10 && aws_lambda_event_source_mapping.kinesis["trigger"].maximum_record_age_in_seconds == 86400
    error_message = "retries and record age must be finite"
  }
  assert {
    condition     = length(aws_lambda_event_source_mapping.kinesis["trigger"].destination_config) == 1
    error_message = "records that exhaust their retries must go to an on-failure destination"
  }
  assert {
    condition     = aws_lambda_event_source_mapping.kinesis["trigger"].tumbling_window_in_seconds == null
    error_message = "no tumbling window unless asked for"
  }
  assert {
    condition     = aws_lambda_function.this[0].image_uri == var.image_uri && aws_lambda_function.this[0].package_type == "Image"
    error_message = "the function runs its pinned image"
  }
  assert {
    condition     = aws_lambda_function.this[0].reserved_concurrent_executions == 20 && aws_cloudwatch_log_group.this[0].retention_in_days == 365
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
    condition     = aws_lambda_event_source_mapping.kinesis["trigger"].tumbling_window_in_seconds == 60
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
    condition     = aws_cloudwatch_metric_alarm.undelivered[0].metric_name == "ApproximateAgeOfOldestMessage" && aws_cloudwatch_metric_alarm.undelivered[0].threshold == 0 && aws_cloudwatch_metric_alarm.undelivered[0].dimensions.QueueName == "sluice-processor-on-failure"
    error_message = "any message on the on-failure queue must alarm"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.configuration_errors[0].dimensions.Stage == "processor" && aws_cloudwatch_metric_alarm.configuration_errors[0].threshold == 0 && aws_cloudwatch_metric_alarm.configuration_errors[0].evaluation_periods == 1
    error_message = "a configuration error must alarm at once"
  }
}

# A second stream (the processor's CDN-log stream): its own mapping with the trigger's safe
# settings and on-failure queue, and the role may read it and nothing more.
run "an_additional_kinesis_source_maps_with_the_same_safe_settings" {
  command = plan

  variables {
    trigger = { type = "kinesis", source_arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/raw", batch_size = 500, parallelization_factor = 2 }
    additional_kinesis_sources = {
      cdn_logs = { source_arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/cdn-logs", starting_position = "LATEST" }
    }
  }

  assert {
    condition     = keys(aws_lambda_event_source_mapping.kinesis) == ["cdn_logs", "trigger"]
    error_message = "one mapping per stream"
  }
  assert {
    condition = (
      aws_lambda_event_source_mapping.kinesis["cdn_logs"].event_source_arn == "arn:aws:kinesis:eu-west-1:123456789012:stream/cdn-logs"
      && aws_lambda_event_source_mapping.kinesis["cdn_logs"].starting_position == "LATEST"
      && aws_lambda_event_source_mapping.kinesis["trigger"].starting_position == "TRIM_HORIZON"
    )
    error_message = "the additional mapping reads its own stream from its own starting position"
  }
  assert {
    condition = (
      aws_lambda_event_source_mapping.kinesis["cdn_logs"].function_response_types == toset(["ReportBatchItemFailures"])
      && aws_lambda_event_source_mapping.kinesis["cdn_logs"].bisect_batch_on_function_error == true
      && aws_lambda_event_source_mapping.kinesis["cdn_logs"].maximum_retry_attempts == 10
      && aws_lambda_event_source_mapping.kinesis["cdn_logs"].maximum_record_age_in_seconds == 86400
      && aws_lambda_event_source_mapping.kinesis["cdn_logs"].batch_size == 500
      && aws_lambda_event_source_mapping.kinesis["cdn_logs"].parallelization_factor == 2
      && length(aws_lambda_event_source_mapping.kinesis["cdn_logs"].destination_config) == 1
    )
    error_message = "the additional mapping reports batch item failures, bisects, retries finitely, batches as the trigger and has an on-failure destination"
  }
  assert {
    condition = (
      [for s in output.policy_statements : s.resources if s.sid == "ReadCdnLogs"] == [["arn:aws:kinesis:eu-west-1:123456789012:stream/cdn-logs"]]
      && [for s in output.policy_statements : s.resources if s.sid == "ReadTrigger"] == [["arn:aws:kinesis:eu-west-1:123456789012:stream/raw"]]
      # X-Ray's write actions alone cannot be scoped (the Traces statement, with tracing on).
      && alltrue([for s in output.policy_statements : !contains(s.resources, "*") if s.sid != "Traces"])
    )
    error_message = "the role reads each stream by its own statement, named, never *"
  }
}

run "no_additional_mapping_by_default" {
  command = plan

  assert {
    condition     = keys(aws_lambda_event_source_mapping.kinesis) == ["trigger"] && length([for s in output.policy_statements : s if startswith(s.sid, "Read")]) == 1
    error_message = "only the trigger's mapping and its read statement"
  }
}

run "an_additional_source_needs_a_kinesis_trigger" {
  command = plan

  variables {
    trigger                    = { type = "sqs", source_arn = "arn:aws:sqs:eu-west-1:123456789012:loader" }
    additional_kinesis_sources = { cdn_logs = { source_arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/cdn-logs" } }
  }

  expect_failures = [aws_lambda_function.this]
}

run "a_function_name_lambda_refuses_is_refused" {
  command = plan

  variables {
    name = "sluice.processor"
  }

  expect_failures = [var.name]
}

run "create_false_creates_nothing" {
  command = plan

  variables {
    create = false
  }

  assert {
    condition = (
      length(aws_iam_role.this) == 0
      && length(aws_iam_role_policy.this) == 0
      && length(aws_cloudwatch_log_group.this) == 0
      && length(aws_lambda_function.this) == 0
      && length(aws_cloudwatch_metric_alarm.errors) == 0
      && length(aws_cloudwatch_metric_alarm.throttles) == 0
      && length(aws_cloudwatch_metric_alarm.undelivered) == 0
      && length(aws_sqs_queue.on_failure) == 0
      && length(aws_sqs_queue.dead_letter) == 0
      && length(aws_lambda_event_source_mapping.kinesis) == 0
      && length(aws_lambda_event_source_mapping.sqs) == 0
      && length(aws_cloudwatch_metric_alarm.iterator_age) == 0
      && length(aws_cloudwatch_metric_alarm.configuration_errors) == 0
    )
    error_message = "create = false creates nothing"
  }
  assert {
    condition = (
      output.function_name == null
      && output.function_arn == null
      && output.invoke_arn == null
      && output.role_name == null
      && output.on_failure_queue_arn == null
      && output.event_source_mapping_uuid == null
      && output.event_source_mappings == {}
      && output.policy_statements == null
      && output.role_arn == null
      && output.undelivered_queue_name == null
      && output.environment == null
    )
    error_message = "every output is null when nothing is created"
  }
}
