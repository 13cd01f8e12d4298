# The same pipeline against the local AWS API emulator (moto in server mode). Redshift and the
# OpenSearch domain are switched off: the embedded PostgreSQL and an OpenSearch URL (when given)
# stand in for them.

provider "aws" {
  region                      = "eu-west-1"
  access_key                  = "testing"
  secret_key                  = "testing" #checkov:skip=CKV_SECRET_6:the emulator's dummy credentials
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  s3_use_path_style           = true

  endpoints {
    apigatewayv2   = var.aws_endpoint
    cloudwatch     = var.aws_endpoint
    cloudwatchlogs = var.aws_endpoint
    dynamodb       = var.aws_endpoint
    ec2            = var.aws_endpoint
    ecr            = var.aws_endpoint
    firehose       = var.aws_endpoint
    glue           = var.aws_endpoint
    iam            = var.aws_endpoint
    kinesis        = var.aws_endpoint
    kms            = var.aws_endpoint
    lambda         = var.aws_endpoint
    opensearch     = var.aws_endpoint
    redshift       = var.aws_endpoint
    s3             = var.aws_endpoint
    scheduler      = var.aws_endpoint
    secretsmanager = var.aws_endpoint
    sns            = var.aws_endpoint
    sqs            = var.aws_endpoint
    sts            = var.aws_endpoint
  }
}

module "sluice" {
  source                   = "../../modules/pipeline"
  name                     = var.name
  images                   = var.images
  lake_bucket_name         = var.lake_bucket_name
  glue_table               = jsondecode(file("${path.module}/../../generated/glue_table.json"))
  create_warehouse_cluster = false
  local_warehouse_url      = var.warehouse_url
  create_search            = false
  opensearch_url           = var.opensearch_url
  kpl_aggregation          = false
  health_window_seconds    = var.health_window_seconds
  force_destroy            = true
  # The demo's simulated players post without keys (write keys are tested in tests/functional).
  api_authorizer     = "none"
  cors_allow_origins = ["*"]

  create_event_source_mappings = var.create_event_source_mappings
  # The emulator speaks plain HTTP; a TLS-only bucket policy would refuse every request.
  enforce_tls = false

  # The processor's second input: the log stream the local CDN stand-in writes. No configuration
  # to ask for the field order (the emulator has no real-time log API): the processor is told the
  # stand-in's, the list in the code (sluice.cdn.config.local_fields()), and its sampling rate.
  cdn_logs = {
    stream_arn              = module.cdn_logs.stream_arn
    kms_key_arn             = module.cdn_logs.kms_key_arn
    realtime_log_config_arn = var.create_realtime_log_config ? module.cdn_logs.realtime_log_config_arn : null
    fields                  = var.create_realtime_log_config ? null : jsondecode(file("${path.module}/../../generated/cdn_realtime_log_fields.json"))
    sampling_rate           = var.cdn_logs_sampling_rate
  }
}

# The CDN-log stream, its key and the role CloudFront would assume, as on AWS. moto has no
# real-time log API, so the configuration itself is off here (plan-tested in modules/cdn_logs).
module "cdn_logs" {
  source                     = "../../modules/cdn_logs"
  name                       = "${var.name}-cdn-logs"
  create_realtime_log_config = var.create_realtime_log_config
  sampling_rate              = var.cdn_logs_sampling_rate
}
