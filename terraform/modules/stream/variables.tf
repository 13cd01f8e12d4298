variable "create" {
  description = "Create the stream and its key; false creates nothing and every output is null."
  type        = bool
  default     = true
}

variable "name" {
  description = "Name of the Kinesis stream."
  type        = string

  validation {
    # Kinesis StreamName: 1..128 of [a-zA-Z0-9_.-] (Kinesis Data Streams API Reference).
    condition     = can(regex("^[A-Za-z0-9_.-]{1,128}$", var.name))
    error_message = "name must be 1..128 of A-Z a-z 0-9 _ . - (the Kinesis stream name pattern)."
  }
}

variable "on_demand" {
  description = "On-demand capacity (scales by itself); false for provisioned shards."
  type        = bool
  default     = true
}

variable "shard_count" {
  description = "Shards when provisioned. 100M events/day with KPL aggregation needs few: ~1,200 events/s."
  type        = number
  default     = 2
}

variable "retention_hours" {
  description = "How long records stay readable: long enough to replay a day of failures."
  type        = number
  default     = 48

  validation {
    condition     = var.retention_hours >= 24 && var.retention_hours <= 8760
    error_message = "retention_hours must be between 24 and 8760."
  }
}

variable "create_kms_key" {
  description = "Create a customer-managed KMS key for the stream (the secure default)."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "An existing customer-managed key, when create_kms_key is false."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
