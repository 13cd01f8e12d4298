output "url" {
  description = "Players POST to <url>/events?key=<write key>: through CloudFront and its WAF."
  value       = try("https://${aws_cloudfront_distribution.ingest[0].domain_name}", null)
}

output "origin_verify_secret_arn" {
  description = "SLUICE_ORIGIN_VERIFY_SECRET_ARN of ingest."
  value       = try(aws_secretsmanager_secret.origin_verify[0].arn, null)
}

output "web_acl_arn" {
  description = "The web ACL with the per-client rate limit."
  value       = try(aws_wafv2_web_acl.edge[0].arn, null)
}
