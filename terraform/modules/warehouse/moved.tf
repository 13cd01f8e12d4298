# Every resource is counted on var.create: existing state keeps its objects at [0].

moved {
  from = aws_sqs_queue.loader_dead_letter
  to   = aws_sqs_queue.loader_dead_letter[0]
}

moved {
  from = aws_sqs_queue.loader
  to   = aws_sqs_queue.loader[0]
}

moved {
  from = aws_sqs_queue_policy.loader
  to   = aws_sqs_queue_policy.loader[0]
}

moved {
  from = aws_s3_bucket_notification.lake
  to   = aws_s3_bucket_notification.lake[0]
}

moved {
  from = aws_cloudwatch_metric_alarm.loader_dead_letter
  to   = aws_cloudwatch_metric_alarm.loader_dead_letter[0]
}
