output "ingest_url" {
  description = "Players POST events to <ingest_url>/events."
  value       = module.sluice.ingest_url
}

output "streams" {
  description = "The raw and clean streams."
  value       = { raw = module.sluice.raw_stream, clean = module.sluice.clean_stream }
}

output "lake_bucket" {
  description = "The lake bucket."
  value       = module.sluice.lake_bucket
}

output "warehouse_endpoint" {
  description = "Redshift endpoint."
  value       = module.sluice.warehouse_endpoint
}

output "opensearch_url" {
  description = "OpenSearch endpoint."
  value       = module.sluice.opensearch_url
}

output "alert_topic_arn" {
  description = "Alerts and alarms."
  value       = module.sluice.alert_topic_arn
}

output "health_table" {
  description = "For `sluice health report --table`."
  value       = module.sluice.health_table
}

output "repositories" {
  description = "Stage -> ECR repository, for `make push-images`."
  value       = module.registry.repository_urls
}
