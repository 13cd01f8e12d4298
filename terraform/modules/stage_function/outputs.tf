output "function_name" {
  description = "Function name."
  value       = try(aws_lambda_function.this[0].function_name, null)
}

output "function_arn" {
  description = "Function ARN."
  value       = try(aws_lambda_function.this[0].arn, null)
}

output "invoke_arn" {
  description = "For API Gateway integrations."
  value       = try(aws_lambda_function.this[0].invoke_arn, null)
}

output "role_name" {
  description = "The function's role."
  value       = try(aws_iam_role.this[0].name, null)
}

output "on_failure_queue_arn" {
  description = "Where records that exhausted their retries are described (null without a trigger)."
  value       = try(aws_sqs_queue.on_failure[0].arn, null)
}

output "event_source_mapping_uuid" {
  description = "The trigger's mapping."
  value       = try(aws_lambda_event_source_mapping.kinesis["trigger"].uuid, aws_lambda_event_source_mapping.sqs[0].uuid, null)
}

output "event_source_mappings" {
  description = "Every Kinesis mapping of the function: source name (trigger, or a key of additional_kinesis_sources) -> its stream ARN and starting position (empty without create_trigger)."
  value       = { for key, mapping in aws_lambda_event_source_mapping.kinesis : key => { source_arn = mapping.event_source_arn, starting_position = mapping.starting_position } }
}

output "policy_statements" {
  description = "What the function's role grants: sid, actions and resources of each statement of its policy."
  value       = var.create ? local.statements : null
}

output "role_arn" {
  description = "The function's execution role (map it in OpenSearch's fine-grained access control, for example)."
  value       = try(aws_iam_role.this[0].arn, null)
}

output "undelivered_queue_name" {
  description = "Where the records the stage gave up on wait: the on-failure queue (or dead-letter queue); read it with `sluice failed recover`."
  value       = local.undelivered_queue_name
}

output "environment" {
  description = "The function's environment variables (configuration only, never a secret)."
  value       = try(aws_lambda_function.this[0].environment[0].variables, null)
}

output "observability" {
  description = "What the function records of itself: its X-Ray tracing mode and its application and system (Lambda's own lines) log levels."
  value = try({
    tracing_mode          = aws_lambda_function.this[0].tracing_config[0].mode
    application_log_level = aws_lambda_function.this[0].logging_config[0].application_log_level
    system_log_level      = aws_lambda_function.this[0].logging_config[0].system_log_level
  }, null)
}
