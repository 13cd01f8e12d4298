output "loader_queue_arn" {
  description = "The queue of new lake objects (the loader's trigger)."
  value       = aws_sqs_queue.loader.arn
}

output "loader_queue_url" {
  description = "The queue's URL."
  value       = aws_sqs_queue.loader.id
}

output "endpoint" {
  description = "Cluster endpoint host (null without a cluster)."
  value       = try(aws_redshift_cluster.this[0].dns_name, null)
}

output "port" {
  description = "Cluster port."
  value       = try(aws_redshift_cluster.this[0].port, null)
}

output "database_name" {
  description = "Database name."
  value       = var.database_name
}

output "master_password_secret_arn" {
  description = "SLUICE_WAREHOUSE_SECRET_ARN of the loader."
  value       = try(aws_redshift_cluster.this[0].master_password_secret_arn, null)
}

output "copy_role_arn" {
  description = "SLUICE_COPY_IAM_ROLE_ARN of the loader."
  value       = try(aws_iam_role.copy[0].arn, null)
}
