# CloudFront with a WAF rate-based rule in front of ingest: its HTTP API, or its function URL
# (modules/ingest_api, endpoint). A web ACL cannot attach to an HTTP API or a function URL (only
# to REST API stages, ALBs and CloudFront); CloudFront keeps the HTTP API (and its JWT and IAM
# authorizers), adds the viewer's country and address, and ingest refuses whatever does not carry
# CloudFront's origin header, so the rate limit cannot be walked around by either URL.

locals {
  origin_id = "ingest-api"
  # AWS managed cache policy "CachingDisabled": every POST goes to the origin.
  caching_disabled = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
}

resource "aws_wafv2_web_acl" "edge" {
  count = var.create ? 1 : 0
  #checkov:skip=CKV2_AWS_31:WAF logs would keep every client's full IP address; Sluice keeps a /24 (/48) prefix only (README: what is kept where)
  provider    = aws.us_east_1
  name        = "${var.name}-ingest"
  description = "Sluice ingest: a rate limit per client address, and known bad inputs."
  scope       = "CLOUDFRONT"

  default_action {
    allow {}
  }

  rule {
    name     = "rate-per-client"
    priority = 1
    action {
      block {
        custom_response {
          response_code = 429
          response_header {
            name  = "retry-after"
            value = "60"
          }
        }
      }
    }
    statement {
      rate_based_statement {
        limit              = var.rate_limit_per_5_minutes
        aggregate_key_type = "IP"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-rate-per-client"
      sampled_requests_enabled   = false # samples would hold full client addresses
    }
  }

  rule {
    name     = "known-bad-inputs"
    priority = 2
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
        vendor_name = "AWS"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-known-bad-inputs"
      sampled_requests_enabled   = false
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${var.name}-ingest"
    sampled_requests_enabled   = false
  }

  tags = var.tags
}

resource "aws_cloudfront_origin_request_policy" "ingest" {
  count   = var.create ? 1 : 0
  name    = "${var.name}-ingest"
  comment = "What ingest reads: its headers, the viewer's country and address, the query (write key)."
  cookies_config {
    cookie_behavior = "none"
  }
  headers_config {
    # Not Host: API Gateway and function URLs answer only to their own names.
    header_behavior = "whitelist"
    headers {
      items = [
        "Content-Type",
        "Content-Encoding",
        "Origin",
        "User-Agent",
        "X-Sluice-Write-Key",
        "Access-Control-Request-Method",
        "Access-Control-Request-Headers",
        "CloudFront-Viewer-Country",
        "CloudFront-Viewer-Address",
      ]
    }
  }
  query_strings_config {
    query_string_behavior = "all"
  }
}

resource "aws_cloudfront_distribution" "ingest" {
  count = var.create ? 1 : 0
  #checkov:skip=CKV_AWS_86:access logs would keep every client's full IP address (see the README's privacy section)
  #checkov:skip=CKV_AWS_174:the default *.cloudfront.net certificate; with your own domain, set a certificate with TLSv1.2_2021
  #checkov:skip=CKV2_AWS_42:the default *.cloudfront.net certificate (as above)
  #checkov:skip=CKV_AWS_310:one origin: the ingest API; a second region's API is a stack of its own
  #checkov:skip=CKV_AWS_374:players everywhere send telemetry; no geo restriction by default
  #checkov:skip=CKV2_AWS_32:ingest answers JSON to players, with its own CORS headers; no response headers policy is needed
  #checkov:skip=CKV2_AWS_47:the web ACL above carries AWSManagedRulesKnownBadInputsRuleSet (Log4j included)
  #checkov:skip=CKV_AWS_305:an API origin, not a website: there is no root object to serve
  enabled         = true
  comment         = "Sluice ingest (${var.name})"
  price_class     = var.price_class
  http_version    = "http2and3"
  is_ipv6_enabled = true
  web_acl_id      = aws_wafv2_web_acl.edge[0].arn

  origin {
    origin_id   = local.origin_id
    domain_name = replace(replace(var.api_endpoint, "https://", ""), "/", "")
    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "https-only"
      origin_ssl_protocols   = ["TLSv1.2"]
    }
    custom_header {
      name  = "x-sluice-origin-verify"
      value = var.origin_verify_token
    }
  }

  default_cache_behavior {
    target_origin_id         = local.origin_id
    allowed_methods          = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
    cached_methods           = ["GET", "HEAD"]
    viewer_protocol_policy   = "https-only"
    cache_policy_id          = local.caching_disabled
    origin_request_policy_id = aws_cloudfront_origin_request_policy.ingest[0].id
    compress                 = false
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
  }

  tags = var.tags
}

# Ingest compares CloudFront's origin header with this value (SLUICE_ORIGIN_VERIFY_SECRET_ARN).
resource "aws_secretsmanager_secret" "origin_verify" {
  count = var.create ? 1 : 0
  #checkov:skip=CKV2_AWS_57:rotated by changing origin_verify_token (CloudFront and this secret change together)
  #checkov:skip=CKV_AWS_149:a shared value between CloudFront and ingest, not a credential to data; the AWS-managed key suffices
  name        = "${var.name}-origin-verify"
  description = "Sluice: the header value CloudFront adds to requests to ingest."
  tags        = var.tags
}

resource "aws_secretsmanager_secret_version" "origin_verify" {
  count         = var.create ? 1 : 0
  secret_id     = aws_secretsmanager_secret.origin_verify[0].id
  secret_string = var.origin_verify_token
}
