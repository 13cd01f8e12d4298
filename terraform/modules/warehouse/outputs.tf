output "loader_queue_arn" {
  description = "The queue of new lake objects (the loader's trigger)."
  value       = try(aws_sqs_queue.loader[0].arn, null)
}

output "loader_queue_url" {
  description = "The queue's URL."
  value       = try(aws_sqs_queue.loader[0].id, null)
}

output "kind" {
  description = "provisioned or serverless (null without a warehouse)."
  value       = local.warehouse ? var.kind : null
}

output "endpoint" {
  description = "The warehouse's host, the cluster's or the Serverless workgroup's (null without a warehouse): SLUICE_WAREHOUSE_HOST of the loader."
  value       = local.provisioned ? try(aws_redshift_cluster.this[0].dns_name, null) : try(aws_redshiftserverless_workgroup.this[0].endpoint[0].address, null)
}

output "port" {
  description = "The warehouse's port (null without a warehouse): SLUICE_WAREHOUSE_PORT of the loader."
  value       = local.provisioned ? try(aws_redshift_cluster.this[0].port, null) : try(aws_redshiftserverless_workgroup.this[0].endpoint[0].port, null)
}

output "database_name" {
  description = "Database name."
  value       = var.create ? var.database_name : null
}

output "master_password_secret_arn" {
  description = "The admin's secret, managed by Redshift (the cluster's master or the namespace's admin): `sluice warehouse migrate --admin-secret-arn`."
  value       = local.provisioned ? try(aws_redshift_cluster.this[0].master_password_secret_arn, null) : try(aws_redshiftserverless_namespace.this[0].admin_password_secret_arn, null)
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
  description = "The warehouse's key (the cluster or the namespace, and the loader's secret)."
  value       = try(module.key[0].arn, null)
}
