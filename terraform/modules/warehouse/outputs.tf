output "loader_queue_arn" {
  description = "The queue of new lake objects (the loader's trigger)."
  value       = try(aws_sqs_queue.loader[0].arn, null)
}

output "loader_queue_url" {
  description = "The queue's URL."
  value       = try(aws_sqs_queue.loader[0].id, null)
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
  value       = var.create ? var.database_name : null
}

output "master_password_secret_arn" {
  description = "SLUICE_WAREHOUSE_SECRET_ARN of the loader."
  value       = try(aws_redshift_cluster.this[0].master_password_secret_arn, null)
}

output "copy_role_arn" {
  description = "SLUICE_COPY_IAM_ROLE_ARN of the loader."
  value       = try(aws_iam_role.copy[0].arn, null)
}

output "loader_secret_arn" {
  description = "SLUICE_WAREHOUSE_SECRET_ARN of the loader: its own user, written by `sluice warehouse migrate --loader-secret-arn`."
  value       = try(aws_secretsmanager_secret.loader[0].arn, null)
}

output "loader_dead_letter_queue_name" {
  description = "Where lake-object notifications go after 5 failed loads."
  value       = try(aws_sqs_queue.loader_dead_letter[0].name, null)
}

output "kms_key_arn" {
  description = "The warehouse's key (the cluster and the loader's secret)."
  value       = try(module.key[0].arn, null)
}
