# A small CloudFront distribution serving media from a private S3 bucket, with Sluice's real-time
# log configuration attached to its default cache behaviour. Its cache policy keeps the players'
# CMCD query argument out of the cache key: every request's CMCD differs (buffer length,
# throughput, the next object), so in the key it would make each request a miss.

provider "aws" {
  region = var.region
  default_tags {
    tags = { application = "sluice", example = "cdn_logs" }
  }
}

module "cdn_logs" {
  source        = "../../modules/cdn_logs"
  name          = "${var.name}-cdn-logs"
  sampling_rate = var.sampling_rate
}

resource "aws_s3_bucket" "media" {
  #checkov:skip=CKV_AWS_18:only the distribution reads it (bucket policy below), and its real-time logs record every request
  #checkov:skip=CKV_AWS_144:an example's media; replicate your own origin as your organisation requires
  #checkov:skip=CKV2_AWS_62:nothing reacts to new media objects in this example
  #checkov:skip=CKV_AWS_145:CloudFront reads through origin access control; SSE-KMS would need the key policy to grant cloudfront.amazonaws.com, which kms_key's default policy does not (S3-managed keys, below)
  #checkov:skip=CKV2_AWS_61:media stays until its owner removes it; no lifecycle rule fits every catalogue
  bucket = var.media_bucket_name
}

resource "aws_s3_bucket_public_access_block" "media" {
  bucket                  = aws_s3_bucket.media.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "media" {
  bucket = aws_s3_bucket.media.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "media" {
  bucket = aws_s3_bucket.media.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_cloudfront_origin_access_control" "media" {
  name                              = "${var.name}-media"
  description                       = "CloudFront signs its requests to the media bucket."
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

# Only this distribution may read the media (over TLS).
data "aws_iam_policy_document" "media" {
  statement {
    sid       = "CloudFrontReadsMedia"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.media.arn}/*"]
    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.media.arn]
    }
  }
  statement {
    sid       = "TlsOnly"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.media.arn, "${aws_s3_bucket.media.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "media" {
  bucket = aws_s3_bucket.media.id
  policy = data.aws_iam_policy_document.media.json
}

# Segments and manifests are cached per path and per any other query argument; the CMCD argument
# (CMCD v1 query mode: ?CMCD=bl%3D21300%2Cbr%3D3200...) is not part of the key. CMCD headers
# (header mode) are not in the key either: the policy names no headers. CloudFront still logs
# both, in the cmcd-* fields and in cs-uri-query / cs-headers.
resource "aws_cloudfront_cache_policy" "media" {
  name        = "${var.name}-media"
  comment     = "Media: the path and query in the key, except the players' CMCD argument."
  default_ttl = 86400
  max_ttl     = 31536000
  min_ttl     = 1

  parameters_in_cache_key_and_forwarded_to_origin {
    enable_accept_encoding_brotli = true
    enable_accept_encoding_gzip   = true
    cookies_config {
      cookie_behavior = "none"
    }
    headers_config {
      header_behavior = "none"
    }
    query_strings_config {
      query_string_behavior = "allExcept"
      query_strings {
        items = ["CMCD"]
      }
    }
  }
}

resource "aws_cloudfront_distribution" "media" {
  #checkov:skip=CKV_AWS_68:an example distribution of media segments; put your own web ACL in front of yours
  #checkov:skip=CKV2_AWS_47:no web ACL in the example (as above)
  #checkov:skip=CKV_AWS_86:the real-time log configuration records every request; standard logs would keep each client's full address a second time
  #checkov:skip=CKV_AWS_174:the default *.cloudfront.net certificate; with your own domain, set a certificate with TLSv1.2_2021
  #checkov:skip=CKV2_AWS_42:the default *.cloudfront.net certificate (as above)
  #checkov:skip=CKV_AWS_310:one origin: the media bucket
  #checkov:skip=CKV_AWS_374:players everywhere; no geo restriction in the example
  #checkov:skip=CKV2_AWS_32:media segments and manifests; add a response headers policy (CORS) for players on other origins
  #checkov:skip=CKV_AWS_305:a media origin: players request manifests by name, there is no root object
  enabled         = true
  comment         = "Sluice example: media with real-time logs (${var.name})"
  price_class     = "PriceClass_100"
  http_version    = "http2and3"
  is_ipv6_enabled = true

  origin {
    origin_id                = "media"
    domain_name              = aws_s3_bucket.media.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.media.id
  }

  default_cache_behavior {
    target_origin_id        = "media"
    allowed_methods         = ["GET", "HEAD", "OPTIONS"]
    cached_methods          = ["GET", "HEAD"]
    viewer_protocol_policy  = "redirect-to-https"
    cache_policy_id         = aws_cloudfront_cache_policy.media.id
    realtime_log_config_arn = module.cdn_logs.realtime_log_config_arn
    compress                = true
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
  }
}
