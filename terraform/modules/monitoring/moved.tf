# Every resource is counted on var.create: existing state keeps its objects at [0].

moved {
  from = aws_sns_topic.alerts
  to   = aws_sns_topic.alerts[0]
}

moved {
  from = aws_dynamodb_table.health
  to   = aws_dynamodb_table.health[0]
}

moved {
  from = aws_cloudwatch_dashboard.health
  to   = aws_cloudwatch_dashboard.health[0]
}

moved {
  from = aws_cloudwatch_metric_alarm.unreadable_health_items
  to   = aws_cloudwatch_metric_alarm.unreadable_health_items[0]
}

moved {
  from = aws_cloudwatch_metric_alarm.cmcd_reports_unreadable
  to   = aws_cloudwatch_metric_alarm.cmcd_reports_unreadable[0]
}
