output "media_url" {
  description = "Players request https://<this>/<path of a manifest in the media bucket>."
  value       = "https://${aws_cloudfront_distribution.media.domain_name}"
}

output "realtime_log_config_arn" {
  description = "The configuration attached to the default cache behaviour."
  value       = module.cdn_logs.realtime_log_config_arn
}

output "log_stream" {
  description = "The stream the CDN-log reader consumes, and its key."
  value       = { name = module.cdn_logs.stream_name, arn = module.cdn_logs.stream_arn, kms_key_arn = module.cdn_logs.kms_key_arn }
}
