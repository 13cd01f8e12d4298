output "alert_topic_arn" {
  description = "SLUICE_ALERT_TOPIC_ARN of the monitor; the stage alarms notify it too."
  value       = aws_sns_topic.alerts.arn
}

output "health_table_name" {
  description = "SLUICE_HEALTH_TABLE of the monitor."
  value       = aws_dynamodb_table.health.name
}

output "health_table_arn" {
  description = "The health table's ARN."
  value       = aws_dynamodb_table.health.arn
}

output "kms_key_arn" {
  description = "The key of the topic and table (the monitor needs encrypt/decrypt)."
  value       = var.create_kms_key ? module.key[0].arn : var.kms_key_arn
}

output "dashboard_name" {
  description = "The CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.health.dashboard_name
}
