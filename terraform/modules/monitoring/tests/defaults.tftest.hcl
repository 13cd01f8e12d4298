# Plan-only checks of the module's alarms on the stages' EMF metrics, with a mocked provider.

mock_provider "aws" {
  source = "../../testing/aws"
}

# The topic's ARN, known at plan, so that the alarms' actions can be checked.
override_resource {
  target          = aws_sns_topic.alerts[0]
  override_during = plan
  values          = { arn = "arn:aws:sns:eu-west-1:123456789012:sluice-alerts" }
}

variables {
  name   = "sluice"
  region = "eu-west-1"
}

run "unreadable_health_items_alarm_by_default" {
  command = plan

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.unreadable_health_items[0].namespace == "Sluice"
      && aws_cloudwatch_metric_alarm.unreadable_health_items[0].metric_name == "UnreadableHealthItems"
      && aws_cloudwatch_metric_alarm.unreadable_health_items[0].dimensions == tomap({ Stage = "monitor-evaluator" })
    )
    error_message = "the alarm reads UnreadableHealthItems as the health evaluation writes it (namespace Sluice, Stage monitor-evaluator)"
  }
  assert {
    condition = (
      aws_cloudwatch_metric_alarm.unreadable_health_items[0].comparison_operator == "GreaterThanThreshold"
      && aws_cloudwatch_metric_alarm.unreadable_health_items[0].threshold == 0
      && aws_cloudwatch_metric_alarm.unreadable_health_items[0].statistic == "Sum"
      && aws_cloudwatch_metric_alarm.unreadable_health_items[0].treat_missing_data == "notBreaching"
    )
    error_message = "any unreadable health item alarms"
  }
  assert {
    condition     = length(aws_cloudwatch_metric_alarm.cmcd_keys_dropped) == 0
    error_message = "the CMCD-keys-dropped alarm is off unless a threshold is given"
  }
}

run "cmcd_keys_dropped_alarm_with_a_threshold" {
  command = plan

  variables {
    cmcd_keys_dropped_rate_threshold = 0.05
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.cmcd_keys_dropped[0].threshold == 0.05 && aws_cloudwatch_metric_alarm.cmcd_keys_dropped[0].comparison_operator == "GreaterThanThreshold"
    error_message = "the alarm compares the rate with the threshold given"
  }
  assert {
    condition = {
      for q in aws_cloudwatch_metric_alarm.cmcd_keys_dropped[0].metric_query : q.id => one(q.metric).metric_name
      if length(q.metric) > 0
      } == {
      dropped  = "CmcdKeysDropped"
      accepted = "EventsAccepted"
    }
    error_message = "the rate is CMCD keys dropped per event accepted"
  }
  assert {
    condition = alltrue([
      for q in aws_cloudwatch_metric_alarm.cmcd_keys_dropped[0].metric_query :
      one(q.metric).namespace == "Sluice" && one(q.metric).dimensions == tomap({ Stage = "ingest" })
      if length(q.metric) > 0
    ])
    error_message = "both metrics are read as ingest writes them (namespace Sluice, Stage ingest)"
  }
}

run "every_alarm_notifies_the_alert_topic" {
  command = plan

  variables {
    cmcd_keys_dropped_rate_threshold = 0.05
    failed_firehose_name             = "sluice-failed"
  }

  assert {
    condition = alltrue([
      for alarm in [
        aws_cloudwatch_metric_alarm.unreadable_health_items[0],
        aws_cloudwatch_metric_alarm.cmcd_keys_dropped[0],
        aws_cloudwatch_metric_alarm.failed_event_rate[0],
      ] : alarm.alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:sluice-alerts"]) && alarm.ok_actions == alarm.alarm_actions
    ])
    error_message = "each alarm notifies the alert topic, on alarm and on recovery"
  }
}

run "cmcd_threshold_must_be_positive" {
  command = plan

  variables {
    cmcd_keys_dropped_rate_threshold = 0
  }

  expect_failures = [var.cmcd_keys_dropped_rate_threshold]
}

run "cmcd_unreadable_lines_alarm_by_default" {
  command = plan

  assert {
    condition     = aws_cloudwatch_metric_alarm.cmcd_reports_unreadable[0].threshold == 0.01
    error_message = "Unreadable CMCD lines are answered 200 and lost: the alarm is on by default, at 1% of accepted events."
  }
  assert {
    condition = toset([
      for q in aws_cloudwatch_metric_alarm.cmcd_reports_unreadable[0].metric_query : one(q.metric).metric_name if length(q.metric) > 0
    ]) == toset(["CmcdReportsUnreadable", "EventsAccepted"])
    error_message = "The alarm divides the unreadable lines ingest counts by the events it accepted."
  }
}

run "create_false_creates_nothing" {
  command = plan

  variables {
    create = false
  }

  assert {
    condition = (
      length(aws_sns_topic.alerts) == 0
      && length(aws_dynamodb_table.health) == 0
      && length(aws_cloudwatch_dashboard.health) == 0
      && length(aws_cloudwatch_metric_alarm.unreadable_health_items) == 0
      && length(aws_cloudwatch_metric_alarm.cmcd_reports_unreadable) == 0
      && length(module.key) == 0
      && length(aws_sns_topic_subscription.email) == 0
    )
    error_message = "create = false creates nothing"
  }
  assert {
    condition = (
      output.alert_topic_arn == null
      && output.health_table_name == null
      && output.health_table_arn == null
      && output.kms_key_arn == null
      && output.dashboard_name == null
    )
    error_message = "every output is null when nothing is created"
  }
}
