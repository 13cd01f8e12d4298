output "endpoint" {
  description = "SLUICE_OPENSEARCH_URL of the indexer and monitor (null without a domain)."
  value       = try("https://${aws_opensearch_domain.this[0].endpoint}", null)
}

output "domain_arn" {
  description = "Domain ARN, for the stages' es:ESHttp* permissions."
  value       = try(aws_opensearch_domain.this[0].arn, null)
}
