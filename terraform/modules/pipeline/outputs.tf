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
  description = "Redshift endpoint, the cluster's or the Serverless workgroup's (null locally)."
  value       = module.warehouse.endpoint
}

output "warehouse" {
  description = "The warehouse as made (null locally): its kind (provisioned or serverless), endpoint, port and database (what the loader reads) and the admin's secret (`sluice warehouse migrate --admin-secret-arn`)."
  value = !var.create || !var.create_warehouse_cluster ? null : {
    kind              = module.warehouse.kind
    endpoint          = module.warehouse.endpoint
    port              = module.warehouse.port
    database          = module.warehouse.database_name
    admin_secret_arn  = module.warehouse.master_password_secret_arn
    loader_secret_arn = module.warehouse.loader_secret_arn
  }
}

output "opensearch_index_lifecycle" {
  description = "The event indices' lifecycle (null without the domain): days hot, days in UltraWarm, deleted after; `sluice opensearch bootstrap --retention-days` installs it."
  value       = module.search.index_lifecycle
}

output "opensearch_url" {
  description = "The search cluster (null when the search leg is off)."
  value       = !var.create ? null : local.search_url
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
  value = !var.create ? null : merge(
    { ingest = module.ingest.function_name, processor = module.processor.function_name, loader = module.loader.function_name, monitor = module.monitor.function_name },
    local.search_on ? { indexer = module.indexer[0].function_name } : {}
  )
}

output "observability" {
  description = "Stage -> its X-Ray tracing mode and log levels (system_log_level, enable_tracing: what `sluice cost` prices)."
  value = !var.create ? null : merge(
    { ingest = module.ingest.observability, processor = module.processor.observability, loader = module.loader.observability, monitor = module.monitor.observability, evaluator = module.evaluator.observability },
    local.search_on ? { indexer = module.indexer[0].observability } : {}
  )
}

output "triggers" {
  description = "Stage -> its source and event source mapping settings (the local event-source-mapping runtime reads these)."
  value = !var.create ? null : {
    processor = merge(local.triggers.processor, { stream = module.raw.name })
    indexer   = merge(local.triggers.indexer, { stream = module.clean.name })
    monitor   = merge(local.triggers.monitor, { stream = module.clean.name })
    loader    = merge(local.triggers.loader, { queue = module.warehouse.loader_queue_url })
  }
}

output "cdn_log_input" {
  description = "The processor's second input (null without var.cdn_logs): the CDN-log stream, the mapping's settings (the raw stream's, with its own starting position: what a local runtime plays), the mapping made (null without create_event_source_mappings), the processor's CDN environment and what its role may do for it."
  value = !var.create ? null : local.cdn_on ? {
    stream_arn  = var.cdn_logs.stream_arn
    trigger     = merge(local.triggers.processor, { starting_position = var.cdn_logs.starting_position })
    environment = local.cdn_env
    mapping     = lookup(module.processor.event_source_mappings, "cdn_logs", null)
    statements  = [for s in module.processor.policy_statements : s if contains(["ReadCdnLogs", "DecryptCdnLogs", "ReadCdnLogConfig"], s.sid)]
  } : null
}

output "ingest_api_authorizer" {
  description = "How players authenticate to ingest (write_key, jwt, iam or none)."
  value       = !var.create ? null : var.api_authorizer
}

output "write_keys_secret_arn" {
  description = "The per-site write keys ingest checks (null unless the authorizer is write_key)."
  value       = module.ingest_api.write_keys_secret_arn
}

output "indexer_role_arn" {
  description = "The indexer's execution role: map it to the writer role in OpenSearch (`sluice opensearch bootstrap --terraform-outputs`)."
  value       = try(module.indexer[0].role_arn, null)
}

output "monitor_role_arn" {
  description = "The monitor's execution role (writes the health rollup indices)."
  value       = module.monitor.role_arn
}

output "warehouse_loader_secret_arn" {
  description = "Where `sluice warehouse migrate --loader-secret-arn` stores the loader's own user."
  value       = module.warehouse.loader_secret_arn
}

output "undelivered_queues" {
  description = "Per stage, where what it gave up on waits (`sluice failed recover --queue <name>`)."
  value = !var.create ? null : {
    processor = module.processor.undelivered_queue_name
    indexer   = try(module.indexer[0].undelivered_queue_name, null)
    monitor   = module.monitor.undelivered_queue_name
    loader    = module.warehouse.loader_dead_letter_queue_name
  }
}

output "api_endpoint" {
  description = "The ingest HTTP API's or function URL's own address (the CDN's origin)."
  value       = module.ingest_api.url
}

output "ingest_endpoint" {
  description = "How ingest is reached behind the CDN (null when nothing is created): http_api or function_url, and with a function URL the one AWS CLI command the runbook runs after the first apply (the InvokeFunction statement a URL needs)."
  value = !var.create ? null : {
    type                      = module.ingest_api.endpoint
    url                       = module.ingest_api.url
    invoke_permission_command = module.ingest_api.function_url_invoke_permission_command
  }
}

output "health_evaluation" {
  description = "The health evaluation: the monitor image's second handler, its schedule (EventBridge Scheduler) and the window it judges."
  value = !var.create ? null : {
    function_name  = module.evaluator.function_name
    image_uri      = var.images["monitor"]
    schedule       = aws_scheduler_schedule.health_evaluation[0].schedule_expression
    window_seconds = var.health_window_seconds
    delay_seconds  = var.evaluation_delay_seconds
  }
}

output "capacity" {
  description = "The sizing in effect (defaults, or var.capacity from `sluice plan`)."
  value = !var.create ? null : {
    raw_stream             = module.raw.capacity
    clean_stream           = module.clean.capacity
    triggers               = { for stage in ["processor", "indexer", "monitor"] : stage => { for k, v in local.triggers[stage] : k => v if k != "starting_position" } }
    memory_mb              = { for stage in local.stages : stage => lookup(var.capacity.memory_mb, stage, 512) }
    lake_buffering_seconds = var.capacity.lake_buffering_seconds
  }
}
