output "alert_topic_arn" {
  description = "SLUICE_ALERT_TOPIC_ARN of the monitor; the stage alarms notify it too."
  value       = try(aws_sns_topic.alerts[0].arn, null)
}

output "health_table_name" {
  description = "SLUICE_HEALTH_TABLE of the monitor."
  value       = try(aws_dynamodb_table.health[0].name, null)
}

output "health_table_arn" {
  description = "The health table's ARN."
  value       = try(aws_dynamodb_table.health[0].arn, null)
}

output "kms_key_arn" {
  description = "The key of the topic and table (the monitor needs encrypt/decrypt)."
  value       = !var.create ? null : var.create_kms_key ? module.key[0].arn : var.kms_key_arn
}

output "dashboard_name" {
  description = "The CloudWatch dashboard."
  value       = try(aws_cloudwatch_dashboard.health[0].dashboard_name, null)
}
