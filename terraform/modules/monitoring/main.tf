
module "key" {
  source      = "../kms_key"
  count       = var.create && var.create_kms_key ? 1 : 0
  description = "Sluice alerts ${var.name}"
  tags        = var.tags
}

# The key was this module's own resource before the kms_key module: keep it, do not replace it.
moved {
  from = aws_kms_key.alerts[0]
  to   = module.key[0].aws_kms_key.this
}

resource "aws_sns_topic" "alerts" {
  count             = var.create ? 1 : 0
  name              = "${var.name}-alerts"
  kms_master_key_id = var.create_kms_key ? module.key[0].arn : var.kms_key_arn
  tags              = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = toset(var.create ? var.alert_emails : [])
  topic_arn = aws_sns_topic.alerts[0].arn
  protocol  = "email"
  endpoint  = each.value
}

# The monitor's memory across windows and shards: each shard's counters per window, the
# combined windows, the evaluator's open incidents and every message it sent.
resource "aws_dynamodb_table" "health" {
  count        = var.create ? 1 : 0
  name         = "${var.name}-health"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"
  range_key    = "sk"

  attribute {
    name = "pk"
    type = "S"
  }
  attribute {
    name = "sk"
    type = "S"
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.create_kms_key ? module.key[0].arn : var.kms_key_arn
  }

  tags = var.tags
}

locals {
  namespace = "Sluice/PlayerHealth"
  headline  = ["VideoStartFailureRate", "RebufferRatio", "StartupTimeP95", "FatalErrors"]
}

resource "aws_cloudwatch_dashboard" "health" {
  count          = var.create ? 1 : 0
  dashboard_name = "${var.name}-player-health"
  dashboard_body = jsonencode({
    widgets = concat(
      [for index, metric in local.headline : {
        type   = "metric"
        x      = (index % 2) * 12
        y      = floor(index / 2) * 6
        width  = 12
        height = 6
        properties = {
          title   = metric
          region  = var.region
          view    = "timeSeries"
          stat    = contains(["FatalErrors"], metric) ? "Sum" : "Average"
          period  = 60
          metrics = [[local.namespace, metric, "Dimension", "all", "Value", "all"]]
        }
      }],
      [for index, fn in var.function_names : {
        type   = "metric"
        x      = (index % 3) * 8
        y      = 12 + floor(index / 3) * 6
        width  = 8
        height = 6
        properties = {
          title  = fn
          region = var.region
          view   = "timeSeries"
          period = 60
          metrics = [
            ["AWS/Lambda", "Errors", "FunctionName", fn, { stat = "Sum" }],
            ["AWS/Lambda", "Throttles", "FunctionName", fn, { stat = "Sum" }],
            ["AWS/Lambda", "IteratorAge", "FunctionName", fn, { stat = "Maximum", yAxis = "right" }],
          ]
        }
      }]
    )
  })
}

# The share of records that became failed events (every stage writes them to one Firehose):
# a schema change, a bad client release or a sink refusing documents shows here first.
resource "aws_cloudwatch_metric_alarm" "failed_event_rate" {
  count               = var.create && var.failed_firehose_name != null ? 1 : 0
  alarm_name          = "${var.name}-failed-event-rate"
  alarm_description   = "More than ${var.failed_event_rate_threshold * 100}% of the processed records became failed events: `sluice failed list --bucket <lake>` names the types and stages."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.failed_event_rate_threshold
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts[0].arn]
  ok_actions          = [aws_sns_topic.alerts[0].arn]

  metric_query {
    id          = "rate"
    expression  = "failed / MAX([processed, 1])"
    label       = "failed events per processed record"
    return_data = true
  }
  metric_query {
    id = "failed"
    metric {
      namespace   = "AWS/Firehose"
      metric_name = "IncomingRecords"
      dimensions  = { DeliveryStreamName = var.failed_firehose_name }
      period      = 300
      stat        = "Sum"
    }
  }
  metric_query {
    id = "processed"
    metric {
      namespace   = "Sluice"
      metric_name = "RecordsProcessed"
      dimensions  = { Stage = "processor" }
      period      = 300
      stat        = "Sum"
    }
  }
  tags = var.tags
}

# Stage values of the stages' EMF metrics (namespace "Sluice", one dimension Stage): the health
# evaluation's (shared/src/sluice/monitor/evaluator.py, evaluator_from_env) and ingest's
# (shared/src/sluice/ingest/service.py).
locals {
  evaluator_stage = "monitor-evaluator"
  ingest_stage    = "ingest"
}

# A health item the evaluation could not read (a torn shard window or evaluator state) is skipped,
# so judging goes on without it: any at all means windows judged with part of the fleet missing,
# or open incidents forgotten. The evaluation's ERROR log names the item's key.
resource "aws_cloudwatch_metric_alarm" "unreadable_health_items" {
  count               = var.create ? 1 : 0
  alarm_name          = "${var.name}-unreadable-health-items"
  alarm_description   = "The health evaluation skipped health items it could not read (${aws_dynamodb_table.health[0].name}): windows are judged without them. Its ERROR log \"health item unreadable: skipped\" names each key; delete or rewrite the item."
  namespace           = "Sluice"
  metric_name         = "UnreadableHealthItems"
  dimensions          = { Stage = local.evaluator_stage }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts[0].arn]
  ok_actions          = [aws_sns_topic.alerts[0].arn]
  tags                = var.tags
}

# CMCD report lines ingest could not read at all (not Structured Field syntax, over 8 KiB): the
# player is answered 200 so that it does not resend them ten times, and the report is lost, so the
# operator hears of it here. A rate per accepted event: one hostile client is not a page at 3 a.m.
resource "aws_cloudwatch_metric_alarm" "cmcd_reports_unreadable" {
  count               = var.create ? 1 : 0
  alarm_name          = "${var.name}-cmcd-reports-unreadable"
  alarm_description   = "Ingest could not read more than ${var.cmcd_unreadable_rate_threshold} CMCD report lines per accepted event (answered 200, not stored): its WARNING log \"CMCD report lines could not be read\" shows a sample with the reason."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.cmcd_unreadable_rate_threshold
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts[0].arn]
  ok_actions          = [aws_sns_topic.alerts[0].arn]

  metric_query {
    id          = "rate"
    expression  = "unreadable / MAX([accepted, 1])"
    label       = "CMCD report lines unreadable per accepted event"
    return_data = true
  }
  metric_query {
    id = "unreadable"
    metric {
      namespace   = "Sluice"
      metric_name = "CmcdReportsUnreadable"
      dimensions  = { Stage = local.ingest_stage }
      period      = 300
      stat        = "Sum"
    }
  }
  metric_query {
    id = "accepted"
    metric {
      namespace   = "Sluice"
      metric_name = "EventsAccepted"
      dimensions  = { Stage = local.ingest_stage }
      period      = 300
      stat        = "Sum"
    }
  }
  tags = var.tags
}

# CMCD keys ingest dropped from reports it kept (a value the key's type refuses, a url the parser
# refuses): a player or CDN release writing bad CMCD shows here. Some players always send a few
# odd keys, so it is a rate per accepted event, and off unless a threshold is given.
resource "aws_cloudwatch_metric_alarm" "cmcd_keys_dropped" {
  count               = var.create && var.cmcd_keys_dropped_rate_threshold != null ? 1 : 0
  alarm_name          = "${var.name}-cmcd-keys-dropped"
  alarm_description   = "Ingest dropped more than ${coalesce(var.cmcd_keys_dropped_rate_threshold, 0)} CMCD keys per accepted event: its WARNING log \"CMCD keys dropped from stored reports\" names the keys."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.cmcd_keys_dropped_rate_threshold
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts[0].arn]
  ok_actions          = [aws_sns_topic.alerts[0].arn]

  metric_query {
    id          = "rate"
    expression  = "dropped / MAX([accepted, 1])"
    label       = "CMCD keys dropped per accepted event"
    return_data = true
  }
  metric_query {
    id = "dropped"
    metric {
      namespace   = "Sluice"
      metric_name = "CmcdKeysDropped"
      dimensions  = { Stage = local.ingest_stage }
      period      = 300
      stat        = "Sum"
    }
  }
  metric_query {
    id = "accepted"
    metric {
      namespace   = "Sluice"
      metric_name = "EventsAccepted"
      dimensions  = { Stage = local.ingest_stage }
      period      = 300
      stat        = "Sum"
    }
  }
  tags = var.tags
}
