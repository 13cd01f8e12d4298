# Every resource is counted on var.create: existing state keeps its objects at [0].

moved {
  from = aws_iam_role.this
  to   = aws_iam_role.this[0]
}

moved {
  from = aws_iam_role_policy.this
  to   = aws_iam_role_policy.this[0]
}

moved {
  from = aws_cloudwatch_log_group.this
  to   = aws_cloudwatch_log_group.this[0]
}

moved {
  from = aws_lambda_function.this
  to   = aws_lambda_function.this[0]
}

moved {
  from = aws_cloudwatch_metric_alarm.errors
  to   = aws_cloudwatch_metric_alarm.errors[0]
}

moved {
  from = aws_cloudwatch_metric_alarm.throttles
  to   = aws_cloudwatch_metric_alarm.throttles[0]
}

moved {
  from = aws_cloudwatch_metric_alarm.undelivered
  to   = aws_cloudwatch_metric_alarm.undelivered[0]
}
