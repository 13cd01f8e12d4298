# The full Sluice pipeline on AWS. Images are pinned per stage in images.auto.tfvars.json,
# generated from images.lock.json by `make tf-images` (see terraform/README.md).

provider "aws" {
  region = var.region
  default_tags {
    tags = { application = "sluice", environment = var.environment }
  }
}

# CloudFront's web ACL (the rate limit in front of ingest) must be made in us-east-1.
provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"
  default_tags {
    tags = { application = "sluice", environment = var.environment }
  }
}

module "sluice" {
  source                       = "../../modules/pipeline"
  name                         = var.name
  images                       = var.images
  lake_bucket_name             = var.lake_bucket_name
  glue_table                   = jsondecode(file("${path.module}/../../generated/glue_table.json"))
  private_subnet_ids           = var.private_subnet_ids
  warehouse_security_group_ids = var.warehouse_security_group_ids
  search_security_group_ids    = var.search_security_group_ids
  stage_security_group_ids     = var.stage_security_group_ids
  search_master_user_arn       = var.search_master_user_arn
  api_authorizer               = var.api_authorizer
  jwt_issuer                   = var.jwt_issuer
  jwt_audience                 = var.jwt_audience
  cors_allow_origins           = var.cors_allow_origins
  alert_emails                 = var.alert_emails
  origin_verify_secret_arn     = var.create_edge ? module.edge[0].origin_verify_secret_arn : null
  capacity                     = var.capacity
  # Two levers on by default (the numbers chose them): no platform lines, no X-Ray.
  system_log_level = var.system_log_level
  enable_tracing   = var.enable_tracing
  # The levers (terraform/README.md, "Cost levers"): each off by default; `sluice plan` may set them.
  ingest_endpoint            = var.ingest_endpoint
  warehouse_kind             = var.warehouse_kind
  warehouse_node_type        = var.warehouse_node_type
  warehouse_nodes            = var.warehouse_nodes
  warehouse_base_rpus        = var.warehouse_base_rpus
  warehouse_max_rpus         = var.warehouse_max_rpus
  search_instance_type       = var.search_instance_type
  search_instance_count      = var.search_instance_count
  search_volume_gb           = var.search_volume_gb
  search_hot_retention_days  = var.search_hot_retention_days
  search_warm_enabled        = var.search_warm_enabled
  search_warm_type           = var.search_warm_type
  search_warm_count          = var.search_warm_count
  search_warm_retention_days = var.search_warm_retention_days
  # With create_cdn_logs the processor reads the log stream too, in the deployed configuration's
  # field order (asked of CloudFront, as is the sampling rate).
  cdn_logs = var.create_cdn_logs ? {
    stream_arn              = module.cdn_logs.stream_arn
    kms_key_arn             = module.cdn_logs.kms_key_arn
    realtime_log_config_arn = module.cdn_logs.realtime_log_config_arn
  } : null
}

# Per-client rate limiting, on by default: CloudFront with a WAF rate-based rule in front of
# ingest's HTTP API or function URL (README: why CloudFront rather than a REST API).
module "edge" {
  count                    = var.create_edge ? 1 : 0
  source                   = "../../modules/edge"
  name                     = var.name
  api_endpoint             = module.sluice.api_endpoint
  rate_limit_per_5_minutes = var.rate_limit_per_5_minutes
  origin_verify_token      = var.origin_verify_token
  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }
}

module "registry" {
  source = "../../modules/registry"
  prefix = var.name
}

# CloudFront real-time logs of the media distribution (players' segment requests with their
# CMCD), off by default; the processor reads them (module.sluice above). The distribution is not
# this stack's: attach the output's realtime_log_config_arn to its cache behaviours
# (terraform/README.md, modules/cdn_logs/README.md).
module "cdn_logs" {
  source              = "../../modules/cdn_logs"
  create              = var.create_cdn_logs
  name                = "${var.name}-cdn-logs"
  sampling_rate       = var.cdn_logs_sampling_rate
  log_request_headers = var.cdn_logs_request_headers
}
