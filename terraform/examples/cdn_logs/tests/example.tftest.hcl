# Plan-only checks of the example: the distribution logs through the module's configuration and
# keeps the CMCD query argument out of its cache key.

mock_provider "aws" {
  source = "../../testing/aws"
}

# The configuration's ARN, known at plan, so that its attachment can be checked.
override_module {
  target          = module.cdn_logs
  override_during = plan
  outputs = {
    realtime_log_config_arn = "arn:aws:cloudfront::123456789012:realtime-log-config/sluice-example-cdn-logs"
    stream_name             = "sluice-example-cdn-logs"
  }
}

variables {
  media_bucket_name = "sluice-example-media"
}

run "the_default_cache_behaviour_logs_in_real_time" {
  command = plan

  assert {
    condition     = one(aws_cloudfront_distribution.media.default_cache_behavior).realtime_log_config_arn == "arn:aws:cloudfront::123456789012:realtime-log-config/sluice-example-cdn-logs"
    error_message = "the distribution's default cache behaviour carries the module's realtime_log_config_arn"
  }
}

run "cmcd_is_kept_out_of_the_cache_key" {
  command = plan

  assert {
    condition = (
      one(one(aws_cloudfront_cache_policy.media.parameters_in_cache_key_and_forwarded_to_origin).query_strings_config).query_string_behavior == "allExcept"
      && one(one(one(aws_cloudfront_cache_policy.media.parameters_in_cache_key_and_forwarded_to_origin).query_strings_config).query_strings).items == toset(["CMCD"])
    )
    error_message = "every query argument but CMCD is in the cache key"
  }
  assert {
    condition     = one(one(aws_cloudfront_cache_policy.media.parameters_in_cache_key_and_forwarded_to_origin).headers_config).header_behavior == "none"
    error_message = "no header (so no CMCD-* header) is in the cache key"
  }
}
