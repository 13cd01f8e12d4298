output "settings" {
  description = "Everything the local runtime needs to wire the stages (sluice local up reads this)."
  value = {
    raw_stream      = module.sluice.raw_stream
    clean_stream    = module.sluice.clean_stream
    lake_bucket     = module.sluice.lake_bucket
    lake_firehose   = module.sluice.lake_firehose
    failed_firehose = module.sluice.failed_firehose
    loader_queue    = module.sluice.loader_queue_url
    alert_topic_arn = module.sluice.alert_topic_arn
    health_table    = module.sluice.health_table
    opensearch_url  = module.sluice.opensearch_url
    functions       = module.sluice.functions
    triggers        = module.sluice.triggers
    # The stream the local CDN stand-in writes real-time log lines to, the processor's second source.
    cdn_log_stream = module.cdn_logs.stream_name
  }
}

output "cdn_logs" {
  description = "The CDN-log stream the local CDN stand-in writes real-time log lines to, its key, CloudFront's role (no configuration: the emulator has no real-time log API) and the processor's input from it: the mapping's settings and the processor's CDN environment (what a local runtime plays)."
  value = {
    realtime_log_config_arn = module.cdn_logs.realtime_log_config_arn
    stream_name             = module.cdn_logs.stream_name
    stream_arn              = module.cdn_logs.stream_arn
    kms_key_arn             = module.cdn_logs.kms_key_arn
    role_arn                = module.cdn_logs.role_arn
    processor_input         = module.sluice.cdn_log_input
  }
}
