data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  kinesis = var.trigger.type == "kinesis"
  sqs     = var.trigger.type == "sqs"
  # What Lambda may read a Kinesis trigger with (Lambda's own polling, and enhanced fan-out).
  kinesis_read = ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards", "kinesis:SubscribeToShard"]
  # Every stream the function reads, keyed by a name known at plan time (an ARN may not be): the
  # trigger's and the additional ones, each mapping with the same safe settings.
  kinesis_sources = local.kinesis ? merge(
    { trigger = { source_arn = var.trigger.source_arn, starting_position = var.trigger.starting_position } },
    var.additional_kinesis_sources,
  ) : {}
  # What the role grants, in the policy below and in the policy_statements output (what the
  # plan tests read: the document itself is only known once the provider renders it).
  statements = concat(
    [{ sid = "Logs", actions = ["logs:CreateLogStream", "logs:PutLogEvents"], resources = ["${try(aws_cloudwatch_log_group.this[0].arn, "")}:*"] }],
    [for key, source in local.kinesis_sources : {
      sid       = key == "trigger" ? "ReadTrigger" : "Read${join("", [for word in split("_", key) : title(word)])}"
      actions   = local.kinesis_read
      resources = [source.source_arn]
    }],
    local.sqs ? [{ sid = "ReadTrigger", actions = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"], resources = [var.trigger.source_arn] }] : [],
    var.trigger.type == "none" ? [] : [{ sid = "OnFailureDestination", actions = ["sqs:SendMessage"], resources = [try(aws_sqs_queue.on_failure[0].arn, null)] }],
    var.policy_statements,
    # X-Ray's write actions do not support resource-level permissions; Lambda refuses Active
    # tracing without them.
    var.tracing ? [{ sid = "Traces", actions = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources = ["*"] }] : [],
    # ENI actions do not support resource-level permissions.
    var.vpc_subnet_ids == null ? [] : [{ sid = "VpcNetworkInterfaces", actions = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"], resources = ["*"] }],
  )
  # Where what the stage could not handle waits: the mapping's on-failure destination, or the
  # function's dead-letter queue when it has no trigger.
  undelivered_queue_name = try(var.trigger.type == "none" ? aws_sqs_queue.dead_letter[0].name : aws_sqs_queue.on_failure[0].name, null)
}

# --- role: the logs, the trigger's sources, and exactly the statements the caller grants -----

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  count              = var.create ? 1 : 0
  name               = var.name
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "this" {
  count = var.create ? 1 : 0
  dynamic "statement" {
    for_each = local.statements
    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }
}

resource "aws_iam_role_policy" "this" {
  count  = var.create ? 1 : 0
  name   = "stage"
  role   = aws_iam_role.this[0].id
  policy = data.aws_iam_policy_document.this[0].json
}

resource "aws_cloudwatch_log_group" "this" {
  count             = var.create ? 1 : 0
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

# --- the function: an image pinned by digest -----------------------------------------------

resource "aws_lambda_function" "this" {
  count = var.create ? 1 : 0
  #checkov:skip=CKV_AWS_272:Lambda code signing applies to .zip packages only; images are pinned by digest from an immutable, scanned repository
  #checkov:skip=CKV_AWS_117:a VPC only for the stages that reach private resources (var.vpc_subnet_ids); the others reach AWS APIs directly
  function_name                  = var.name
  role                           = aws_iam_role.this[0].arn
  package_type                   = "Image"
  image_uri                      = var.image_uri
  architectures                  = [var.architecture]
  memory_size                    = var.memory_mb
  timeout                        = var.timeout_seconds
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = var.environment_kms_key_arn

  dynamic "image_config" {
    for_each = var.command == null ? [] : [1]
    content {
      command = [var.command]
    }
  }

  environment {
    variables = var.environment
  }

  tracing_config {
    mode = var.tracing ? "Active" : "PassThrough"
  }

  # Advanced logging controls: Lambda sets AWS_LAMBDA_LOG_LEVEL only when they are on, and the
  # stages' logger (Powertools) takes its level from it; JSON so Lambda filters by each line's level.
  # Lambda's own lines are filtered apart (system_log_level): its START/END/REPORT are INFO.
  logging_config {
    log_format            = "JSON"
    application_log_level = var.log_level
    system_log_level      = var.system_log_level
    log_group             = aws_cloudwatch_log_group.this[0].name
  }

  dynamic "vpc_config" {
    for_each = var.vpc_subnet_ids == null ? [] : [1]
    content {
      subnet_ids         = var.vpc_subnet_ids
      security_group_ids = var.vpc_security_group_ids
    }
  }

  dynamic "dead_letter_config" {
    for_each = var.trigger.type == "none" ? [1] : []
    content {
      target_arn = aws_sqs_queue.dead_letter[0].arn
    }
  }

  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.this]
  tags       = var.tags

  lifecycle {
    precondition {
      condition     = length(var.additional_kinesis_sources) == 0 || local.kinesis
      error_message = "additional_kinesis_sources needs a kinesis trigger (their mappings take its settings)."
    }
  }
}

# --- the trigger, with safe defaults ---------------------------------------------------------

resource "aws_sqs_queue" "on_failure" {
  count                     = var.create && var.trigger.type != "none" ? 1 : 0
  name                      = "${var.name}-on-failure"
  message_retention_seconds = 1209600 # 14 days to inspect and replay
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

resource "aws_sqs_queue" "dead_letter" {
  count                     = var.create && var.trigger.type == "none" ? 1 : 0
  name                      = "${var.name}-dead-letter"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

# One mapping per stream, every one with the same safe settings and the same on-failure queue.
resource "aws_lambda_event_source_mapping" "kinesis" {
  for_each                           = var.create && var.create_trigger ? local.kinesis_sources : {}
  function_name                      = aws_lambda_function.this[0].arn
  event_source_arn                   = each.value.source_arn
  starting_position                  = each.value.starting_position
  batch_size                         = var.trigger.batch_size
  maximum_batching_window_in_seconds = var.trigger.batching_window_seconds
  parallelization_factor             = var.trigger.parallelization_factor
  # Lambda checkpoints at the lowest sequence number the handler reports failed.
  function_response_types        = ["ReportBatchItemFailures"]
  bisect_batch_on_function_error = true
  maximum_retry_attempts         = var.trigger.maximum_retry_attempts
  maximum_record_age_in_seconds  = var.trigger.maximum_record_age_seconds
  tumbling_window_in_seconds     = var.trigger.tumbling_window_seconds

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.on_failure[0].arn
    }
  }
}

# The trigger's mapping was the only one (count); it keeps its identity as the "trigger" source.
moved {
  from = aws_lambda_event_source_mapping.kinesis[0]
  to   = aws_lambda_event_source_mapping.kinesis["trigger"]
}

resource "aws_lambda_event_source_mapping" "sqs" {
  count                              = var.create && local.sqs && var.create_trigger ? 1 : 0
  function_name                      = aws_lambda_function.this[0].arn
  event_source_arn                   = var.trigger.source_arn
  batch_size                         = var.trigger.batch_size
  maximum_batching_window_in_seconds = var.trigger.batching_window_seconds
  function_response_types            = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = var.trigger.maximum_concurrency
  }
}

# --- alarms ----------------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "errors" {
  count               = var.create ? 1 : 0
  alarm_name          = "${var.name}-errors"
  alarm_description   = "${var.name}: invocations failing (the handler raised)."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.this[0].function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.error_alarm_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_topic_arn == null ? [] : [var.alarm_topic_arn]
  ok_actions          = var.alarm_topic_arn == null ? [] : [var.alarm_topic_arn]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "throttles" {
  count               = var.create ? 1 : 0
  alarm_name          = "${var.name}-throttles"
  alarm_description   = "${var.name}: invocations throttled (reserved concurrency too low?)."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = aws_lambda_function.this[0].function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_topic_arn == null ? [] : [var.alarm_topic_arn]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "iterator_age" {
  count               = var.create && local.kinesis ? 1 : 0
  alarm_name          = "${var.name}-iterator-age"
  alarm_description   = "${var.name}: falling behind the stream (records waiting too long)."
  namespace           = "AWS/Lambda"
  metric_name         = "IteratorAge"
  dimensions          = { FunctionName = aws_lambda_function.this[0].function_name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  threshold           = var.iterator_age_alarm_ms
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_topic_arn == null ? [] : [var.alarm_topic_arn]
  tags                = var.tags
}

# Records Lambda gave up on (on-failure queue) or messages that kept failing (dead-letter queue):
# any message at all means data waits for an operator (`sluice failed recover`, terraform/README.md).
resource "aws_cloudwatch_metric_alarm" "undelivered" {
  count               = var.create ? 1 : 0
  alarm_name          = "${var.name}-undelivered"
  alarm_description   = "${var.name}: batches given up on wait in ${local.undelivered_queue_name}; recover them with `sluice failed recover --queue ${local.undelivered_queue_name} --bucket <lake bucket>` once the cause is fixed."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = local.undelivered_queue_name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_topic_arn == null ? [] : [var.alarm_topic_arn]
  ok_actions          = var.alarm_topic_arn == null ? [] : [var.alarm_topic_arn]
  tags                = var.tags
}

# A destination refused the stage itself (access denied, missing, 401/403): alarms at once.
resource "aws_cloudwatch_metric_alarm" "configuration_errors" {
  count               = var.create && var.metrics_stage != null ? 1 : 0
  alarm_name          = "${var.name}-configuration-errors"
  alarm_description   = "${var.name}: a destination refuses this stage (access, a missing resource, credentials); the records are kept for retry and recovery. The stage's ERROR log names the destination."
  namespace           = "Sluice"
  metric_name         = "ConfigurationErrors"
  dimensions          = { Stage = var.metrics_stage }
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_topic_arn == null ? [] : [var.alarm_topic_arn]
  ok_actions          = var.alarm_topic_arn == null ? [] : [var.alarm_topic_arn]
  tags                = var.tags
}
