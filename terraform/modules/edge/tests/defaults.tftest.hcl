# Plan-only: the rate limit answers 429 per client address, and CloudFront marks what it forwards.

mock_provider "aws" {}
mock_provider "aws" {
  alias = "us_east_1"
}

variables {
  name                = "sluice"
  api_endpoint        = "https://abc123.execute-api.eu-west-1.amazonaws.com"
  origin_verify_token = "0123456789abcdef0123456789abcdef0123456789abcdef"
}

run "a_rate_limit_per_client_in_front_of_ingest" {
  command = plan

  assert {
    condition     = one([for r in aws_wafv2_web_acl.edge[0].rule : r.statement[0].rate_based_statement[0].limit if r.name == "rate-per-client"]) == 3000
    error_message = "each client address gets 3000 requests per 5 minutes by default"
  }
  assert {
    condition     = one([for r in aws_wafv2_web_acl.edge[0].rule : r.action[0].block[0].custom_response[0].response_code if r.name == "rate-per-client"]) == 429
    error_message = "a limited client gets 429, which the web SDK retries after retry-after"
  }
  assert {
    condition     = aws_wafv2_web_acl.edge[0].scope == "CLOUDFRONT"
    error_message = "the web ACL is CloudFront's"
  }
  assert {
    condition     = one(one(aws_cloudfront_distribution.ingest[0].origin).custom_header).name == "x-sluice-origin-verify" && one(aws_cloudfront_distribution.ingest[0].origin).domain_name == "abc123.execute-api.eu-west-1.amazonaws.com"
    error_message = "CloudFront forwards to the API with the origin header ingest checks"
  }
}

# The ingest function's own URL as the origin (modules/ingest_api, endpoint = "function_url"):
# the same WAF in front, the same origin header behind.
run "a_function_url_origin_keeps_the_waf_and_the_origin_header" {
  command = plan

  variables {
    api_endpoint = "https://abcdefghij0123456789abcdefghij01.lambda-url.eu-west-1.on.aws/"
  }

  assert {
    condition     = one(aws_cloudfront_distribution.ingest[0].origin).domain_name == "abcdefghij0123456789abcdefghij01.lambda-url.eu-west-1.on.aws"
    error_message = "CloudFront's origin is the function URL's host"
  }
  assert {
    condition     = one(one(aws_cloudfront_distribution.ingest[0].origin).custom_header).name == "x-sluice-origin-verify" && one(one(aws_cloudfront_distribution.ingest[0].origin).custom_origin_config).origin_protocol_policy == "https-only"
    error_message = "the origin header ingest checks rides every request, over HTTPS only"
  }
  assert {
    condition     = one([for r in aws_wafv2_web_acl.edge[0].rule : r.statement[0].rate_based_statement[0].limit if r.name == "rate-per-client"]) == 3000
    error_message = "the per-client rate limit stays in front"
  }
  assert {
    condition     = !contains(one(one(aws_cloudfront_origin_request_policy.ingest[0].headers_config).headers).items, "Host")
    error_message = "Host is not forwarded: a function URL answers only to its own name"
  }
}

run "a_short_origin_token_is_refused" {
  command = plan

  variables {
    origin_verify_token = "short"
  }

  expect_failures = [var.origin_verify_token]
}

run "create_false_creates_nothing" {
  command = plan

  variables {
    create = false
  }

  assert {
    condition = (
      length(aws_wafv2_web_acl.edge) == 0
      && length(aws_cloudfront_origin_request_policy.ingest) == 0
      && length(aws_cloudfront_distribution.ingest) == 0
      && length(aws_secretsmanager_secret.origin_verify) == 0
      && length(aws_secretsmanager_secret_version.origin_verify) == 0
    )
    error_message = "create = false creates nothing"
  }
  assert {
    condition = (
      output.url == null
      && output.origin_verify_secret_arn == null
      && output.web_acl_arn == null
    )
    error_message = "every output is null when nothing is created"
  }
}
