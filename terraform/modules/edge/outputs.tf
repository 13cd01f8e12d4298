output "url" {
  description = "Players POST to <url>/events?key=<write key>: through CloudFront and its WAF."
  value       = "https://${aws_cloudfront_distribution.ingest.domain_name}"
}

output "origin_verify_secret_arn" {
  description = "SLUICE_ORIGIN_VERIFY_SECRET_ARN of ingest."
  value       = aws_secretsmanager_secret.origin_verify.arn
}

output "web_acl_arn" {
  description = "The web ACL with the per-client rate limit."
  value       = aws_wafv2_web_acl.edge.arn
}
