output "ingest_url" {
  description = "Players POST events to <ingest_url>/events."
  value       = module.ingest_api.url
}

output "raw_stream" {
  description = "The raw stream."
  value       = module.raw.name
}

output "clean_stream" {
  description = "The clean stream."
  value       = module.clean.name
}

output "lake_bucket" {
  description = "The lake bucket (events/, failed/)."
  value       = module.lake.bucket_name
}

output "lake_firehose" {
  description = "The lake delivery stream."
  value       = module.lake.lake_firehose_name
}

output "failed_firehose" {
  description = "The failed-events delivery stream."
  value       = module.lake.failed_firehose_name
}

output "loader_queue_url" {
  description = "New lake objects, for the loader."
  value       = module.warehouse.loader_queue_url
}

output "warehouse_endpoint" {
  description = "Redshift endpoint (null locally)."
  value       = module.warehouse.endpoint
}

output "opensearch_url" {
  description = "The search cluster (null when the search leg is off)."
  value       = local.search_url
}

output "alert_topic_arn" {
  description = "Alerts and alarms."
  value       = module.monitoring.alert_topic_arn
}

output "health_table" {
  description = "The monitor's table (sluice health report --table ...)."
  value       = module.monitoring.health_table_name
}

output "functions" {
  description = "Stage -> function name."
  value = merge(
    { ingest = module.ingest.function_name, processor = module.processor.function_name, loader = module.loader.function_name, monitor = module.monitor.function_name },
    local.search_on ? { indexer = module.indexer[0].function_name } : {}
  )
}

output "triggers" {
  description = "Stage -> its source and event source mapping settings (the local event-source-mapping runtime reads these)."
  value = {
    processor = merge(local.triggers.processor, { stream = module.raw.name })
    indexer   = merge(local.triggers.indexer, { stream = module.clean.name })
    monitor   = merge(local.triggers.monitor, { stream = module.clean.name })
    loader    = merge(local.triggers.loader, { queue = module.warehouse.loader_queue_url })
  }
}
