output "ingest_url" {
  description = "Players POST events to <ingest_url>/events?key=<write key>, through CloudFront and its rate limit."
  value       = module.edge.url
}

output "repositories" {
  description = "Stage -> ECR repository, for `make push-images`."
  value       = module.registry.repository_urls
}

output "write_keys_secret_arn" {
  description = "Per-site write keys: put {\"<site>\": \"<key>\"} here."
  value       = module.sluice.write_keys_secret_arn
}

output "health_table" {
  description = "For `sluice health report --table`."
  value       = module.sluice.health_table
}
