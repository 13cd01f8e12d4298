output "endpoint" {
  description = "SLUICE_OPENSEARCH_URL of the indexer and monitor (null without a domain)."
  value       = try("https://${aws_opensearch_domain.this[0].endpoint}", null)
}

output "domain_arn" {
  description = "Domain ARN, for the stages' es:ESHttp* permissions."
  value       = try(aws_opensearch_domain.this[0].arn, null)
}

output "index_lifecycle" {
  description = "The event indices' lifecycle as deployed (null without a domain): hot_days on the data nodes, warm_days in UltraWarm, deleted after delete_after_days; `sluice opensearch bootstrap --retention-days` installs it as the ISM policy."
  value = !var.create ? null : {
    hot_days          = var.hot_retention_days
    warm_days         = var.warm_retention_days
    delete_after_days = var.hot_retention_days + var.warm_retention_days
    warm_nodes        = var.warm_enabled ? var.warm_count : 0
  }
}
