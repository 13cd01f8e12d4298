variable "create" {
  description = "Create the endpoint (the HTTP API with its routes and authorizers, or the function URL) and the write keys' secret; false creates nothing and every output is null."
  type        = bool
  default     = true
}

variable "endpoint" {
  description = "http_api (API Gateway HTTP API: routes POST /events and /cmcd, throttling, access logs, the jwt and iam authorizers) or function_url (the ingest function's own URL, auth NONE: no API Gateway request charge; meant to sit behind CloudFront (modules/edge), whose WAF rate-limits it and whose origin header ingest requires; authorizer write_key or none)."
  type        = string
  default     = "http_api"

  validation {
    condition     = contains(["http_api", "function_url"], var.endpoint)
    error_message = "endpoint must be http_api or function_url."
  }
}

variable "origin_verified" {
  description = "Ingest refuses requests without a CDN's origin header (SLUICE_ORIGIN_VERIFY_SECRET_ARN: modules/edge in front). Required for a function URL, which has no throttle of its own: without the CDN's WAF in front it would take any request from anyone."
  type        = bool
  default     = false
}

variable "name" {
  description = "API name."
  type        = string
}

variable "function_name" {
  description = "The ingest function."
  type        = string
}

variable "function_invoke_arn" {
  description = "The ingest function's invoke ARN (the HTTP API's integration)."
  type        = string
}

variable "authorizer" {
  description = "write_key (per-site keys in the URL, checked by ingest: what browsers and CMCD players can send), jwt (the player's identity provider), iam (signed requests), or none (anyone may post)."
  type        = string
  default     = "write_key"

  validation {
    condition     = contains(["write_key", "none", "jwt", "iam"], var.authorizer)
    error_message = "authorizer must be write_key, none, jwt or iam."
  }
}

variable "jwt_issuer" {
  description = "JWT issuer URL when authorizer is jwt."
  type        = string
  default     = null
}

variable "jwt_audience" {
  description = "JWT audiences when authorizer is jwt."
  type        = list(string)
  default     = []
}

variable "cors_allow_origins" {
  description = "Origins of the web players (https://watch.example); none by default, so no page may read the answers until listed."
  type        = list(string)
  default     = []
}

variable "throttling_rate_limit" {
  description = "With http_api: steady requests per second (a player flushes every few seconds). A function URL has no throttle of its own: the WAF's per-client rate limit and the function's reserved concurrency bound it."
  type        = number
  default     = 2000
}

variable "throttling_burst_limit" {
  description = "With http_api: burst requests."
  type        = number
  default     = 5000
}

variable "log_retention_days" {
  description = "With http_api: access log retention (a function URL has no access log; CloudFront's are off, as they would keep full client addresses)."
  type        = number
  default     = 365
}

variable "logs_kms_key_arn" {
  description = "Key for the access log group (null: CloudWatch's default encryption)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
