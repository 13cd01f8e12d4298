variable "create" {
  description = "Create the bucket, its key, the delivery streams and the Glue table; false creates nothing and every output is null."
  type        = bool
  default     = true
}

variable "name" {
  description = "Name prefix of the delivery streams and their role."
  type        = string

  validation {
    # Firehose stream names are [a-zA-Z0-9_.-]; the role <name>-firehose must fit IAM's 64.
    condition     = can(regex("^[A-Za-z0-9_.-]{1,55}$", var.name))
    error_message = "name must be 1..55 of A-Z a-z 0-9 _ . - (Firehose names; the role <name>-firehose must fit IAM's 64 characters)."
  }
}

variable "bucket_name" {
  description = "The lake bucket (globally unique; S3 bucket naming rules)."
  type        = string

  validation {
    # The S3 bucket naming rules (Amazon S3 User Guide, "General purpose bucket naming rules").
    condition = (
      can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name)) &&
      !strcontains(var.bucket_name, "..") &&
      !can(regex("^[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+$", var.bucket_name)) &&
      !can(regex("^(xn--|sthree-|amzn-s3-demo-)", var.bucket_name)) &&
      !can(regex("(-s3alias|--ol-s3|[.]mrap|--x-s3|--table-s3)$", var.bucket_name))
    )
    error_message = "bucket_name must follow the S3 bucket naming rules: 3 to 63 of a-z 0-9 . - , beginning and ending with a letter or digit, no \"..\", not an IP address, no reserved prefix (xn--, sthree-, amzn-s3-demo-) or suffix (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3)."
  }
}

variable "create_kms_key" {
  description = "Create a customer-managed KMS key for the bucket (the secure default)."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "An existing customer-managed key, when create_kms_key is false."
  type        = string
  default     = null
}

variable "logs_kms_key_arn" {
  description = "Key for the delivery log group (null: CloudWatch's default encryption)."
  type        = string
  default     = null
}

variable "glue_table" {
  description = "The lake's Glue table: its columns and event types, `sluice schemas render glue` (terraform/generated/glue_table.json)."
  type = object({
    columns     = list(object({ name = string, type = string, comment = string }))
    event_types = list(string)
  })
}

variable "projection_start_date" {
  description = "The first event_date Athena's partition projection looks at (yyyy-MM-dd)."
  type        = string
  default     = "2026-01-01"
}

variable "buffering_mb" {
  description = "Firehose buffer size; dynamic partitioning needs at least 64."
  type        = number
  default     = 128

  validation {
    condition     = var.buffering_mb >= 64 && var.buffering_mb <= 128
    error_message = "buffering_mb must be 64..128 with dynamic partitioning."
  }
}

variable "buffering_seconds" {
  description = "Firehose buffer interval: the lake's (and so the warehouse's) latency floor."
  type        = number
  default     = 60
}

variable "transition_to_ia_days" {
  description = "Days before lake objects move to STANDARD_IA."
  type        = number
  default     = 30
}

variable "expire_events_days" {
  description = "Days lake objects are kept."
  type        = number
  default     = 730
}

variable "expire_failed_days" {
  description = "Days failed events are kept for replay."
  type        = number
  default     = 90
}

variable "log_retention_days" {
  description = "Retention of the delivery logs."
  type        = number
  default     = 365
}

variable "enforce_tls" {
  description = "Deny every request to the bucket that is not over TLS (false only for the local emulator, which speaks plain HTTP)."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "Allow destroying a bucket that holds objects (test stacks only)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
