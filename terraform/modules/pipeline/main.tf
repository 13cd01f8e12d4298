# The whole Sluice pipeline, composed from the single-concern modules. The aws and local stacks
# both use it, so the local stack exercises exactly what is deployed.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  stages       = toset(["ingest", "processor", "indexer", "loader", "monitor"])
  on_demand    = coalesce(var.capacity.on_demand_streams, var.on_demand_streams)
  search_url   = var.create_search ? module.search.endpoint : var.opensearch_url
  search_on    = var.create_search || var.opensearch_url != null
  failed_grant = { sid = "WriteFailedEvents", actions = ["firehose:PutRecordBatch"], resources = [module.lake.failed_firehose_arn] }
  es_grant     = { sid = "OpenSearch", actions = ["es:ESHttpGet", "es:ESHttpPost", "es:ESHttpPut", "es:ESHttpHead"], resources = ["${coalesce(module.search.domain_arn, "arn:aws:es:${data.aws_region.current.id}:000000000000:domain/none")}/*"] }
  common_env   = { POWERTOOLS_SERVICE_NAME = var.name, SLUICE_FAILED_FIREHOSE = module.lake.failed_firehose_name }
  # The event source settings, in one place: the mappings below and the local runtime read them.
  triggers = {
    # `sluice plan` may size the stream consumers (var.capacity); these are the defaults.
    processor = merge({ batch_size = 500, batching_window_seconds = 1, parallelization_factor = 2 }, coalesce(var.capacity.processor, {}), { starting_position = "TRIM_HORIZON" })
    indexer   = merge({ batch_size = 1000, batching_window_seconds = 5, parallelization_factor = 1 }, coalesce(var.capacity.indexer, {}), { starting_position = "TRIM_HORIZON" })
    monitor   = merge({ batch_size = 1000, batching_window_seconds = 5, parallelization_factor = 1 }, coalesce(var.capacity.monitor, {}), { starting_position = "TRIM_HORIZON", tumbling_window_seconds = var.health_window_seconds })
    loader    = { batch_size = 10, batching_window_seconds = 5 }
  }

  # The processor's second input (var.cdn_logs): the CDN-log stream, read as the raw stream is
  # read, and where its lines' field order comes from. `fields` decides, being known at plan time.
  cdn_on         = var.cdn_logs != null
  cdn_from_lines = local.cdn_on ? var.cdn_logs.fields != null : false
  cdn_env = !local.cdn_on ? {} : merge({ SLUICE_CDN_LOG_STREAM = var.cdn_logs.stream_arn }, local.cdn_from_lines ? {
    # Lambda allows 4 KB of environment in all: the 55 fields of cdn_realtime_log_fields.json are 0.9 KB.
    SLUICE_CDN_LOG_FIELDS    = join(",", var.cdn_logs.fields)
    SLUICE_CDN_SAMPLING_RATE = tostring(var.cdn_logs.sampling_rate)
    } : {
    # The processor reads the order and the sampling rate from the deployed configuration.
    SLUICE_CDN_REALTIME_LOG_CONFIG = var.cdn_logs.realtime_log_config_arn
  })
  cdn_statements = !local.cdn_on ? [] : concat(
    [{ sid = "DecryptCdnLogs", actions = ["kms:Decrypt"], resources = [var.cdn_logs.kms_key_arn] }],
    # GetRealtimeLogConfig takes the realtime-log-config resource type (arn:aws:cloudfront::<account>:realtime-log-config/<name>).
    local.cdn_from_lines ? [] : [{ sid = "ReadCdnLogConfig", actions = ["cloudfront:GetRealtimeLogConfig"], resources = [var.cdn_logs.realtime_log_config_arn] }],
  )
}

module "raw" {
  source          = "../stream"
  create          = var.create
  name            = "${var.name}-raw"
  on_demand       = local.on_demand
  shard_count     = var.capacity.raw_shards
  retention_hours = var.stream_retention_hours
  tags            = var.tags
}

module "clean" {
  source          = "../stream"
  create          = var.create
  name            = "${var.name}-clean"
  on_demand       = local.on_demand
  shard_count     = var.capacity.clean_shards
  retention_hours = var.stream_retention_hours
  tags            = var.tags
}

module "lake" {
  source      = "../lake"
  create      = var.create
  name        = var.name
  bucket_name = var.lake_bucket_name
  glue_table  = var.glue_table
  # The lake's (and the warehouse's) latency floor: `sluice plan` sets it from a target latency.
  buffering_seconds = var.capacity.lake_buffering_seconds
  buffering_mb      = var.capacity.lake_buffering_mb
  force_destroy     = var.force_destroy
  enforce_tls       = var.enforce_tls
  tags              = var.tags
}

module "monitoring" {
  source         = "../monitoring"
  create         = var.create
  name           = var.name
  region         = data.aws_region.current.id
  function_names = [for stage in local.stages : "${var.name}-${stage}"]
  alert_emails   = var.alert_emails

  failed_firehose_name             = module.lake.failed_firehose_name
  cmcd_unreadable_rate_threshold   = var.cmcd_unreadable_rate_threshold
  cmcd_keys_dropped_rate_threshold = var.cmcd_keys_dropped_rate_threshold
  tags                             = var.tags
}

module "warehouse" {
  source                   = "../warehouse"
  create                   = var.create
  name                     = var.name
  create_cluster           = var.create_warehouse_cluster
  kind                     = var.warehouse_kind
  node_type                = var.warehouse_node_type
  number_of_nodes          = var.warehouse_nodes
  serverless_base_capacity = var.warehouse_base_rpus
  serverless_max_capacity  = var.warehouse_max_rpus
  lake_bucket_name         = module.lake.bucket_name
  lake_bucket_arn          = module.lake.bucket_arn
  lake_kms_key_arn         = module.lake.kms_key_arn
  subnet_ids               = var.private_subnet_ids
  security_group_ids       = var.warehouse_security_group_ids
  skip_final_snapshot      = var.force_destroy
  loader_timeout_seconds   = 120
  alarm_topic_arn          = module.monitoring.alert_topic_arn
  tags                     = var.tags
}

module "search" {
  source             = "../search"
  create             = var.create && var.create_search
  domain_name        = var.name
  subnet_ids         = var.private_subnet_ids
  security_group_ids = var.search_security_group_ids
  master_user_arn    = var.search_master_user_arn
  instance_type      = var.search_instance_type
  instance_count     = var.search_instance_count
  volume_gb          = var.search_volume_gb
  # The lake keeps every event: the hot tier holds what is searched live, UltraWarm (optional) older.
  hot_retention_days  = var.search_hot_retention_days
  warm_enabled        = var.search_warm_enabled
  warm_type           = var.search_warm_type
  warm_count          = var.search_warm_count
  warm_retention_days = var.search_warm_retention_days
  tags                = var.tags
}

module "ingest" {
  source               = "../stage_function"
  create               = var.create
  name                 = "${var.name}-ingest"
  metrics_stage        = "ingest"
  log_level            = var.log_level
  system_log_level     = var.system_log_level
  tracing              = var.enable_tracing
  memory_mb            = lookup(var.capacity.memory_mb, "ingest", 512)
  image_uri            = var.images["ingest"]
  timeout_seconds      = 30
  reserved_concurrency = var.reserved_concurrency["ingest"]
  environment = merge(local.common_env, {
    SLUICE_RAW_STREAM         = module.raw.name
    SLUICE_AGGREGATE          = var.kpl_aggregation ? "kpl" : "none"
    SLUICE_CORS_ALLOW_ORIGINS = length(var.cors_allow_origins) > 0 ? join(",", var.cors_allow_origins) : "none"
    }, var.api_authorizer == "write_key" ? {
    SLUICE_WRITE_KEYS_SECRET_ARN = module.ingest_api.write_keys_secret_arn
    } : {}, var.origin_verify_secret_arn != null ? {
    SLUICE_ORIGIN_VERIFY_SECRET_ARN = var.origin_verify_secret_arn
  } : {})
  trigger         = { type = "none" }
  alarm_topic_arn = module.monitoring.alert_topic_arn
  policy_statements = concat([
    { sid = "WriteRaw", actions = ["kinesis:PutRecords", "kinesis:PutRecord"], resources = [module.raw.arn] },
    { sid = "EncryptRaw", actions = ["kms:GenerateDataKey"], resources = [module.raw.kms_key_arn] },
    ], var.api_authorizer == "write_key" ? [
    { sid = "WriteKeys", actions = ["secretsmanager:GetSecretValue"], resources = [module.ingest_api.write_keys_secret_arn] },
    ] : [], var.origin_verify_secret_arn != null ? [
    { sid = "OriginVerify", actions = ["secretsmanager:GetSecretValue"], resources = [var.origin_verify_secret_arn] },
  ] : [])
  tags = var.tags
}

module "ingest_api" {
  source              = "../ingest_api"
  create              = var.create
  name                = var.name
  function_name       = module.ingest.function_name
  function_invoke_arn = module.ingest.invoke_arn
  endpoint            = var.ingest_endpoint
  origin_verified     = var.origin_verify_secret_arn != null
  authorizer          = var.api_authorizer
  jwt_issuer          = var.jwt_issuer
  jwt_audience        = var.jwt_audience
  cors_allow_origins  = var.cors_allow_origins
  tags                = var.tags
}

module "processor" {
  source               = "../stage_function"
  create               = var.create
  name                 = "${var.name}-processor"
  metrics_stage        = "processor"
  log_level            = var.log_level
  system_log_level     = var.system_log_level
  tracing              = var.enable_tracing
  memory_mb            = lookup(var.capacity.memory_mb, "processor", 512)
  create_trigger       = var.create_event_source_mappings
  image_uri            = var.images["processor"]
  reserved_concurrency = var.reserved_concurrency["processor"]
  environment = merge(local.common_env, {
    SLUICE_LAKE_FIREHOSE   = module.lake.lake_firehose_name
    SLUICE_CLEAN_STREAM    = module.clean.name
    SLUICE_CLEAN_AGGREGATE = var.clean_kpl_aggregation ? "kpl" : "none"
  }, local.cdn_env)
  trigger = merge(local.triggers.processor, { type = "kinesis", source_arn = module.raw.arn })
  # The CDN-log stream: its own mapping with the raw stream's batching, failure reporting, bisect,
  # retries, record age and on-failure queue; the role gets ReadCdnLogs on that stream only.
  additional_kinesis_sources = local.cdn_on ? {
    cdn_logs = { source_arn = var.cdn_logs.stream_arn, starting_position = var.cdn_logs.starting_position }
  } : {}
  alarm_topic_arn = module.monitoring.alert_topic_arn
  policy_statements = concat([
    { sid = "DecryptRaw", actions = ["kms:Decrypt"], resources = [module.raw.kms_key_arn] },
    { sid = "WriteLake", actions = ["firehose:PutRecordBatch"], resources = [module.lake.lake_firehose_arn] },
    local.failed_grant,
    # ListShards: the clean records are packed per shard, as the KPL packs (sluice.producers.shards).
    { sid = "WriteClean", actions = ["kinesis:PutRecords", "kinesis:ListShards"], resources = [module.clean.arn] },
    { sid = "EncryptClean", actions = ["kms:GenerateDataKey"], resources = [module.clean.kms_key_arn] },
  ], local.cdn_statements)
  tags = var.tags
}

module "indexer" {
  count                = local.search_on ? 1 : 0
  source               = "../stage_function"
  create               = var.create
  name                 = "${var.name}-indexer"
  metrics_stage        = "indexer"
  log_level            = var.log_level
  system_log_level     = var.system_log_level
  tracing              = var.enable_tracing
  memory_mb            = lookup(var.capacity.memory_mb, "indexer", 512)
  create_trigger       = var.create_event_source_mappings
  image_uri            = var.images["indexer"]
  reserved_concurrency = var.reserved_concurrency["indexer"]
  environment          = merge(local.common_env, { SLUICE_OPENSEARCH_URL = local.search_url, SLUICE_OPENSEARCH_AUTH = var.create_search ? "sigv4" : "none" })
  trigger              = merge(local.triggers.indexer, { type = "kinesis", source_arn = module.clean.arn })
  alarm_topic_arn      = module.monitoring.alert_topic_arn
  policy_statements = [
    { sid = "DecryptClean", actions = ["kms:Decrypt"], resources = [module.clean.kms_key_arn] },
    local.failed_grant,
    local.es_grant,
  ]
  vpc_subnet_ids         = var.create_search ? var.private_subnet_ids : null
  vpc_security_group_ids = var.stage_security_group_ids
  tags                   = var.tags
}

module "loader" {
  source               = "../stage_function"
  create               = var.create
  name                 = "${var.name}-loader"
  metrics_stage        = "loader"
  log_level            = var.log_level
  system_log_level     = var.system_log_level
  tracing              = var.enable_tracing
  memory_mb            = lookup(var.capacity.memory_mb, "loader", 512)
  create_trigger       = var.create_event_source_mappings
  image_uri            = var.images["loader"]
  timeout_seconds      = 120
  reserved_concurrency = var.reserved_concurrency["loader"]
  environment = merge(local.common_env, var.create_warehouse_cluster ? {
    # The loader's own least-privilege user (sluice warehouse migrate writes it), not the admin.
    SLUICE_WAREHOUSE_SECRET_ARN = module.warehouse.loader_secret_arn
    SLUICE_WAREHOUSE_HOST       = module.warehouse.endpoint
    SLUICE_WAREHOUSE_PORT       = tostring(module.warehouse.port)
    SLUICE_WAREHOUSE_DATABASE   = module.warehouse.database_name
    SLUICE_COPY_IAM_ROLE_ARN    = module.warehouse.copy_role_arn
    } : {
    # Local stack only: the embedded PostgreSQL, reached by URL.
    SLUICE_WAREHOUSE_URL = var.local_warehouse_url
  })
  trigger         = merge(local.triggers.loader, { type = "sqs", source_arn = module.warehouse.loader_queue_arn })
  alarm_topic_arn = module.monitoring.alert_topic_arn
  policy_statements = concat([
    { sid = "ReadLake", actions = ["s3:GetObject"], resources = [for arn in compact([module.lake.bucket_arn]) : "${arn}/events/*"] },
    { sid = "WriteManifests", actions = ["s3:PutObject"], resources = [for arn in compact([module.lake.bucket_arn]) : "${arn}/manifests/*"] },
    { sid = "DecryptLake", actions = ["kms:Decrypt", "kms:GenerateDataKey"], resources = [module.lake.kms_key_arn] },
    local.failed_grant,
    ], var.create_warehouse_cluster ? [
    { sid = "WarehouseSecret", actions = ["secretsmanager:GetSecretValue"], resources = [module.warehouse.loader_secret_arn] },
    { sid = "WarehouseSecretKey", actions = ["kms:Decrypt"], resources = [module.warehouse.kms_key_arn] },
  ] : [])
  vpc_subnet_ids         = var.create_warehouse_cluster ? var.private_subnet_ids : null
  vpc_security_group_ids = var.stage_security_group_ids
  tags                   = var.tags
}

module "monitor" {
  source               = "../stage_function"
  create               = var.create
  name                 = "${var.name}-monitor"
  metrics_stage        = "monitor"
  log_level            = var.log_level
  system_log_level     = var.system_log_level
  tracing              = var.enable_tracing
  memory_mb            = lookup(var.capacity.memory_mb, "monitor", 512)
  create_trigger       = var.create_event_source_mappings
  image_uri            = var.images["monitor"]
  reserved_concurrency = var.reserved_concurrency["monitor"]
  environment = merge(local.common_env, {
    SLUICE_HEALTH_TABLE = module.monitoring.health_table_name
    }, local.search_on ? {
    SLUICE_OPENSEARCH_URL  = local.search_url
    SLUICE_OPENSEARCH_AUTH = var.create_search ? "sigv4" : "none"
  } : {})
  trigger         = merge(local.triggers.monitor, { type = "kinesis", source_arn = module.clean.arn })
  alarm_topic_arn = module.monitoring.alert_topic_arn
  policy_statements = concat([
    { sid = "DecryptClean", actions = ["kms:Decrypt"], resources = [module.clean.kms_key_arn] },
    # Each shard's counters per window: the evaluator below combines them.
    { sid = "HealthTable", actions = ["dynamodb:PutItem"], resources = [module.monitoring.health_table_arn] },
    { sid = "HealthKey", actions = ["kms:GenerateDataKey", "kms:Decrypt"], resources = [module.monitoring.kms_key_arn] },
    local.failed_grant,
  ], local.search_on ? [local.es_grant] : [])
  vpc_subnet_ids         = var.create_search ? var.private_subnet_ids : null
  vpc_security_group_ids = var.stage_security_group_ids
  tags                   = var.tags
}

# The health evaluation: a second handler of the monitor image, run on a schedule, that judges
# each window over every shard's counters combined and sends one message per incident change.
module "evaluator" {
  source           = "../stage_function"
  create           = var.create
  name             = "${var.name}-health-evaluator"
  metrics_stage    = "monitor-evaluator" # the Stage dimension evaluator_from_env writes
  log_level        = var.log_level
  system_log_level = var.system_log_level
  tracing          = var.enable_tracing
  image_uri        = var.images["monitor"]
  command          = "sluice_monitor.handler.evaluate"
  # One evaluation at a time: incidents advance window by window (the state write is also
  # conditional, so an overlapping run could never move them twice).
  reserved_concurrency = 1
  timeout_seconds      = 60
  environment = merge(local.common_env, {
    SLUICE_ALERT_TOPIC_ARN          = module.monitoring.alert_topic_arn
    SLUICE_HEALTH_TABLE             = module.monitoring.health_table_name
    SLUICE_HEALTH_WINDOW_SECONDS    = tostring(var.health_window_seconds)
    SLUICE_EVALUATION_DELAY_SECONDS = tostring(var.evaluation_delay_seconds)
  })
  trigger         = { type = "none" }
  alarm_topic_arn = module.monitoring.alert_topic_arn
  policy_statements = [
    { sid = "Alerts", actions = ["sns:Publish"], resources = [module.monitoring.alert_topic_arn] },
    { sid = "HealthTable", actions = ["dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem"], resources = [module.monitoring.health_table_arn] },
    { sid = "HealthKey", actions = ["kms:GenerateDataKey", "kms:Decrypt"], resources = [module.monitoring.kms_key_arn] },
  ]
  tags = var.tags
}

data "aws_iam_policy_document" "scheduler_assume" {
  count = var.create ? 1 : 0
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  count              = var.create ? 1 : 0
  name               = "${var.name}-health-schedule"
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume[0].json
  tags               = var.tags
}

resource "aws_iam_role_policy" "scheduler" {
  count = var.create ? 1 : 0
  name  = "invoke-health-evaluator"
  role  = aws_iam_role.scheduler[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [{ Effect = "Allow", Action = "lambda:InvokeFunction", Resource = module.evaluator.function_arn }],
      # The schedule's input is encrypted with the alerts key.
      module.monitoring.kms_key_arn == null ? [] : [{ Effect = "Allow", Action = "kms:Decrypt", Resource = module.monitoring.kms_key_arn }],
    )
  })
}

# Every window (Scheduler's rate() counts in minutes: a shorter window is caught up on each run).
resource "aws_scheduler_schedule" "health_evaluation" {
  count                        = var.create ? 1 : 0
  name                         = "${var.name}-health-evaluation"
  schedule_expression          = "rate(${max(1, ceil(var.health_window_seconds / 60))} minute${max(1, ceil(var.health_window_seconds / 60)) == 1 ? "" : "s"})"
  schedule_expression_timezone = "UTC"
  kms_key_arn                  = module.monitoring.kms_key_arn
  flexible_time_window {
    mode = "OFF"
  }
  target {
    arn      = module.evaluator.function_arn
    role_arn = aws_iam_role.scheduler[0].arn
    # The scheduled time, so a delayed run judges the windows due when it was meant to run.
    input = jsonencode({ scheduled_time = "<aws.scheduler.scheduled-time>" })
    retry_policy {
      maximum_retry_attempts = 0 # the next run picks up every window this one left
    }
  }
}
