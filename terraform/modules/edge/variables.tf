variable "create" {
  description = "Create the distribution, its web ACL and the origin secret; false creates nothing and every output is null."
  type        = bool
  default     = true
}

variable "name" {
  description = "Prefix of every resource's name."
  type        = string
}

variable "api_endpoint" {
  description = "The origin: the ingest HTTP API's URL (https://<id>.execute-api.<region>.amazonaws.com) or the ingest function's URL (https://<url-id>.lambda-url.<region>.on.aws), as modules/ingest_api's url output gives either."
  type        = string
}

variable "rate_limit_per_5_minutes" {
  description = "Requests one client address may make in any 5 minutes before the WAF answers 429. A player flushes every few seconds (about 30 to 100 requests); the default leaves room for a household or an office behind one address."
  type        = number
  default     = 3000

  validation {
    condition     = var.rate_limit_per_5_minutes >= 100 && var.rate_limit_per_5_minutes <= 2000000000
    error_message = "WAF rate-based rules take 100 to 2,000,000,000 requests per 5 minutes."
  }
}

variable "origin_verify_token" {
  description = "A long random value (openssl rand -hex 32) CloudFront adds to every request as x-sluice-origin-verify; ingest refuses requests without it, so no one goes around the WAF to the API's own URL. Rotate it by changing it here (ingest re-reads it within a minute)."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.origin_verify_token) >= 32
    error_message = "origin_verify_token must be at least 32 characters (openssl rand -hex 32)."
  }
}

variable "price_class" {
  description = "CloudFront price class: PriceClass_100 (North America, Europe), PriceClass_200, or PriceClass_All."
  type        = string
  default     = "PriceClass_100"
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
