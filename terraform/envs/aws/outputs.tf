output "ingest_url" {
  description = "Players POST events to <ingest_url>/events?key=<write key>: CloudFront (with its rate limit) when create_edge, else the API."
  value       = var.create_edge ? module.edge[0].url : module.sluice.ingest_url
}

output "ingest_endpoint" {
  description = "What CloudFront forwards to: type (http_api or function_url), its own URL, and with a function URL the AWS CLI command to run once after the first apply (the lambda:InvokeFunction statement conditioned on lambda:InvokedViaFunctionUrl that a URL needs; provider 5.x cannot make it)."
  value       = module.sluice.ingest_endpoint
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
  description = "Redshift endpoint: the cluster's or the Serverless workgroup's."
  value       = module.sluice.warehouse_endpoint
}

output "warehouse" {
  description = "The warehouse: kind (provisioned or serverless), endpoint, port, database, the admin's secret (`sluice warehouse migrate --admin-secret-arn`) and the loader's."
  value       = module.sluice.warehouse
}

output "opensearch_index_lifecycle" {
  description = "Days an event index stays hot, then in UltraWarm, and when it is deleted: `sluice opensearch bootstrap --retention-days <delete_after_days>`."
  value       = module.sluice.opensearch_index_lifecycle
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

output "write_keys_secret_arn" {
  description = "Per-site write keys: put {\"<site>\": \"<key>\"} here; ingest reads it every minute."
  value       = module.sluice.write_keys_secret_arn
}

output "indexer_role_arn" {
  description = "For `sluice opensearch bootstrap --terraform-outputs`."
  value       = module.sluice.indexer_role_arn
}

output "monitor_role_arn" {
  description = "For `sluice opensearch bootstrap --terraform-outputs`."
  value       = module.sluice.monitor_role_arn
}

output "warehouse_loader_secret_arn" {
  description = "For `sluice warehouse migrate --loader-secret-arn`."
  value       = module.sluice.warehouse_loader_secret_arn
}

output "undelivered_queues" {
  description = "For `sluice failed recover --queue`."
  value       = module.sluice.undelivered_queues
}

output "capacity" {
  description = "The sizing in effect: the defaults, or capacity.auto.tfvars.json from `sluice plan`."
  value       = module.sluice.capacity
}

output "cdn_logs" {
  description = "With create_cdn_logs: the real-time log configuration to attach to the media distribution's cache behaviours, its stream, the stream's key and the processor's input from it (all null when off)."
  value = {
    realtime_log_config_arn = module.cdn_logs.realtime_log_config_arn
    stream_name             = module.cdn_logs.stream_name
    stream_arn              = module.cdn_logs.stream_arn
    kms_key_arn             = module.cdn_logs.kms_key_arn
    processor_input         = module.sluice.cdn_log_input
  }
}
