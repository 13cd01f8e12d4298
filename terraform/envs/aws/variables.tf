variable "region" {
  description = "AWS region."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.region))
    error_message = "region must be an AWS region code such as eu-west-1 or us-gov-west-1."
  }
}

variable "environment" {
  description = "Environment tag (prod, staging, ...)."
  type        = string
  default     = "prod"
}

variable "name" {
  description = "Name prefix of every resource."
  type        = string
  default     = "sluice"
}

variable "images" {
  description = "Stage -> image pinned by digest: images.auto.tfvars.json from `make tf-images`. Empty only for the first step, `terraform apply -target=module.registry` (the repositories the images are pushed to); any other plan needs every stage."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for uri in values(var.images) : can(regex("@sha256:[0-9a-f]{64}$", uri))])
    error_message = "every image must be pinned by digest (<repository>@sha256:<64 hex>): run `make push-images` then `make tf-images`."
  }
}

variable "lake_bucket_name" {
  description = "The lake bucket (globally unique; S3 bucket naming rules)."
  type        = string

  validation {
    # The S3 bucket naming rules (Amazon S3 User Guide, "General purpose bucket naming rules").
    condition = (
      can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.lake_bucket_name)) &&
      !strcontains(var.lake_bucket_name, "..") &&
      !can(regex("^[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+$", var.lake_bucket_name)) &&
      !can(regex("^(xn--|sthree-|amzn-s3-demo-)", var.lake_bucket_name)) &&
      !can(regex("(-s3alias|--ol-s3|[.]mrap|--x-s3|--table-s3)$", var.lake_bucket_name))
    )
    error_message = "lake_bucket_name must follow the S3 bucket naming rules: 3 to 63 of a-z 0-9 . - , beginning and ending with a letter or digit, no \"..\", not an IP address, no reserved prefix (xn--, sthree-, amzn-s3-demo-) or suffix (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3)."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets (two zones) for Redshift, OpenSearch and the stages that reach them."
  type        = list(string)
}

variable "warehouse_security_group_ids" {
  description = "Security groups of the warehouse."
  type        = list(string)
}

variable "search_security_group_ids" {
  description = "Security groups of the domain."
  type        = list(string)
}

variable "stage_security_group_ids" {
  description = "Security groups of the stages inside the VPC."
  type        = list(string)
}

variable "search_master_user_arn" {
  description = "IAM role mapped to the OpenSearch admin."
  type        = string
}

variable "api_authorizer" {
  description = "write_key (per-site keys in the URL: what browsers' sendBeacon and CMCD players can send), jwt or iam (server-side senders), or none."
  type        = string
  default     = "write_key"
}

variable "jwt_issuer" {
  description = "JWT issuer of the players' identity provider."
  type        = string
  default     = null
}

variable "jwt_audience" {
  description = "JWT audiences."
  type        = list(string)
  default     = []
}

variable "cors_allow_origins" {
  description = "Origins of the web players (https://watch.example). Required: no page may read ingest's answers until its origin is listed."
  type        = list(string)

  validation {
    condition     = !contains(var.cors_allow_origins, "*")
    error_message = "cors_allow_origins must list the players' origins; \"*\" is not allowed in the aws stack."
  }
}

variable "alert_emails" {
  description = "Addresses subscribed to alerts and alarms."
  type        = list(string)
  default     = []
}

variable "create_edge" {
  description = "CloudFront with a WAF rate limit per client address in front of ingest (on by default; players then post to the ingest_url output)."
  type        = bool
  default     = true
}

variable "rate_limit_per_5_minutes" {
  description = "Requests one client address may make in any 5 minutes (WAF rate-based rule)."
  type        = number
  default     = 3000
}

variable "origin_verify_token" {
  description = "With create_edge: a long random value (openssl rand -hex 32) CloudFront adds to its requests; ingest refuses any request without it."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.origin_verify_token == null || try(length(var.origin_verify_token) >= 32, false)
    error_message = "origin_verify_token must be at least 32 characters (openssl rand -hex 32)."
  }
}

variable "capacity" {
  description = "Sizing written by `sluice plan` to capacity.auto.tfvars.json (shards, batching, memory, lake buffering); see the pipeline module's variable of the same name."
  type        = any
  default     = {}
}

variable "create_cdn_logs" {
  description = "CloudFront real-time logs for your media distribution: the log configuration, its Kinesis stream and the role CloudFront assumes (off by default; attach the cdn_logs output's realtime_log_config_arn to the distribution's cache behaviours, see modules/cdn_logs/README.md)."
  type        = bool
  default     = false
}

variable "cdn_logs_sampling_rate" {
  description = "With create_cdn_logs: the percentage of media requests logged (1..100; $0.01 per million lines logged)."
  type        = number
  default     = 100
}

variable "cdn_logs_request_headers" {
  description = "With create_cdn_logs: also log cs-headers, every request header (cookies and Authorization included) kept on the log stream for its 24 h. Needed only for players in CMCD header mode that send version-2 keys (they ride only in headers); the cmcd-* fields carry the version-1 keys either way."
  type        = bool
  default     = false
}
