variable "create" {
  description = "Create the HTTP API, its routes and authorizers; false creates nothing and every output is null."
  type        = bool
  default     = true
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
  description = "The ingest function's invoke ARN."
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
  description = "Steady requests per second (a player flushes every few seconds)."
  type        = number
  default     = 2000
}

variable "throttling_burst_limit" {
  description = "Burst requests."
  type        = number
  default     = 5000
}

variable "log_retention_days" {
  description = "Access log retention."
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
